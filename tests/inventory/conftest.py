"""Inventory fixtures: one small estate seen from every role."""
from __future__ import annotations

import pytest

from inventory.choices import CSPRegion, DeviceStatus, DeviceType
from portal.models import Party
from tests.factories import DeviceFactory, NetworkOperatorFactory, PartyFactory, make_sms


@pytest.fixture
def other_user_party(db) -> Party:
    return PartyFactory(code="OUA", name="Other User A", roles=["OU"])


@pytest.fixture
def agent_party(db) -> Party:
    return PartyFactory(code="RSAA", name="Agent A", roles=["RSA"])


@pytest.fixture
def estate(supplier, other_supplier, network_operator):
    """Supplier A's SMS in North (gas via DNOA's network), supplier B's SMS in 4G North and South,
    and a device supplier A pre-notified that changed to supplier B before commissioning."""
    gas_transporter = NetworkOperatorFactory(code="GTA", name="Gas Transporter A", roles=["GT"])
    sms_a = make_sms(supplier=supplier, csp_region=CSPRegion.NORTH, network_operator=network_operator)
    sms_b_4g = make_sms(supplier=other_supplier, gas=False, csp_region=CSPRegion.NORTH_4G, postcode="LS1 4AB")
    sms_b_south = make_sms(supplier=other_supplier, csp_region=CSPRegion.SOUTH, network_operator=gas_transporter)
    changed = DeviceFactory(
        device_type=DeviceType.ESME, status=DeviceStatus.INSTALLED_NOT_COMMISSIONED, date_commissioned=None,
        responsible_supplier=other_supplier, prenotifying_supplier=supplier, csp_region=CSPRegion.CENTRAL,
    )
    return {"a": sms_a, "b_4g": sms_b_4g, "b_south": sms_b_south, "changed": changed, "gt": gas_transporter}


from tests.gateway.duis_client import (  # noqa: E402,F401 (fixtures: the real DUIS client, the test identities)
    boxed_tool,
    demo_identities,
    duis_identities,
    duis_sender,
    identity_registrar,
)
