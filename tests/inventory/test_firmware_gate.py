"""R202-4: SRV 11.4 Update PPMID Firmware only to PPMIDs enrolled in a SMETS2+ SMS."""
from __future__ import annotations

import pytest

from inventory.choices import DeviceType, SmetsVersion
from inventory.services.devices import device_join_hub, device_prenotify, ppmid_firmware_update_refusal
from tests.factories import DeviceFactory
from tests.inventory.mp202_fixtures import *  # noqa: F403 (fixtures)
from tests.inventory.mp202_fixtures import prenotify_kwargs

pytestmark = pytest.mark.django_db

S1, S2 = SmetsVersion.SMETS1, SmetsVersion.SMETS2_PLUS


@pytest.fixture
def joined_ppmid(supplier_user, dual_mode_ppmid, make_hub):
    def _joined(prenotified: str, hub_version: str):
        ppmid = device_prenotify(actor=supplier_user, **prenotify_kwargs("00-DB-12-34-56-78-90-A0", prenotified))
        return device_join_hub(actor=supplier_user, device=ppmid, hub=make_hub(hub_version))

    return _joined


@pytest.mark.parametrize("prenotified", [S1, S2])
def test_dual_mode_ppmid_in_a_smets2_sms_may_take_firmware(joined_ppmid, prenotified):
    assert ppmid_firmware_update_refusal(device=joined_ppmid(prenotified, S2)) is None


@pytest.mark.parametrize("prenotified", [S1, S2])
def test_dual_mode_ppmid_in_a_smets1_sms_is_refused_firmware(joined_ppmid, prenotified):
    reason = ppmid_firmware_update_refusal(device=joined_ppmid(prenotified, S1))
    assert "enrolled in a SMETS1 Smart Metering System" in reason


def test_ppmid_not_joined_to_a_hub_is_refused_firmware(supplier_user, dual_mode_ppmid):
    ppmid = device_prenotify(actor=supplier_user, **prenotify_kwargs("00-DB-12-34-56-78-90-A0", S2))
    assert "not joined to a hub" in ppmid_firmware_update_refusal(device=ppmid)


def test_update_ppmid_firmware_is_refused_for_other_device_types():
    assert "PPMID firmware only" in ppmid_firmware_update_refusal(device=DeviceFactory(device_type=DeviceType.ESME))
