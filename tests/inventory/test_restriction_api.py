"""REST: POST /devices/<id>/restriction/, GET /devices/<id>/restriction-history/, bulk (docs/API.md)."""
from __future__ import annotations

import csv
import io

import pytest

from inventory.choices import PaymentMode
from inventory.models import Device, RestrictionChange
from portal.models import OutboxMessage
from tests.factories import NetworkOperatorFactory, PartyFactory, make_sms

SET_BODY = {"restricted": True, "reason": "Consumer refused", "all_reasonable_steps_taken": True}


def url(device_id: str) -> str:
    return f"/api/v1/devices/{device_id}/restriction/"


def history_url(device_id: str) -> str:
    return f"/api/v1/devices/{device_id}/restriction-history/"


@pytest.fixture
def client(api_client_for, supplier):
    return api_client_for(supplier)


def test_post_sets_restricted_and_answers_the_new_state_with_the_audit_rows(client, sms):
    response = client.post(url(sms["GSME"].device_id.lower()), SET_BODY, format="json", HTTP_X_REQUEST_ID="req-42")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["device_id"] == sms["GSME"].device_id and body["restricted"] is True
    assert body["restricted_since"].endswith("Z") and body["device_type"] == "GSME"
    assert [c["device_id"] for c in body["changes"]] == [sms["GSME"].device_id, sms["GPF"].device_id]
    first = body["changes"][0]
    assert (first["old_value"], first["new_value"], first["channel"], first["request_id"], first["attested"]) == (
        False, True, "api", "req-42", True)
    assert first["party"] == "SUPA" and first["actor"] == client.user.username
    assert RestrictionChange.objects.filter(channel="api").count() == 2


@pytest.mark.parametrize(("make_party", "status"), [
    (lambda: NetworkOperatorFactory(code="DNOA"), 403),  # sees the device read-only
    (lambda: PartyFactory(code="CSPN"), 403),  # CSP of the region sees it
    (lambda: PartyFactory(code="DCC"), 403),
    (lambda: PartyFactory(code="SUPB", roles=["IS"]), 404),  # another supplier cannot even see it
    (lambda: PartyFactory(code="OU1", roles=["OU"]), 404),
    (lambda: PartyFactory(code="RSA1", roles=["RSA"]), 404),
])
def test_post_by_anyone_but_the_responsible_supplier_is_refused(make_party, status, api_client_for, sms):
    response = api_client_for(make_party()).post(url(sms["ESME"].device_id), SET_BODY, format="json")
    assert response.status_code == status
    assert response.json()["code"] == ("not_responsible_supplier" if status == 403 else "device_not_found")
    assert not RestrictionChange.objects.exists() and not Device.objects.filter(restricted=True).exists()


def test_rule_refusal_is_422_with_the_rule(client, sms):
    Device.objects.filter(pk=sms["ESME"].pk).update(payment_mode=PaymentMode.PREPAYMENT)
    response = client.post(url(sms["ESME"].device_id), SET_BODY, format="json")
    assert response.status_code == 422
    assert response.json()["code"] == "prepayment_not_eligible" and "credit" in response.json()["detail"]


def test_attestation_false_is_422(client, sms):
    response = client.post(url(sms["ESME"].device_id), {**SET_BODY, "all_reasonable_steps_taken": False}, format="json")
    assert response.status_code == 422 and response.json()["code"] == "attestation_required"


def test_no_change_is_409(client, sms):
    response = client.post(url(sms["ESME"].device_id), {**SET_BODY, "restricted": False}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "not_restricted"
    assert not RestrictionChange.objects.exists()


@pytest.mark.parametrize("body", [
    {"restricted": True, "all_reasonable_steps_taken": True},
    {"restricted": True, "reason": "", "all_reasonable_steps_taken": True},
    {"reason": "Consumer refused"},
    {"restricted": "maybe", "reason": "x"},
])
def test_malformed_body_is_400_and_nothing_changes(body, client, sms):
    response = client.post(url(sms["ESME"].device_id), body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and response.json()["errors"]
    assert not RestrictionChange.objects.exists()


def test_whitespace_reason_is_400_from_the_service(client, sms):
    response = client.post(url(sms["ESME"].device_id), {**SET_BODY, "reason": "   "}, format="json")
    assert response.status_code == 400


def test_malformed_device_id_is_400_and_unknown_is_404(client):
    bad = client.post(url("00DB12"), SET_BODY, format="json")
    assert bad.status_code == 400 and "00-DB-12-34-56-78-90-A0" in bad.json()["detail"]
    assert client.post(url("00-DB-99-99-99-99-99-99"), SET_BODY, format="json").status_code == 404


def test_unauthenticated_is_401(sms):
    from rest_framework.test import APIClient

    assert APIClient().post(url(sms["ESME"].device_id), SET_BODY, format="json").status_code == 401


def test_history_is_newest_first_paginated_and_visible_to_the_network_operator(
        client, sms, api_client_for, network_operator, django_assert_max_num_queries):
    device_id = sms["ESME"].device_id
    for restricted in (True, False, True):
        assert client.post(url(device_id), {**SET_BODY, "restricted": restricted}, format="json").status_code == 200
    reader = api_client_for(network_operator)
    with django_assert_max_num_queries(6):
        page = reader.get(history_url(device_id.lower()) + "?limit=2").json()
    assert [row["new_value"] for row in page["results"]] == [True, False]
    assert {"at", "actor", "party", "old_value", "new_value", "reason", "channel", "attested", "request_id"} <= set(
        page["results"][0])
    rest = reader.get(page["next"]).json()
    assert [row["new_value"] for row in rest["results"]] == [True] and rest["next"] is None


def test_history_of_an_invisible_device_is_404(api_client_for, sms):
    assert api_client_for(PartyFactory(code="SUPB")).get(history_url(sms["ESME"].device_id)).status_code == 404


def test_history_csv_export(client, sms):
    client.post(url(sms["GSME"].device_id), SET_BODY, format="json")
    response = client.get(history_url(sms["GSME"].device_id) + "?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["device_id"], r["new_value"], r["channel"], r["reason"]) for r in rows] == [
        (sms["GSME"].device_id, "true", "api", "Consumer refused")]


def test_bulk_endpoint_applies_good_rows_and_reports_bad_ones(client, supplier, sms):
    other = make_sms(supplier=supplier, payment_mode=PaymentMode.PREPAYMENT)
    response = client.post("/api/v1/devices/restriction/bulk/", {"changes": [
        {"device_id": sms["ESME"].device_id.lower(), "restricted": True, "reason": "Consumer refused",
         "all_reasonable_steps_taken": True},
        {"device_id": other["ESME"].device_id, "restricted": True, "reason": "Consumer refused",
         "all_reasonable_steps_taken": True},
        {"device_id": "nonsense", "restricted": True, "reason": "x", "all_reasonable_steps_taken": True},
        {"device_id": sms["GSME"].device_id, "restricted": "perhaps", "reason": "x"},
    ]}, format="json")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["ok"], r["code"]) for r in results] == [
        (True, ""), (False, "prepayment_not_eligible"), (False, "invalid_device_id"), (False, "bad_boolean")]
    assert results[0]["device_id"] == sms["ESME"].device_id and len(results[0]["change_ids"]) == 1
    assert list(Device.objects.filter(restricted=True)) == [sms["ESME"]]
    assert RestrictionChange.objects.get().channel == "bulk_api"
    assert OutboxMessage.objects.count() == 1


def test_bulk_endpoint_rejects_a_malformed_body(client):
    response = client.post("/api/v1/devices/restriction/bulk/", {"changes": []}, format="json")
    assert response.status_code == 400
