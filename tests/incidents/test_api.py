"""The incidents REST API follows docs/API.md: shapes, status codes, scoping, and never the install code."""
from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents.choices import IncidentEventKind
from incidents.models import Incident
from incidents.services import incident_add_note
from inventory.choices import DeviceStatus
from portal.models import OutboxMessage
from tests.incidents.conftest import INSTALL_CODE


@pytest.fixture
def gaining_api(api_client_for, gaining):
    return api_client_for(gaining)


@pytest.fixture
def installer_api(api_client_for, installer):
    return api_client_for(installer)


def test_raise_returns_201_with_the_contract_fields(gaining_api, device, installer):
    response = gaining_api.post("/api/v1/incidents/install-code-requests/",
                                {"device_id": device.device_id.lower()}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= {"reference", "type", "state", "device_id", "raised_by", "assigned_to", "due_by", "created_at"}
    assert body["type"] == "install_code_request" and body["state"] == "assigned"
    assert body["device_id"] == device.device_id and body["raised_by"] == "SUPA" and body["assigned_to"] == installer.code
    again = gaining_api.post("/api/v1/incidents/install-code-requests/", {"device_id": device.device_id}, format="json")
    assert again.status_code == 200 and again.json()["reference"] == body["reference"]


def test_raise_to_the_service_desk_reports_dcc_service_desk(gaining_api, make_device):
    device = make_device(prenotifying_supplier=None)
    response = gaining_api.post("/api/v1/incidents/install-code-requests/", {"device_id": device.device_id},
                                format="json")
    assert response.status_code == 201 and response.json()["assigned_to"] == "dcc_service_desk"


@pytest.mark.parametrize(("device_id", "status", "code"), [
    ("", 400, "device_id_required"),
    ("00DB123456", 400, "invalid_device_id"),
    ("00-DB-FF-FF-FF-FF-FF-FF", 404, "device_not_found"),
])
def test_raise_errors_use_the_error_shape(gaining_api, device_id, status, code):
    response = gaining_api.post("/api/v1/incidents/install-code-requests/", {"device_id": device_id}, format="json")
    assert response.status_code == status
    assert response.json()["code"] == code and response.json()["detail"]
    assert not Incident.objects.exists()


def test_raise_for_a_commissioned_device_is_422(gaining_api, make_device):
    device = make_device(status=DeviceStatus.COMMISSIONED)
    response = gaining_api.post("/api/v1/incidents/install-code-requests/", {"device_id": device.device_id},
                                format="json")
    assert response.status_code == 422 and "Commissioned" in response.json()["detail"]


def test_network_operator_gets_403(api_client_for, network_operator, device):
    response = api_client_for(network_operator).post("/api/v1/incidents/install-code-requests/",
                                                     {"device_id": device.device_id}, format="json")
    assert response.status_code == 403


def test_unauthenticated_is_401():
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/incidents/").status_code == 401


def test_list_is_scoped_filtered_and_within_a_query_budget(gaining_api, installer_api, api_client_for, make_device,
                                                           raise_request, django_assert_max_num_queries, third_user):
    incidents = [raise_request(make_device()) for _ in range(5)]
    with django_assert_max_num_queries(4):
        response = gaining_api.get("/api/v1/incidents/?limit=3")
    body = response.json()
    assert response.status_code == 200 and len(body["results"]) == 3 and body["next"]
    assert body["results"][0]["reference"] == incidents[-1].reference  # newest first
    second = gaining_api.get(body["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None
    assert len(installer_api.get("/api/v1/incidents/?assigned_to=SUPB").json()["results"]) == 5
    assert api_client_for(third_user.party).get("/api/v1/incidents/").json()["results"] == []
    filtered = gaining_api.get(f"/api/v1/incidents/?device_id={incidents[0].device.device_id.lower()}").json()
    assert [row["reference"] for row in filtered["results"]] == [incidents[0].reference]
    assert gaining_api.get("/api/v1/incidents/?overdue=true").json()["results"] == []
    assert gaining_api.get("/api/v1/incidents/?state=bogus").status_code == 400


def test_detail_has_notes_but_never_the_code(gaining_api, device, raise_request, installer_user):
    incident = raise_request(device)
    incident_add_note(incident=incident, actor=installer_user, body="Here it is", install_code=INSTALL_CODE)
    response = gaining_api.get(f"/api/v1/incidents/{incident.reference}/")
    assert response.status_code == 200
    assert response.json()["has_install_code"] is True
    assert response.json()["notes"][0]["has_install_code"] is True
    assert INSTALL_CODE not in response.content.decode()
    listing = gaining_api.get("/api/v1/incidents/")
    assert INSTALL_CODE not in listing.content.decode()


def test_other_party_gets_404_for_an_incident_it_cannot_see(api_client_for, third_user, device, raise_request):
    incident = raise_request(device)
    client = api_client_for(third_user.party)
    assert client.get(f"/api/v1/incidents/{incident.reference}/").status_code == 404
    assert client.post(f"/api/v1/incidents/{incident.reference}/reveal-install-code/").status_code == 404
    assert client.post(f"/api/v1/incidents/{incident.reference}/close/").status_code == 404


def test_notes_code_reveal_and_close_through_the_api(gaining_api, installer_api, api_client_for, dcc_party, device,
                                                     raise_request):
    incident = raise_request(device)
    url = f"/api/v1/incidents/{incident.reference}"
    refused = gaining_api.post(f"{url}/notes/", {"body": "x", "install_code": INSTALL_CODE}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "not_the_assignee"
    bad = installer_api.post(f"{url}/notes/", {"body": "", "install_code": "12"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_install_code"
    added = installer_api.post(f"{url}/notes/", {"body": "Code attached", "install_code": INSTALL_CODE}, format="json")
    assert added.status_code == 201 and added.json()["state"] == "responded"
    assert INSTALL_CODE not in added.content.decode()

    assert installer_api.post(f"{url}/close/").status_code == 403
    dcc_reveal = api_client_for(dcc_party).post(f"{url}/reveal-install-code/")
    assert dcc_reveal.status_code == 403
    revealed = gaining_api.post(f"{url}/reveal-install-code/")
    assert revealed.status_code == 200 and revealed.json()["install_code"] == INSTALL_CODE
    assert revealed["Cache-Control"] == "no-store"
    assert incident.events.filter(kind=IncidentEventKind.CODE_REVEALED, actor=gaining_api.user).count() == 1

    closed = gaining_api.post(f"{url}/close/", {}, format="json")
    assert closed.status_code == 200 and closed.json()["closure_kind"] == "by_raiser"
    assert gaining_api.post(f"{url}/close/").status_code == 409


def test_not_installing_answer_and_reassignment(installer_api, api_client_for, dcc_party, third_user, device,
                                                raise_request):
    incident = raise_request(device)
    url = f"/api/v1/incidents/{incident.reference}"
    answered = installer_api.post(f"{url}/notes/", {"not_installing_supplier": True}, format="json")
    assert answered.status_code == 200 and answered.json()["state"] == "not_installing_supplier"
    assert answered.json()["assigned_to"] == "dcc_service_desk"
    assert installer_api.post(f"{url}/reassign/", {"to_party": "SUPC"}, format="json").status_code in (403, 404)
    moved = api_client_for(dcc_party).post(f"{url}/reassign/", {"to_party": "SUPC"}, format="json")
    assert moved.status_code == 200 and moved.json()["assigned_to"] == "SUPC" and moved.json()["state"] == "assigned"


def test_bulk_json_mixed_rows_each_get_a_result(gaining_api, make_device, gaining):
    good = make_device()
    second_good = make_device(prenotifying_supplier=gaining)
    commissioned = make_device(status=DeviceStatus.COMMISSIONED)
    rows = [good.device_id.lower(), "garbage", "00-DB-FF-FF-FF-FF-FF-FF", commissioned.device_id, good.device_id,
            second_good.device_id, ""]
    response = gaining_api.post("/api/v1/incidents/install-code-requests/bulk/", {"device_ids": rows}, format="json")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["ok"] for r in results] == [True, False, False, False, True, True, False]
    assert results[0]["reference"] and results[4]["reference"] == results[0]["reference"] and results[4]["existing"]
    assert "not in the Smart Metering Inventory" in results[2]["error"]
    assert "Commissioned" in results[3]["error"] and "required" in results[6]["error"]
    assert Incident.objects.count() == 2
    created = Incident.objects.get(device=second_good)
    assert created.assigned_party.code == "DCC" and created.events.count() == 2
    # One summary email per assignee party, not one per incident.
    assert OutboxMessage.objects.count() == 2
    again = gaining_api.post("/api/v1/incidents/install-code-requests/bulk/", {"device_ids": [good.device_id]},
                             format="json").json()["results"]
    assert again[0]["existing"] and again[0]["reference"] == results[0]["reference"]


def test_bulk_csv_upload(gaining_api, make_device):
    devices = [make_device() for _ in range(3)]
    content = "device_id,note\n" + "\n".join(f"{d.device_id},x" for d in devices) + "\nnot-an-id,y\n"
    upload = SimpleUploadedFile("rows.csv", content.encode(), content_type="text/csv")
    response = gaining_api.post("/api/v1/incidents/install-code-requests/bulk/", {"file": upload}, format="multipart")
    assert response.status_code == 200, response.content
    assert [r["ok"] for r in response.json()["results"]] == [True, True, True, False]


def test_bulk_without_a_device_id_column_is_400_and_writes_nothing(gaining_api):
    upload = SimpleUploadedFile("rows.csv", b"id\n00-DB-12-00-00-00-00-01\n", content_type="text/csv")
    response = gaining_api.post("/api/v1/incidents/install-code-requests/bulk/", {"file": upload}, format="multipart")
    assert response.status_code == 400 and "device_id" in response.json()["detail"]
    assert gaining_api.post("/api/v1/incidents/install-code-requests/bulk/", {"device_ids": []},
                            format="json").status_code == 400
    assert not Incident.objects.exists()


def test_openapi_schema_describes_the_incident_endpoints(gaining_api):
    response = gaining_api.get("/api/schema/?format=json")
    paths = json.loads(response.content)["paths"]
    for path in ("/api/v1/incidents/", "/api/v1/incidents/install-code-requests/",
                 "/api/v1/incidents/install-code-requests/bulk/", "/api/v1/incidents/{reference}/reveal-install-code/"):
        assert path in paths
