"""SSI inventory pages: list (search, filters, keyset pages, htmx rows) and the device page."""
from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_sms

pytestmark = pytest.mark.django_db

LIST_URL = reverse("inventory:device-list")


@pytest.fixture
def login(client, make_user):
    def _login(party):
        client.force_login(make_user(party))
        return client

    return _login


def test_list_shows_the_parties_devices_with_a_restricted_text_column(login, estate, supplier):
    gsme = estate["a"]["GSME"]
    gsme.restricted, gsme.restricted_since = True, timezone.now()
    gsme.save()
    page = login(supplier).get(LIST_URL).content.decode()
    for device in estate["a"].values():
        assert device.device_id in page
    assert estate["b_south"]["CHF"].device_id not in page
    assert '<th scope="col" data-column="restricted">Restricted</th>' in page
    assert '<span class="tag tag-restricted">Restricted</span>' in page
    assert reverse("inventory:device-detail", args=[gsme.device_id]) in page


def test_search_and_filters_stay_in_the_url_and_feed_the_extract_form(login, estate, dcc_party):
    esme = estate["a"]["ESME"]
    page = login(dcc_party).get(LIST_URL, {"q": esme.device_id.lower(), "device_type": "ESME",
                                           "after": "00-DB-00-00-00-00-00-00"}).content.decode()
    assert esme.device_id in page
    assert estate["a"]["GSME"].device_id not in page
    extract_form = re.search(r'<form method="post" action="/inventory/extracts/".*?</form>', page, re.S).group(0)
    filters = re.search(r'name="filters" value="([^"]*)"', extract_form).group(1)
    assert html.unescape(filters) == f"q={esme.device_id.lower()}&device_type=ESME"


def test_keyset_pages_with_next_and_first_links(login, dcc_party, monkeypatch):
    from inventory.views import devices as views

    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    sms = make_sms()
    ordered = sorted(device.device_id for device in sms.values())
    client = login(dcc_party)
    first = client.get(LIST_URL, {"device_type": ""})
    assert first.context["next_after"] == ordered[2]
    second = client.get(LIST_URL, {"after": ordered[2]}).content.decode()
    assert ordered[3] in second and ordered[0] not in second
    assert "First page" in second


def test_htmx_filter_request_gets_only_the_rows_partial(login, estate, dcc_party):
    response = login(dcc_party).get(LIST_URL, {"device_type": "GSME"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="device-rows")
    page = response.content.decode()
    assert '<form method="get"' not in page and "<html" not in page
    assert estate["a"]["GSME"].device_id in page
    assert 'name="filters" value="device_type=GSME"' in page  # the extract follows the filters htmx applied
    assert "HX-Request" in response["Vary"]


def test_page_form_works_for_htmx_and_plain_get(login, supplier):
    page = login(supplier).get(LIST_URL).content.decode()
    assert 'method="get"' in page and 'hx-get="/inventory/"' in page and 'hx-push-url="true"' in page
    assert 'hx-target="#device-rows"' in page
    assert '<label for="id_restricted">' in page


def test_empty_state_says_what_to_do(login, supplier):
    page = login(supplier).get(LIST_URL, {"q": "ZZ99 9ZZ"}).content.decode()
    assert "No devices match" in page and "clear the filters" in page


def test_other_user_is_told_it_has_no_inventory_view(login, estate, other_user_party):
    page = login(other_user_party).get(LIST_URL).content.decode()
    assert "no view of the SSI inventory" in page
    assert estate["a"]["CHF"].device_id not in page


def test_invalid_filter_shows_the_error_and_no_rows(login, estate, dcc_party):
    page = login(dcc_party).get(LIST_URL, {"status": "Broken"}).content.decode()
    assert "Select a valid choice" in page
    assert estate["a"]["CHF"].device_id not in page


def test_list_query_count_is_fixed(login, dcc_party, django_assert_max_num_queries):
    client = login(dcc_party)
    for _ in range(6):
        make_sms()
    # session, user, party, column choice, supplier options, devices, bounded count
    with django_assert_max_num_queries(8):
        response = client.get(LIST_URL)
    assert len(response.context["devices"]) == 24


def test_device_page_shows_facts_cpl_sms_parties_and_restriction_panel(login, estate, supplier):
    sms = estate["a"]
    esme = sms["ESME"]
    page = login(supplier).get(reverse("inventory:device-detail", args=[esme.device_id.lower()])).content.decode()
    for text in (esme.mpxn, esme.uprn, esme.cpl_entry.manufacturer, esme.cpl_entry.hardware_version, "CPL status",
                 "Pre-notifying supplier", "Network operator", "Payment mode", "Load management", "without WAN",
                 'aria-label="Breadcrumb"', 'id="restriction-heading"'):
        assert text in page, text
    for member in sms.values():
        assert member.device_id in page
    assert reverse("inventory:device-detail", args=[sms["GSME"].device_id]) in page


def test_device_page_outside_scope_or_malformed_is_404(login, estate, supplier):
    client = login(supplier)
    assert client.get(reverse("inventory:device-detail", args=[estate["b_south"]["ESME"].device_id])).status_code == 404
    assert client.get(reverse("inventory:device-detail", args=["nonsense"])).status_code == 404


def test_pages_need_login(client, estate):
    assert client.get(LIST_URL).status_code == 302
