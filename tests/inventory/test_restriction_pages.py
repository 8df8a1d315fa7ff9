"""MP169 pages: the device page panel and its form, history CSV, and the bulk CSV upload."""
from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inventory.choices import PaymentMode
from inventory.models import Device, RestrictionChange
from portal.models import OutboxMessage
from tests.factories import make_sms


@pytest.fixture
def sms(supplier, network_operator):
    return make_sms(supplier=supplier, network_operator=network_operator)


@pytest.fixture
def browser(client, make_user):
    def _as(party):
        client.force_login(make_user(party))
        return client

    return _as


def panel_url(device) -> str:
    return reverse("inventory:restriction-device", kwargs={"device_id": device.device_id})


def test_panel_on_the_device_page_offers_the_form_to_the_responsible_supplier(browser, supplier, sms):
    page = browser(supplier).get(reverse("inventory:device-detail", kwargs={"device_id": sms["ESME"].device_id}))
    html = page.content.decode()
    assert page.status_code == 200
    assert f'action="{panel_url(sms["ESME"])}"' in html
    assert "All reasonable steps to install a fully communicating smart meter were taken" in html
    assert "Change of tenancy" in html and "Not restricted" in html
    assert re.search(r'name="csrfmiddlewaretoken" value="[A-Za-z0-9]{32,}"', html)  # the tag passes the token on


def test_panel_is_read_only_for_the_network_operator_but_shows_state_and_history(browser, supplier, network_operator,
                                                                                 sms, make_user):
    browser(supplier).post(panel_url(sms["ESME"]), {"restricted": "true", "reason_choice": "Change of tenancy",
                                                    "all_reasonable_steps_taken": "on"})
    html = browser(network_operator).get(panel_url(sms["ESME"])).content.decode()
    assert "Restricted</span> since" in html and "Change of tenancy" in html
    assert 'name="reason_choice"' not in html and "Read-only" in html
    assert "Download history (CSV)" in html


def test_responsible_supplier_is_told_why_the_form_is_not_offered(browser, supplier, sms):
    Device.objects.filter(pk=sms["ESME"].pk).update(payment_mode=PaymentMode.PREPAYMENT)
    html = browser(supplier).get(panel_url(sms["ESME"])).content.decode()
    assert 'name="reason_choice"' not in html and "credit customers only" in html


def test_form_post_sets_restricted_on_gsme_and_gpf_with_web_audit_rows(browser, supplier, sms):
    back = reverse("inventory:device-detail", kwargs={"device_id": sms["GSME"].device_id})
    response = browser(supplier).post(panel_url(sms["GSME"]), {
        "restricted": "true", "reason_choice": "Consumer refused remote collection of consumption data",
        "reason_detail": "asked by phone", "all_reasonable_steps_taken": "on", "next": back,
    }, follow=True)
    assert response.redirect_chain[-1][0] == back
    assert "Restricted mode set on" in response.content.decode()
    changes = list(RestrictionChange.objects.order_by("id"))
    assert [(c.device_id, c.channel, c.attested) for c in changes] == [
        (sms["GSME"].pk, "web", True), (sms["GPF"].pk, "web", True)]
    assert changes[0].reason == "Consumer refused remote collection of consumption data: asked by phone"
    assert len(changes[0].request_id) == 32  # the request's id, set by RequestIdMiddleware


def test_refused_form_post_shows_the_refusal_and_changes_nothing(browser, supplier, sms):
    response = browser(supplier).post(panel_url(sms["ESME"]), {
        "restricted": "true", "reason_choice": "Change of tenancy"}, follow=True)  # no attestation
    assert "all reasonable steps" in response.content.decode() and "Nothing was changed" in response.content.decode()
    assert not RestrictionChange.objects.exists() and not OutboxMessage.objects.exists()
    assert Device.objects.get(pk=sms["ESME"].pk).restricted is False


def test_form_post_by_another_party_is_refused(browser, network_operator, sms):
    response = browser(network_operator).post(panel_url(sms["ESME"]), {
        "restricted": "true", "reason_choice": "Change of tenancy", "all_reasonable_steps_taken": "on"}, follow=True)
    assert "Only the Responsible Supplier" in response.content.decode()
    assert not RestrictionChange.objects.exists()


def test_device_outside_the_users_scope_is_404(browser, other_supplier, sms):
    assert browser(other_supplier).get(panel_url(sms["ESME"])).status_code == 404


