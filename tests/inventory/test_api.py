"""REST devices API (docs/API.md): fields, filters, errors, scope, keyset paging, query budget."""
from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from inventory.choices import CSPRegion, DeviceStatus, DeviceType, SmetsVersion
from tests.factories import DeviceFactory, make_sms

pytestmark = pytest.mark.django_db

API_FIELDS = {
    "device_id", "device_type", "status", "smets_version", "manufacturer", "model", "firmware_version", "cpl_status",
    "mpxn", "uprn", "csp_region", "responsible_supplier", "restricted", "restricted_since", "date_commissioned",
}


def result_ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["device_id"] for row in response.json()["results"]}


def test_list_has_every_contract_field_and_the_supplier_code(api_client_for, estate, supplier):
    response = api_client_for(supplier).get("/api/v1/devices/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "results"}
    row = next(r for r in body["results"] if r["device_id"] == estate["a"]["ESME"].device_id)
    assert set(row) >= API_FIELDS
    assert row["responsible_supplier"] == supplier.pk
    assert row["responsible_supplier_code"] == "SUPA"
    assert row["hub_id"] == estate["a"]["CHF"].device_id
    assert row["restricted"] is False and row["restricted_since"] is None


def test_list_is_scoped_to_the_callers_party(api_client_for, estate, supplier, other_user_party):
    assert result_ids(api_client_for(supplier).get("/api/v1/devices/")) == (
        {d.device_id for d in estate["a"].values()} | {estate["changed"].device_id}
    )
    assert result_ids(api_client_for(other_user_party).get("/api/v1/devices/")) == set()


def test_unauthenticated_is_401(client):
    assert client.get("/api/v1/devices/").status_code == 401


@pytest.mark.parametrize(("params", "expected"), [
    ({"device_type": "GSME"}, lambda e: {e["b_south"]["GSME"].device_id}),
    ({"status": "InstalledNotCommissioned"}, lambda e: {e["changed"].device_id}),
    ({"csp_region": "4G North"}, lambda e: {d.device_id for d in e["b_4g"].values()}),
    ({"restricted": "true"}, lambda e: {e["b_south"]["ESME"].device_id}),
    ({"smets_version": "SMETS1"}, lambda e: set()),
])
def test_list_filters(api_client_for, estate, other_supplier, params, expected):
    restricted = estate["b_south"]["ESME"]
    restricted.restricted, restricted.restricted_since = True, timezone.now()
    restricted.save()
    assert result_ids(api_client_for(other_supplier).get("/api/v1/devices/", params)) == expected(estate)


def test_filter_by_device_id_mpxn_uprn_supplier_and_q(api_client_for, estate, dcc_party, supplier):
    client = api_client_for(dcc_party)
    esme = estate["a"]["ESME"]
    assert result_ids(client.get("/api/v1/devices/", {"device_id": esme.device_id.lower()})) == {esme.device_id}
    assert result_ids(client.get("/api/v1/devices/", {"mpxn": esme.mpxn})) == {esme.device_id}
    assert result_ids(client.get("/api/v1/devices/", {"uprn": esme.uprn})) == {d.device_id for d in estate["a"].values()}
    assert result_ids(client.get("/api/v1/devices/", {"responsible_supplier": supplier.pk})) == {
        d.device_id for d in estate["a"].values()}
    assert result_ids(client.get("/api/v1/devices/", {"q": esme.device_id.lower()})) == {esme.device_id}


@pytest.mark.parametrize(("params", "field"), [
    ({"device_id": "00-DB-12"}, "device_id"),
    ({"device_type": "TOASTER"}, "device_type"),
    ({"status": "Broken"}, "status"),
    ({"smets_version": "SMETS3"}, "smets_version"),
    ({"restricted": "maybe"}, "restricted"),
    ({"csp_region": "Mars"}, "csp_region"),
    ({"responsible_supplier": "999999"}, "responsible_supplier"),
    ({"limit": "0"}, "limit"),
])
def test_invalid_filter_values_are_400_with_the_error_shape(api_client_for, supplier, params, field):
    response = api_client_for(supplier).get("/api/v1/devices/", params)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "detail", "errors"}
    assert field in body["errors"]


