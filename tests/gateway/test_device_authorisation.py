"""DUIS access control to a device (E4) and CSP alert scoping: a party reaches only its own devices."""
import pytest
from rest_framework.test import APIClient

from gateway.choices import Channel
from gateway.models import SatLogEntry
from gateway.services import alert_receive, service_request_submit
from inventory.choices import CSPRegion
from portal.errors import NotFound
from portal.models import Party
from tests.factories import DeviceFactory, NetworkOperatorFactory, OtherUserFactory


def submit(party, srv, device_id, variant=1):
    return service_request_submit(party=party, user=None, srv=srv, device_id=device_id, command_variant=variant,
                                  channel=Channel.JSON)


@pytest.fixture
def meter(supplier, network_operator):
    return DeviceFactory(responsible_supplier=supplier, network_operator=network_operator)


def test_supplier_cannot_send_a_device_srv_to_another_suppliers_meter_e4(other_supplier, meter):
    outcome = submit(other_supplier, "4.1.1", meter.device_id)
    assert outcome.response_code == "E4"
    assert "not the Responsible Supplier" in outcome.detail
    assert outcome.log.response_code == "E4"  # the refusal is logged like every request


def test_responsible_supplier_is_accepted(supplier, meter):
    assert submit(supplier, "4.1.1", meter.device_id).response_code == "I99"


def test_pre_notifying_supplier_that_lost_the_meter_is_refused_e4(supplier, other_supplier):
    gained = DeviceFactory(responsible_supplier=supplier, prenotifying_supplier=other_supplier)
    assert submit(other_supplier, "4.1.1", gained.device_id).response_code == "E4"


def test_network_operator_reaches_only_devices_on_its_network(meter, network_operator):
    assert submit(network_operator, "4.1.1", meter.device_id).response_code == "I99"  # 4.1.1 is open to ED
    stranger = NetworkOperatorFactory()
    assert submit(stranger, "4.1.1", meter.device_id).response_code == "E4"


def test_other_user_is_bounded_by_srv_eligibility_only(meter):
    other_user = OtherUserFactory()
    assert submit(other_user, "4.8.1", meter.device_id).response_code == "I99"  # profile data: open to OU


def test_e4_comes_after_e2_and_e19(other_supplier, meter):
    assert submit(other_supplier, "4.1.1", "00-DB-FF-FF-FF-FF-FF-00").response_code == "E19"
    stranger = NetworkOperatorFactory()
    assert submit(stranger, "4.4.2", meter.device_id).response_code == "E2"  # 4.4.2 is not open to ED at all


def test_rest_answers_e4_for_another_suppliers_meter(api_client_for, other_supplier, meter):
    client: APIClient = api_client_for(other_supplier)
    response = client.post("/api/v1/service-requests/", {"srv": "4.1.1", "device_id": meter.device_id,
                                                         "command_variant": 1}, format="json")
    assert response.status_code == 200
    assert response.json()["response_code"] == "E4"


def test_csp_submits_alerts_only_for_hubs_in_its_region(db):
    north = Party.objects.get(code="CSPN")
    south_meter = DeviceFactory(csp_region=CSPRegion.SOUTH_4G)
    with pytest.raises(NotFound, match="your region"):
        alert_receive(party=north, device_id=south_meter.device_id, alert_code="8F3E")
    assert not SatLogEntry.objects.exists()
    north_meter = DeviceFactory(csp_region=CSPRegion.NORTH_4G)
    assert alert_receive(party=north, device_id=north_meter.device_id, alert_code="8F3E").log == "sat"


def test_dcc_submits_alerts_for_any_region(dcc_party):
    meter = DeviceFactory(csp_region=CSPRegion.CENTRAL)
    assert alert_receive(party=dcc_party, device_id=meter.device_id, alert_code="8F3E").delivered is True
