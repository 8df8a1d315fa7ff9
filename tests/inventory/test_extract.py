"""Streamed device extracts: CSV via PostgreSQL COPY, JSON lines in keyset chunks."""
from __future__ import annotations

import csv
import io
import json

import pytest
from django.utils import timezone

from inventory.models import CPLEntry, Device
from inventory.selectors import extracts
from portal.models import Party
from tests.factories import CPLEntryFactory, DeviceFactory, next_device_id

pytestmark = pytest.mark.django_db


def download(client, **params):
    response = client.get("/api/v1/devices/extract/", params)
    assert response.status_code == 200, response.content
    assert response.streaming
    return response, b"".join(response.streaming_content).decode()


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_starts_with_the_header_and_includes_restricted(api_client_for, estate, supplier):
    response, text = download(api_client_for(supplier), format="csv")
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="devices-')
    assert text.splitlines()[0].split(",") == extracts.COLUMN_NAMES
    rows = csv_rows(text)
    assert {row["device_id"] for row in rows} == {d.device_id for d in estate["a"].values()} | {
        estate["changed"].device_id}
    assert [row["device_id"] for row in rows] == sorted(row["device_id"] for row in rows)
    esme = next(row for row in rows if row["device_id"] == estate["a"]["ESME"].device_id)
    assert esme["restricted"] == "false"
    assert esme["responsible_supplier"] == "SUPA"  # the party code, never the internal id
    assert esme["responsible_supplier_name"] == Party.objects.get(code="SUPA").name
    assert esme["hub_id"] == estate["a"]["CHF"].device_id


def test_csv_applies_the_list_filters_and_scope(api_client_for, estate, supplier, other_user_party):
    device = estate["a"]["GSME"]
    device.restricted, device.restricted_since = True, timezone.now()
    device.save()
    _response, text = download(api_client_for(supplier), format="csv", restricted="true")
    rows = csv_rows(text)
    assert [row["device_id"] for row in rows] == [device.device_id]
    assert rows[0]["restricted"] == "true" and rows[0]["restricted_since"].endswith("Z")
    _response, text = download(api_client_for(supplier), format="csv", csp_region="South")
    assert csv_rows(text) == []
    _response, text = download(api_client_for(other_user_party), format="csv")
    assert text.splitlines() == [",".join(extracts.COLUMN_NAMES)]


def test_csv_neutralises_spreadsheet_formulas_in_text_cells(api_client_for, dcc_party):
    cpl = CPLEntryFactory(manufacturer="=HYPERLINK(\"http://x\")", model="+SUM(A1)", firmware_version="@cmd")
    DeviceFactory(cpl_entry=cpl, device_type=cpl.device_type, postcode="-1+1", uprn="\tTAB", mpxn="1234567890123")
    _response, text = download(api_client_for(dcc_party), format="csv")
    row = csv_rows(text)[0]
    assert row["manufacturer"] == "'=HYPERLINK(\"http://x\")"
    assert row["model"] == "'+SUM(A1)"
    assert row["firmware_version"] == "'@cmd"
    assert row["postcode"] == "'-1+1"
    assert row["uprn"] == "'\tTAB"
    assert row["mpxn"] == "1234567890123"


def test_jsonl_streams_one_object_per_device_with_the_same_fields(api_client_for, estate, other_supplier, monkeypatch):
    monkeypatch.setattr(extracts, "JSONL_CHUNK", 2)
    response, text = download(api_client_for(other_supplier), format="jsonl", device_type="ESME")
    assert response["Content-Type"] == "application/x-ndjson"
    rows = [json.loads(line) for line in text.splitlines()]
    assert list(rows[0]) == extracts.COLUMN_NAMES
    assert {row["device_id"] for row in rows} == {
        estate["b_4g"]["ESME"].device_id, estate["b_south"]["ESME"].device_id, estate["changed"].device_id}


def test_bad_format_or_filter_is_400(api_client_for, supplier):
    client = api_client_for(supplier)
    assert client.get("/api/v1/devices/extract/", {"format": "xlsx"}).json()["errors"] == {
        "format": ["Choose one of: csv, jsonl."]}
    response = client.get("/api/v1/devices/extract/", {"format": "csv", "device_id": "nope"})
    assert response.status_code == 400 and "device_id" in response.json()["errors"]


def test_extract_of_thousands_of_rows_matches_the_database(api_client_for, dcc_party, monkeypatch):
    monkeypatch.setattr(extracts, "JSONL_CHUNK", 700)
    supplier = Party.objects.create(code="BULK", name="Bulk Supplier", roles=["IS"])
    cpl = CPLEntry.objects.create(device_type="ESME", manufacturer="Bulk", model="B-1", hardware_version="1",
                                  firmware_version="1.0", smets_version="SMETS2+")
    Device.objects.bulk_create(
        Device(device_id=next_device_id(), device_type="ESME", status="Commissioned", smets_version="SMETS2+",
               cpl_entry=cpl, mpxn=f"{1000000000000 + n}", csp_region="Central", responsible_supplier=supplier,
               prenotifying_supplier=supplier)
        for n in range(3000)
    )
    expected = list(Device.objects.order_by("device_id").values_list("device_id", "mpxn"))
    client = api_client_for(dcc_party)
    _response, text = download(client, format="csv")
    assert [(row["device_id"], row["mpxn"]) for row in csv_rows(text)] == expected
    _response, text = download(client, format="jsonl")
    assert [(row["device_id"], row["mpxn"]) for row in map(json.loads, text.splitlines())] == expected
