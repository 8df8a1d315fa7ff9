"""Issue 19 item 4, the SSI inventory list: Restricted beside the Device ID, human labels, a result count
(estimated past a bound, and said so), a payment-mode filter (page, REST list and extract), columns a user
chooses and keeps, and a search that names one device exactly opens it. Also the device page's actions."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from inventory import tables
from inventory.choices import DeviceStatus, PaymentMode
from inventory.models import Device, ListColumnPreference
from inventory.selectors import devices as device_selectors
from tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("inventory:device-list")
COLUMNS_URL = reverse("inventory:device-list-columns")


@pytest.fixture
def login(client, make_user):
    def _login(party, user=None):
        user = user or make_user(party)
        client.force_login(user)
        client.user = user
        return client

    return _login


def header_names(page: str) -> list[str]:
    """The list's column headers in order (the Device ID first)."""
    table = re.search(r'<table class="compact striped device-table">.*?</thead>', page, re.S).group(0)
    return re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', table)


def listed_ids(page: str) -> set[str]:
    return set(re.findall(r'<th scope="row" class="mono"><a href="/inventory/devices/[^/]+/">([^<]+)</a>', page))


def test_restricted_is_the_column_beside_the_device_id_and_statuses_read_as_words(login, estate, supplier):
    page = login(supplier).get(LIST_URL).content.decode()
    assert header_names(page)[:2] == ["Device ID", "Restricted"]
    # The pre-notified device is Installed not commissioned: its label, never the DUIS spelling.
    table = page[page.index('<table class="compact striped device-table">'):]
    assert "Installed not commissioned" in table and "InstalledNotCommissioned" not in table
    assert '<abbr title="Electricity Smart Metering Equipment">ESME</abbr>' in page


def test_the_count_is_exact_and_follows_the_filters(login, estate, supplier, dcc_party):
    page = login(supplier).get(LIST_URL).content.decode()
    assert len(listed_ids(page)) == 5
    assert "<strong>5 devices</strong>" in page and "estimated" not in page
    page = login(supplier).get(LIST_URL, {"device_type": "ESME"}).content.decode()
    assert "<strong>2 devices</strong> match this search and these filters" in page
    postcode = estate["a"]["CHF"].postcode
    at_postcode = Device.objects.filter(postcode=postcode).count()
    assert at_postcode >= 4
    page = login(dcc_party).get(LIST_URL, {"q": postcode}).content.decode()
    assert f"<strong>{at_postcode} devices</strong>" in page  # premises: a postcode lists, never opens


def test_past_the_bound_the_count_is_the_planners_estimate_and_says_so(login, estate, dcc_party, monkeypatch):
    monkeypatch.setattr(device_selectors, "EXACT_COUNT_LIMIT", 3)
    response = login(dcc_party).get(LIST_URL)
    count = response.context["count"]
    assert count.estimated and count.value >= 4  # never shown as fewer than the bound it passed
    page = response.content.decode()
    assert f"<strong>About {count.value:,} devices</strong>" in page
    assert "estimated by the database" in page


def test_payment_mode_filters_the_page_the_api_and_the_extract(login, api_client_for, estate, supplier):
    prepay = estate["a"]["ESME"]
    prepay.payment_mode = PaymentMode.PREPAYMENT
    prepay.save()
    page = login(supplier).get(LIST_URL, {"payment_mode": "Prepayment"}).content.decode()
    assert listed_ids(page) == {prepay.device_id}
    assert '<label for="id_payment_mode">Payment mode' in page
    credit = login(supplier).get(LIST_URL, {"payment_mode": "Credit"}).content.decode()
    assert prepay.device_id not in listed_ids(credit) and len(listed_ids(credit)) == 4
    api = api_client_for(supplier)
    body = api.get("/api/v1/devices/", {"payment_mode": "Prepayment"}).json()
    assert [row["device_id"] for row in body["results"]] == [prepay.device_id]
    refused = api.get("/api/v1/devices/", {"payment_mode": "Cash"})
    assert refused.status_code == 400 and "payment_mode" in refused.json()["errors"]
    extract = api.get("/api/v1/devices/extract/", {"format": "csv", "payment_mode": "Prepayment"})
    lines = b"".join(extract.streaming_content).decode().splitlines()
    assert len(lines) == 2 and lines[1].startswith(prepay.device_id)