def test_bad_device_id_filter_explains_the_format(api_client_for, supplier):
    body = api_client_for(supplier).get("/api/v1/devices/", {"device_id": "xyz"}).json()
    assert "00-DB-12-34-56-78-90-A0" in body["detail"]


def test_list_is_keyset_paginated_by_device_id(api_client_for, dcc_party, estate):
    client = api_client_for(dcc_party)
    first = client.get("/api/v1/devices/", {"limit": 3}).json()
    assert len(first["results"]) == 3 and first["next"]
    second = client.get(first["next"]).json()
    assert second["results"][0]["device_id"] > first["results"][-1]["device_id"]
    assert "offset" not in first["next"]


def test_list_query_count_does_not_grow_with_rows(api_client_for, dcc_party, django_assert_max_num_queries):
    client = api_client_for(dcc_party)
    for _ in range(5):
        make_sms()
    with django_assert_max_num_queries(4):  # token + user/party, devices (one joined query)
        response = client.get("/api/v1/devices/", {"limit": 100})
    assert len(response.json()["results"]) == 20


def test_detail_has_the_fields_and_the_sms(api_client_for, estate, supplier):
    sms = estate["a"]
    response = api_client_for(supplier).get(f"/api/v1/devices/{sms['GSME'].device_id.lower()}/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= API_FIELDS
    assert body["device_id"] == sms["GSME"].device_id
    assert body["sms"]["hub"]["device_id"] == sms["CHF"].device_id
    assert {d["device_id"] for d in body["sms"]["devices"]} == {sms["ESME"].device_id, sms["GPF"].device_id,
                                                                sms["GSME"].device_id}


def test_detail_out_of_scope_is_404_and_malformed_is_400(api_client_for, estate, supplier):
    client = api_client_for(supplier)
    hidden = client.get(f"/api/v1/devices/{estate['b_south']['CHF'].device_id}/")
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "device_not_found"
    unknown = client.get("/api/v1/devices/FF-FF-FF-FF-FF-FF-FF-FF/")
    assert unknown.status_code == 404
    assert hidden.json()["detail"].replace(estate["b_south"]["CHF"].device_id, "X") == unknown.json()["detail"].replace(
        "FF-FF-FF-FF-FF-FF-FF-FF", "X")
    malformed = client.get("/api/v1/devices/00-db-12/")
    assert malformed.status_code == 400
    assert "00-DB-12-34-56-78-90-A0" in malformed.json()["detail"]


def test_restricted_since_is_utc_iso8601(api_client_for, dcc_party):
    device = DeviceFactory(restricted=True, restricted_since=datetime.datetime(2026, 7, 1, 12, 0, tzinfo=datetime.UTC),
                           device_type=DeviceType.ESME, smets_version=SmetsVersion.SMETS2_PLUS,
                           status=DeviceStatus.COMMISSIONED, csp_region=CSPRegion.SOUTH)
    body = api_client_for(dcc_party).get(f"/api/v1/devices/{device.device_id}/").json()
    assert body["restricted_since"] == "2026-07-01T12:00:00Z"


def test_schema_describes_every_devices_endpoint(api_client_for, supplier):
    response = api_client_for(supplier).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/devices/", "/api/v1/devices/{device_id}/", "/api/v1/devices/extract/"} <= set(paths)
    list_params = {p["name"] for p in paths["/api/v1/devices/"]["get"]["parameters"]}
    assert {"device_id", "device_type", "status", "smets_version", "restricted", "csp_region", "mpxn", "uprn",
            "responsible_supplier", "q", "cursor", "limit"} <= list_params
    extract_params = {p["name"] for p in paths["/api/v1/devices/extract/"]["get"]["parameters"]}
    assert {"format", "device_id", "restricted", "q", "responsible_supplier"} <= extract_params
