"""R121-1: only the gaining supplier - the device's Responsible Supplier - raises an install-code request."""
import pytest

from incidents.models import Incident
from incidents.services import incident_bulk_raise_install_code_requests, incident_raise_install_code_request
from portal.errors import NotFound, PermissionDenied


def test_a_supplier_unrelated_to_the_device_is_answered_as_if_it_did_not_exist(device, third_user):
    with pytest.raises(NotFound, match="not in the Smart Metering Inventory"):
        incident_raise_install_code_request(device_id=device.device_id, actor=third_user)
    assert not Incident.objects.exists()


def test_the_pre_notifying_supplier_cannot_request_its_own_code_back(device, installer_user):
    with pytest.raises(PermissionDenied, match="not its Responsible Supplier"):
        incident_raise_install_code_request(device_id=device.device_id, actor=installer_user)
    assert not Incident.objects.exists()


def test_bulk_refuses_rows_for_devices_of_other_suppliers_and_creates_the_rest(make_device, gaining_user, third_user):
    ours = make_device()
    theirs = make_device(responsible_supplier=third_user.party)
    results = incident_bulk_raise_install_code_requests(device_ids=[ours.device_id, theirs.device_id],
                                                        actor=gaining_user)
    by_device = {row.device_id: row for row in results}
    assert by_device[ours.device_id].ok is True
    assert by_device[theirs.device_id].ok is False
    assert "not in the Smart Metering Inventory" in by_device[theirs.device_id].error
    assert list(Incident.objects.values_list("device__device_id", flat=True)) == [ours.device_id]


def test_rest_answers_404_for_another_suppliers_device(api_client_for, device, third_user):
    client = api_client_for(third_user.party)
    response = client.post("/api/v1/incidents/install-code-requests/", {"device_id": device.device_id}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "device_not_found"
