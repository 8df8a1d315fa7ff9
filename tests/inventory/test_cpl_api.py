"""``/api/v1/cpl/``: list with filters for everyone; DCC-only add and status change, audited."""
from __future__ import annotations

import pytest

from inventory.choices import DeviceType, SmetsVersion
from inventory.models import CPLChange, CPLEntry
from tests.factories import CPLEntryFactory
from tests.inventory.mp202_fixtures import *  # noqa: F403 (fixtures)
from tests.inventory.mp202_fixtures import PPMID_MODEL

pytestmark = pytest.mark.django_db


def test_cpl_list_shows_dual_mode_and_filters(api_client_for, supplier, dual_mode_ppmid):
    CPLEntryFactory(device_type=DeviceType.ESME, model="ESME-1")
    client = api_client_for(supplier)
    body = client.get("/api/v1/cpl/").json()
    assert set(body) == {"next", "results"}
    by_model = {(row["model"], row["smets_version"]): row["dual_mode"] for row in body["results"]}
    assert by_model == {("PPMID-200", "SMETS1"): True, ("PPMID-200", "SMETS2+"): True, ("ESME-1", "SMETS2+"): False}
    filtered = client.get("/api/v1/cpl/?smets_version=SMETS1&device_type=PPMID").json()["results"]
    assert [(row["model"], row["smets_version"]) for row in filtered] == [("PPMID-200", "SMETS1")]


def test_cpl_list_is_keyset_paged_within_a_query_budget(api_client_for, supplier, django_assert_max_num_queries):
    for n in range(30):
        CPLEntryFactory(device_type=DeviceType.IHD, model=f"IHD-{n:02d}")
    client = api_client_for(supplier)
    with django_assert_max_num_queries(3):
        first = client.get("/api/v1/cpl/?limit=20").json()
    second = client.get(first["next"]).json()
    assert len(first["results"]) == 20 and len(second["results"]) == 10 and second["next"] is None


def test_dcc_adds_and_changes_status_with_audit(api_client_for, dcc_party):
    client = api_client_for(dcc_party)
    body = {"device_type": "PPMID", **PPMID_MODEL, "smets_version": "SMETS1"}
    created = client.post("/api/v1/cpl/", body, format="json", HTTP_X_REQUEST_ID="cpl-add-1")
    assert created.status_code == 201
    assert created.json()["status"] == "Active" and created.json()["dual_mode"] is False
    entry_id = created.json()["id"]
    changed = client.post(f"/api/v1/cpl/{entry_id}/status/", {"status": "Cancelled"}, format="json")
    assert changed.status_code == 200 and changed.json()["status"] == "Cancelled"
    actions = list(CPLChange.objects.order_by("id").values_list("action", "old_status", "new_status", "request_id"))
    assert actions[0] == ("added", "", "Active", "cpl-add-1")
    assert actions[1][:3] == ("status", "Active", "Cancelled")


def test_second_smets2_row_for_the_same_identity_is_409(api_client_for, dcc_party, dual_mode_ppmid):
    body = {"device_type": "PPMID", **PPMID_MODEL, "smets_version": "SMETS2+"}
    response = api_client_for(dcc_party).post("/api/v1/cpl/", body, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "cpl_entry_exists"
    assert CPLEntry.objects.count() == 2


def test_non_dcc_cannot_maintain_the_cpl(api_client_for, supplier, dual_mode_ppmid):
    client = api_client_for(supplier)
    body = {"device_type": "PPMID", **PPMID_MODEL, "model": "NEW", "smets_version": "SMETS1"}
    assert client.post("/api/v1/cpl/", body, format="json").status_code == 403
    entry = dual_mode_ppmid[SmetsVersion.SMETS1]
    assert client.post(f"/api/v1/cpl/{entry.pk}/status/", {"status": "Withdrawn"}, format="json").status_code == 403
    assert CPLEntry.objects.count() == 2 and not CPLChange.objects.exists()


def test_malformed_add_is_400_with_field_errors(api_client_for, dcc_party):
    response = api_client_for(dcc_party).post("/api/v1/cpl/", {"device_type": "PPMID", "smets_version": "S3"},
                                              format="json")
    assert response.status_code == 400
    assert {"manufacturer", "smets_version"} <= set(response.json()["errors"])
    assert not CPLEntry.objects.exists()
