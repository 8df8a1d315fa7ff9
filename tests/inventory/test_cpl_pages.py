"""The CPL page: readable by every logged-in user, maintained only by the DCC service desk."""
from __future__ import annotations

import pytest
from django.urls import reverse

from inventory.choices import CPLStatus, DeviceType, SmetsVersion
from inventory.models import CPLChange, CPLEntry
from tests.factories import CPLEntryFactory
from tests.inventory.mp202_fixtures import *  # noqa: F403 (fixtures)
from tests.inventory.mp202_fixtures import PPMID_MODEL

pytestmark = pytest.mark.django_db

CPL_URL = "/inventory/cpl/"


@pytest.fixture
def browser(client):
    def _as(user):
        client.force_login(user)
        return client

    return _as


def test_cpl_url_name_resolves():
    assert reverse("inventory:cpl-list") == CPL_URL


def test_cpl_page_shows_a_dual_mode_tag_only_on_dual_mode_models(browser, supplier_user, dual_mode_ppmid):
    CPLEntryFactory(device_type=DeviceType.ESME, model="ESME-1")
    response = browser(supplier_user).get(CPL_URL)
    assert response.status_code == 200
    rows = {entry.model: entry.dual_mode for entry in response.context["rows"]}
    assert rows == {"PPMID-200": True, "ESME-1": False}
    assert response.content.decode().count(">Dual-mode</span>") == 2


def test_cpl_page_filters(browser, supplier_user, dual_mode_ppmid):
    CPLEntryFactory(device_type=DeviceType.ESME, model="ESME-1", status=CPLStatus.WITHDRAWN)
    client = browser(supplier_user)
    by = {
        "device_type=PPMID": {"PPMID-200"}, "status=Withdrawn": {"ESME-1"}, "manufacturer=acme": {"PPMID-200", "ESME-1"},
        "model=ESME-1": {"ESME-1"}, "smets_version=SMETS1": {"PPMID-200"}, "dual_mode=true": {"PPMID-200"},
    }
    for query, models in by.items():
        response = client.get(f"{CPL_URL}?{query}")
        assert {entry.model for entry in response.context["rows"]} == models, query
    page = client.get(CPL_URL).content.decode()
    assert '<option value="" selected>Any</option>' in page and "Unknown" not in page
    assert {entry.model for entry in client.get(f"{CPL_URL}?dual_mode=false").context["rows"]} == {"ESME-1"}


def test_cpl_page_is_keyset_paged_within_a_query_budget(browser, supplier_user, django_assert_max_num_queries):
    for n in range(55):
        CPLEntryFactory(device_type=DeviceType.IHD, model=f"IHD-{n:02d}")
    client = browser(supplier_user)
    with django_assert_max_num_queries(6):
        first = client.get(CPL_URL)
    assert len(first.context["rows"]) == 50 and first.context["next_url"]
    second = client.get(first.context["next_url"])
    assert len(second.context["rows"]) == 5 and second.context["next_url"] is None
    assert second.context["rows"][0].pk > first.context["rows"][-1].pk


def test_non_dcc_users_see_no_maintenance_and_get_403(browser, supplier_user, dual_mode_ppmid):
    client = browser(supplier_user)
    page = client.get(CPL_URL).content.decode()
    assert "Add a CPL entry" not in page and "Change status" not in page
    assert client.get(reverse("inventory:cpl-add")).status_code == 403
    entry = dual_mode_ppmid[SmetsVersion.SMETS1]
    response = client.post(reverse("inventory:cpl-set-status", args=[entry.pk]), {"status": "Withdrawn"})
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.status == CPLStatus.ACTIVE and not CPLChange.objects.exists()


def test_anonymous_users_are_sent_to_login(client):
    assert client.get(CPL_URL).status_code == 302


def test_dcc_adds_a_smets1_row_for_an_existing_smets2_ppmid(browser, dcc_user):
    CPLEntryFactory(device_type=DeviceType.PPMID, smets_version=SmetsVersion.SMETS2_PLUS, **PPMID_MODEL)
    client = browser(dcc_user)
    form = {"device_type": "PPMID", **PPMID_MODEL, "smets_version": "SMETS1", "status": "Active"}
    response = client.post(reverse("inventory:cpl-add"), form, follow=True)
    assert response.status_code == 200
    assert "Added to the CPL" in response.content.decode()
    assert CPLEntry.objects.filter(smets_version="SMETS1", **PPMID_MODEL).exists()
    assert CPLChange.objects.get().actor == dcc_user


def test_dcc_duplicate_add_shows_a_clear_message(browser, dcc_user, dual_mode_ppmid):
    form = {"device_type": "PPMID", **PPMID_MODEL, "smets_version": "SMETS2+", "status": "Active"}
    response = browser(dcc_user).post(reverse("inventory:cpl-add"), form)
    assert response.status_code == 409
    assert "already has a SMETS2+ row" in response.content.decode()
    assert CPLEntry.objects.count() == 2 and not CPLChange.objects.exists()


def test_dcc_changes_status_inline_with_htmx(browser, dcc_user, dual_mode_ppmid):
    entry = dual_mode_ppmid[SmetsVersion.SMETS1]
    response = browser(dcc_user).post(
        reverse("inventory:cpl-set-status", args=[entry.pk]), {"status": "Expired"}, HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr id="cpl-{entry.pk}">') and "Status changed to Expired." in body
    entry.refresh_from_db()
    assert entry.status == CPLStatus.EXPIRED
    assert CPLChange.objects.get().new_status == "Expired"