def test_chosen_columns_are_kept_for_the_user_and_can_be_reset(login, estate, supplier, make_user, client):
    user = make_user(supplier)
    login(supplier, user)
    saved = client.post(COLUMNS_URL, {"columns": ["status", "uprn", "no_such_column"], "filters": "device_type=ESME"})
    assert saved.status_code == 302 and saved["Location"] == f"{LIST_URL}?device_type=ESME"
    assert ListColumnPreference.objects.get(user=user).columns == ["status", "uprn"]
    # Kept for the account: a new session (another browser) shows the same columns.
    client.logout()
    login(supplier, user)
    page = client.get(LIST_URL).content.decode()
    assert header_names(page) == ["Device ID", "SMI status", "UPRN"]
    assert estate["a"]["ESME"].uprn in page
    assert 'value="uprn" id="column-uprn" checked' in page and 'value="mpxn" id="column-mpxn">' in page
    client.post(COLUMNS_URL, {"action": "reset"})
    assert header_names(client.get(LIST_URL).content.decode())[:2] == ["Device ID", "Restricted"]
    assert not ListColumnPreference.objects.filter(user=user).exists()
    # Another user of the same party keeps the defaults.
    assert "SMI status" in header_names(login(supplier).get(LIST_URL).content.decode())


def test_choosing_no_column_keeps_the_device_id(login, estate, supplier):
    client = login(supplier)
    client.post(COLUMNS_URL, {"action": "save"})
    assert header_names(client.get(LIST_URL).content.decode()) == ["Device ID"]


def test_a_registered_column_can_be_chosen_and_prepares_its_queryset(login, estate, supplier, monkeypatch):
    """Another feature (MP169's "Restricted in SMS" marker) adds a column with one call."""
    monkeypatch.setattr(tables, "_DEVICE_COLUMNS", dict(tables._DEVICE_COLUMNS))
    prepared = []

    def prepare(queryset):
        prepared.append(True)
        return queryset.select_related("hub")

    tables.register_device_column(
        tables.Column("hub", "Hub", lambda d: d.hub.device_id if d.hub else "none", default=False, prepare=prepare),
        after="restricted")
    client = login(supplier)
    assert 'value="hub" id="column-hub">' in client.get(LIST_URL).content.decode()
    assert prepared == []  # a hidden column costs nothing
    client.post(COLUMNS_URL, {"columns": ["restricted", "hub"]})
    page = client.get(LIST_URL).content.decode()
    assert header_names(page) == ["Device ID", "Restricted", "Hub"] and prepared
    assert estate["a"]["CHF"].device_id in re.findall(r'data-column="hub">([^<]*)<', page)


@pytest.mark.parametrize("field", ["device_id", "device_id_lower", "device_id_bare", "mpxn"])
def test_a_search_naming_one_device_opens_it(login, estate, supplier, field):
    esme = estate["a"]["ESME"]
    q = {"device_id": esme.device_id, "device_id_lower": esme.device_id.lower(),
         "device_id_bare": esme.device_id.replace("-", ""), "mpxn": esme.mpxn}[field]
    response = login(supplier).get(LIST_URL, {"q": q})
    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:device-detail", args=[esme.device_id])


def test_htmx_search_opens_the_device_with_a_client_redirect(login, estate, supplier):
    esme = estate["a"]["ESME"]
    response = login(supplier).get(LIST_URL, {"q": esme.device_id}, HTTP_HX_REQUEST="true",
                                   HTTP_HX_TARGET="device-rows")
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("inventory:device-detail", args=[esme.device_id])


