"""Fixtures shared by the MP202 (dual-mode PPMID) tests: a dual-mode PPMID model on the CPL and hubs."""
from __future__ import annotations

import pytest

from inventory.choices import CPLStatus, DeviceStatus, DeviceType, SmetsVersion
from inventory.models import CPLEntry
from tests.factories import CPLEntryFactory, HubFactory

PPMID_MODEL = {"manufacturer": "ACME", "model": "PPMID-200", "hardware_version": "1.0", "firmware_version": "2.0.0"}


@pytest.fixture
def dual_mode_ppmid(db) -> dict[str, CPLEntry]:
    """A PPMID model listed for SMETS1 and SMETS2+ with the same firmware (R202-1)."""
    return {
        version: CPLEntryFactory(device_type=DeviceType.PPMID, smets_version=version, status=CPLStatus.ACTIVE,
                                 **PPMID_MODEL)
        for version in (SmetsVersion.SMETS1, SmetsVersion.SMETS2_PLUS)
    }


@pytest.fixture
def make_hub(supplier):
    def _make(smets_version: str, **kwargs):
        return HubFactory(smets_version=smets_version, responsible_supplier=supplier,
                          status=kwargs.pop("status", DeviceStatus.COMMISSIONED), **kwargs)

    return _make


def prenotify_kwargs(device_id: str, smets_version: str, **overrides) -> dict:
    """Keyword arguments of ``device_prenotify`` for a PPMID of ``PPMID_MODEL``."""
    return {
        "device_id": device_id, "device_type": DeviceType.PPMID, "manufacturer": PPMID_MODEL["manufacturer"],
        "model": PPMID_MODEL["model"], "firmware_version": PPMID_MODEL["firmware_version"],
        "smets_version": smets_version, **overrides,
    }
