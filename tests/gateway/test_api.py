"""REST gateway: POST /api/v1/service-requests/ and POST /api/v1/alerts/ (docs/API.md, R169-9)."""
import pytest
from django.utils import timezone

from gateway.models import DiagnosticsLogEntry, SatLogEntry, ServiceRequestLog
from gateway.services import allow_list_alert_set
from tests.factories import DeviceFactory


@pytest.fixture
def meter(supplier):
    return DeviceFactory(responsible_supplier=supplier)


@pytest.fixture
def restricted_meter(supplier):
    return DeviceFactory(responsible_supplier=supplier, restricted=True, restricted_since=timezone.now())


def test_service_request_answers_request_id_code_and_detail(api_client_for, supplier, meter):
    response = api_client_for(supplier).post(
        "/api/v1/service-requests/", {"srv": "4.1.1", "device_id": meter.device_id.lower(), "command_variant": 1},
        format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["response_code"] == "I99" and body["detail"]
    assert ServiceRequestLog.objects.get(request_id=body["request_id"]).device_id == meter.device_id


def test_service_request_to_restricted_device_is_e72(api_client_for, supplier, restricted_meter):
    response = api_client_for(supplier).post(
        "/api/v1/service-requests/", {"srv": "4.8.1", "device_id": restricted_meter.device_id, "command_variant": 1},
        format="json")
    assert response.status_code == 200 and response.json()["response_code"] == "E72"


def test_create_schedule_over_rest_is_judged_by_the_scheduled_srv(api_client_for, supplier, restricted_meter):
    response = api_client_for(supplier).post(
        "/api/v1/service-requests/", {"srv": "5.1", "device_id": restricted_meter.device_id, "command_variant": 8,
                                      "scheduled_srv": "4.17"}, format="json")
    assert response.json()["response_code"] == "E72"


@pytest.mark.parametrize("body, field", [
    ({"srv": "4.1.1", "device_id": "00DB", "command_variant": 1}, "device_id"),
    ({"srv": "4.1.1", "device_id": "00-DB-12-34-56-78-90-A0"}, "command_variant"),
    ({"srv": "77.7", "device_id": "00-DB-12-34-56-78-90-A0", "command_variant": 1}, "srv"),
])
def test_malformed_service_request_is_400_with_the_error_shape(api_client_for, supplier, body, field):
    response = api_client_for(supplier).post("/api/v1/service-requests/", body, format="json")
    assert response.status_code == 400
    error = response.json()
    assert set(error) == {"code", "detail", "errors"} and field in error["errors"]
    assert not ServiceRequestLog.objects.exists()


def test_service_requests_need_authentication(client):
    assert client.post("/api/v1/service-requests/", {}, content_type="application/json").status_code == 401


def test_alert_from_a_normal_device_goes_to_the_sat_log(api_client_for, csp_party, meter):
    response = api_client_for(csp_party).post("/api/v1/alerts/", {"device_id": meter.device_id, "alert_code": "8002"},
                                              format="json")
    assert response.status_code == 200 and response.json() == {"delivered": True, "log": "sat"}
    assert SatLogEntry.objects.get().alert_code == "8002" and not DiagnosticsLogEntry.objects.exists()


def test_allowed_alert_from_a_restricted_device_is_delivered(api_client_for, dcc_party, restricted_meter):
    response = api_client_for(dcc_party).post(
        "/api/v1/alerts/", {"device_id": restricted_meter.device_id, "alert_code": "8f3e"}, format="json")
    assert response.json() == {"delivered": True, "log": "sat"}
    assert SatLogEntry.objects.get().restricted_at_receipt is True


def test_other_alert_from_a_restricted_device_goes_only_to_the_diagnostics_log(
        api_client_for, dcc_party, restricted_meter):
    response = api_client_for(dcc_party).post(
        "/api/v1/alerts/", {"device_id": restricted_meter.device_id, "alert_code": "8F0A"}, format="json")
    assert response.json() == {"delivered": False, "log": "diagnostics"}
    assert not SatLogEntry.objects.exists()
    assert DiagnosticsLogEntry.objects.get().device_id == restricted_meter.device_id


def test_alert_allow_list_edit_takes_effect_at_once(api_client_for, dcc_party, dcc_user, restricted_meter):
    client = api_client_for(dcc_party)
    body = {"device_id": restricted_meter.device_id, "alert_code": "8F0A"}
    assert client.post("/api/v1/alerts/", body, format="json").json()["log"] == "diagnostics"
    allow_list_alert_set(actor=dcc_user, alert_code="8F0A", allowed=True, reason="trial")
    assert client.post("/api/v1/alerts/", body, format="json").json()["log"] == "sat"


def test_unknown_device_alert_is_404_and_unknown_code_is_400(api_client_for, dcc_party, meter):
    client = api_client_for(dcc_party)
    unknown = client.post("/api/v1/alerts/", {"device_id": "00-DB-FF-FF-FF-FF-FF-00", "alert_code": "8002"},
                          format="json")
    assert unknown.status_code == 404 and "not in the SMI" in unknown.json()["detail"]
    bad_code = client.post("/api/v1/alerts/", {"device_id": meter.device_id, "alert_code": "ZZZZ"}, format="json")
    assert bad_code.status_code == 400 and bad_code.json()["code"] == "unknown_alert_code"
    assert not SatLogEntry.objects.exists() and not DiagnosticsLogEntry.objects.exists()


def test_suppliers_cannot_inject_alerts(api_client_for, supplier, meter):
    response = api_client_for(supplier).post("/api/v1/alerts/", {"device_id": meter.device_id, "alert_code": "8002"},
                                             format="json")
    assert response.status_code == 403 and not SatLogEntry.objects.exists()


def test_alert_costs_two_queries(dcc_party, meter, django_assert_max_num_queries):
    from gateway.services import alert_receive
    alert_receive(party=dcc_party, device_id=meter.device_id, alert_code="8002")
    with django_assert_max_num_queries(2):
        alert_receive(party=dcc_party, device_id=meter.device_id, alert_code="8F3E")