def test_searches_that_do_not_name_one_device_stay_a_list(login, estate, supplier, other_supplier):
    esme = estate["a"]["ESME"]
    client = login(supplier)
    # With another filter the user asked for a list.
    assert client.get(LIST_URL, {"q": esme.device_id, "device_type": "ESME"}).status_code == 200
    # A UPRN names premises.
    lone = DeviceFactory(responsible_supplier=supplier, uprn="998877665544", hub=None)
    assert client.get(LIST_URL, {"q": lone.uprn}).status_code == 200
    # Outside the party's scope is no match at all, never a redirect that leaks it.
    other = estate["b_south"]["ESME"]
    response = client.get(LIST_URL, {"q": other.device_id})
    assert response.status_code == 200 and "No devices match" in response.content.decode()


def test_device_page_offers_an_install_code_request_only_where_the_service_would_accept_it(
        login, estate, supplier, other_supplier, network_operator):
    changed = estate["changed"]  # Installed not commissioned, responsible: supplier B, pre-notified by A
    url = reverse("inventory:device-detail", args=[changed.device_id])
    link = f'{reverse("incidents:incident-raise")}?device_id={changed.device_id}'
    assert link in login(other_supplier).get(url).content.decode()
    assert "Request an install code" not in login(supplier).get(url).content.decode()  # the pre-notifier
    commissioned = estate["b_south"]["ESME"]
    page = login(other_supplier).get(reverse("inventory:device-detail", args=[commissioned.device_id])).content.decode()
    assert "Request an install code" not in page
    # The form opens with the Device ID filled in.
    form = login(other_supplier).get(link).content.decode()
    assert f'value="{changed.device_id}"' in form


@pytest.mark.parametrize(("device_type", "smets_version"), [
    ("CHF", "SMETS2+"), ("GPF", "SMETS2+"), ("ESME", "SMETS1"), ("GSME", "SMETS1"),
])
def test_device_page_offers_no_install_code_request_outside_smets2_type_1_devices(
        login, estate, supplier, other_supplier, device_type, smets_version):
    """R121-2: a hub, a GPF or a SMETS1 meter in the same position as ``estate["changed"]`` (whose page does
    offer the request to the gaining supplier) gets no link: the request would be refused."""
    device = DeviceFactory(
        device_type=device_type, smets_version=smets_version, status=DeviceStatus.INSTALLED_NOT_COMMISSIONED,
        date_commissioned=None, responsible_supplier=other_supplier, prenotifying_supplier=supplier, mpxn="",
    )
    client = login(other_supplier)
    assert "Request an install code" in client.get(
        reverse("inventory:device-detail", args=[estate["changed"].device_id])).content.decode()
    response = client.get(reverse("inventory:device-detail", args=[device.device_id]))
    assert response.status_code == 200
    assert "Request an install code" not in response.content.decode()


def test_device_page_shows_the_cpl_fields_once_with_labels(login, estate, supplier):
    esme = estate["a"]["ESME"]
    page = login(supplier).get(reverse("inventory:device-detail", args=[esme.device_id])).content.decode()
    for label in ("Manufacturer", "Model", "Hardware version", "Firmware version"):
        assert page.count(f"<dt>{label}</dt>") == 1, label
    assert "<dd>Commissioned</dd>" in page
    assert "Join this device to a hub" not in page  # commissioned: installed already


def test_a_pending_device_offers_the_join(login, supplier):
    pending = DeviceFactory(device_type="PPMID", responsible_supplier=supplier, hub=None,
                            status=DeviceStatus.PENDING, date_commissioned=None)
    page = login(supplier).get(reverse("inventory:device-detail", args=[pending.device_id])).content.decode()
    assert reverse("inventory:device-join", args=[pending.device_id]) in page


def test_the_join_page_of_a_device_that_cannot_join_explains_why(login, estate, supplier):
    hub = estate["a"]["CHF"]
    page = login(supplier).get(reverse("inventory:device-join", args=[hub.device_id])).content.decode()
    assert "cannot be joined to a hub" in page and "is itself a hub" in page
    assert 'name="hub_id"' not in page