def test_history_csv_download(browser, supplier, sms):
    client = browser(supplier)
    client.post(panel_url(sms["ESME"]), {"restricted": "true", "reason_choice": "Change of tenancy",
                                         "all_reasonable_steps_taken": "on"})
    client.post(panel_url(sms["ESME"]), {"restricted": "false", "reason_detail": "=cmd()"})
    response = client.get(reverse("inventory:restriction-history-csv", kwargs={"device_id": sms["ESME"].device_id}))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["old_value"], r["new_value"], r["reason"]) for r in rows] == [
        ("true", "false", "'=cmd()"), ("false", "true", "Change of tenancy")]


# --- bulk upload ----------------------------------------------------------------------------

def upload(client, content: bytes, name: str = "changes.csv"):
    return client.post(reverse("inventory:restriction-bulk"), {"file": SimpleUploadedFile(name, content)})


def test_bulk_upload_applies_good_rows_and_reports_each_bad_row(browser, supplier, sms):
    prepay = make_sms(supplier=supplier, payment_mode=PaymentMode.PREPAYMENT)
    content = (
        "device_id,restricted,reason,all_reasonable_steps_taken\n"
        f"{sms['GSME'].device_id.lower()},true,Consumer refused,true\n"
        f"{prepay['ESME'].device_id},true,Consumer refused,true\n"
        "00-DB-XX,true,Consumer refused,true\n"
        f"{sms['ESME'].device_id},perhaps,Consumer refused,true\n"
        f"{sms['ESME'].device_id},true,,true\n"
    ).encode()
    client = browser(supplier)
    response = upload(client, content)
    html = response.content.decode()
    assert response.status_code == 200
    assert "1 of 5 rows applied; 4 refused." in html
    assert "credit customers only" in html and "not a valid Device ID" in html and "must be true or false" in html
    assert "A reason is required" in html
    assert set(Device.objects.filter(restricted=True)) == {sms["GSME"], sms["GPF"]}
    assert set(RestrictionChange.objects.values_list("channel", flat=True)) == {"bulk"}
    assert OutboxMessage.objects.count() == 1

    token = response.context["token"]
    results_csv = client.get(reverse("inventory:restriction-bulk-results", kwargs={"token": token}))
    rows = list(csv.DictReader(io.StringIO(results_csv.content.decode())))
    assert [(r["row"], r["ok"], r["code"]) for r in rows] == [
        ("1", "True", ""), ("2", "False", "prepayment_not_eligible"), ("3", "False", "invalid_device_id"),
        ("4", "False", "bad_boolean"), ("5", "False", "reason_required")]


def test_bulk_results_belong_to_the_uploading_session(browser, supplier, other_supplier, sms, client):
    response = upload(browser(supplier), b"device_id,restricted,reason\n" + sms["ESME"].device_id.encode() + b",false,x\n")
    token = response.context["token"]
    client.logout()
    client.force_login(other_supplier.users.create(username="nosy"))
    assert client.get(reverse("inventory:restriction-bulk-results", kwargs={"token": token})).status_code == 404


@pytest.mark.parametrize(("content", "message"), [
    ("device_id,restricted,reason\n00-DB-12-34-56-78-90-A0,true,Zoë\n".encode("utf-16"), "not UTF-8"),
    (b"\n\n", "needs a header row"),
    (b"device,restricted,reason\n00-DB-12-34-56-78-90-A0,true,x\n", "missing device_id"),
    (b"device_id,restricted,reason,colour\n00-DB-12-34-56-78-90-A0,true,x,red\n", "unexpected colour"),
    (b"device_id,restricted,reason\n", "no rows"),
])
def test_bulk_file_errors_are_explained_and_nothing_changes(content, message, browser, supplier, sms):
    response = upload(browser(supplier), content)
    assert message in response.content.decode() and "Nothing was changed" in response.content.decode()
    assert "results" not in response.context or not response.context.get("results")
    assert not RestrictionChange.objects.exists()


def test_bulk_file_over_the_row_limit_is_refused_whole(browser, supplier, sms, settings):
    rows = "".join(f"{sms['ESME'].device_id},false,x\n" for _ in range(501))
    response = upload(browser(supplier), ("device_id,restricted,reason\n" + rows).encode())
    assert "more than 500 rows" in response.content.decode()
    assert not RestrictionChange.objects.exists()
