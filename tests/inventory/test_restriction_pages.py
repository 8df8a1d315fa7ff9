"""MP169 pages: the device page panel and its form, history CSV, and the bulk CSV upload."""
from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from inventory.choices import PaymentMode
from inventory.models import Device, RestrictionBulkJob, RestrictionChange
from inventory.services.restriction import BULK_JOB_MAX_ROWS
from portal.models import OutboxMessage
from tests.factories import make_sms


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
    client.post(panel_url(sms["ESME"]), {"restricted": "false", "reason_choice": "other", "reason_detail": "=cmd()"})
    response = client.get(reverse("inventory:restriction-history-csv", kwargs={"device_id": sms["ESME"].device_id}))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["old_value"], r["new_value"], r["reason"]) for r in rows] == [
        ("true", "false", "'=cmd()"), ("false", "true", "Change of tenancy")]


# --- bulk upload ----------------------------------------------------------------------------

def upload(client, content: bytes, name: str = "changes.csv", follow: bool = True, confirm: bool = True):
    """Upload a file (the check step) and, if it was accepted and ``confirm``, confirm it (the job runs)."""
    response = client.post(reverse("inventory:restriction-bulk"), {"file": SimpleUploadedFile(name, content)},
                           follow=follow)
    job = RestrictionBulkJob.objects.order_by("-id").first()
    if not confirm or job is None or job.status != "checked" or response.status_code not in (200, 302):
        return response
    assert not RestrictionChange.objects.filter(request_id=job.request_id).exists()  # the check changed nothing
    return client.post(reverse("inventory:restriction-bulk-confirm", kwargs={"job_id": job.pk}), follow=follow)


def results_csv_rows(client, job: RestrictionBulkJob) -> list[dict]:
    response = client.get(reverse("inventory:restriction-bulk-results", kwargs={"job_id": job.pk}))
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


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
    job = RestrictionBulkJob.objects.get()
    assert response.redirect_chain == [(reverse("inventory:restriction-bulk-job", kwargs={"job_id": job.pk}), 302)]
    assert "1 of 5 rows applied; 4 refused." in html
    assert "credit customers only" in html and "not a valid Device ID" in html and "must be true or false" in html
    assert "A reason is required" in html
    assert set(Device.objects.filter(restricted=True)) == {sms["GSME"], sms["GPF"]}
    assert set(RestrictionChange.objects.values_list("channel", flat=True)) == {"bulk"}
    assert OutboxMessage.objects.count() == 1
    assert (job.status, job.total_rows, job.applied_count, job.refused_count) == ("done", 5, 1, 4)

    rows = results_csv_rows(client, job)
    assert [(r["row"], r["ok"], r["code"]) for r in rows] == [  # spreadsheet rows: the header is row 1
        ("2", "true", ""), ("3", "false", "prepayment_not_eligible"), ("4", "false", "invalid_device_id"),
        ("5", "false", "bad_boolean"), ("6", "false", "reason_required")]
    gsme_changes = RestrictionChange.objects.filter(device=sms["GSME"]).values_list("pk", flat=True)
    gpf_changes = RestrictionChange.objects.filter(device=sms["GPF"]).values_list("pk", flat=True)
    assert rows[0]["change_ids"] == f"{gsme_changes[0]} {gpf_changes[0]}"

    refused_only = client.get(reverse("inventory:restriction-bulk-job", kwargs={"job_id": job.pk}), {"outcome": "refused"})
    assert [row.row_number for row in refused_only.context["rows"]] == [3, 4, 5, 6]


def test_bulk_results_belong_to_the_uploading_party(browser, supplier, other_supplier, sms, client, make_user):
    upload(browser(supplier), b"device_id,restricted,reason\n" + sms["ESME"].device_id.encode() + b",false,x\n")
    job = RestrictionBulkJob.objects.get()
    colleague = Client()
    colleague.force_login(make_user(supplier))
    assert colleague.get(reverse("inventory:restriction-bulk-job", kwargs={"job_id": job.pk})).status_code == 200
    client.logout()
    client.force_login(make_user(other_supplier))
    assert client.get(reverse("inventory:restriction-bulk-job", kwargs={"job_id": job.pk})).status_code == 404
    assert client.get(reverse("inventory:restriction-bulk-results", kwargs={"job_id": job.pk})).status_code == 404
    assert job.pk not in [j.pk for j in client.get(reverse("inventory:restriction-bulk")).context["jobs"]]


def test_a_network_operator_cannot_start_a_bulk_job(browser, network_operator, sms):
    response = upload(browser(network_operator), b"device_id,restricted,reason\n" + sms["ESME"].device_id.encode()
                      + b",true,x\n")
    assert "Only an energy supplier can change Restricted mode" in response.content.decode()
    assert not RestrictionBulkJob.objects.exists() and not RestrictionChange.objects.exists()


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
    assert not RestrictionBulkJob.objects.exists()
    assert not RestrictionChange.objects.exists()


def test_bulk_file_over_the_row_limit_is_refused_whole(browser, supplier, sms, settings):
    rows = f"{sms['ESME'].device_id},false,x\n" * (BULK_JOB_MAX_ROWS + 1)
    response = upload(browser(supplier), ("device_id,restricted,reason\n" + rows).encode())
    assert f"more than {BULK_JOB_MAX_ROWS:,} rows" in response.content.decode()
    assert not RestrictionBulkJob.objects.exists() and not RestrictionChange.objects.exists()


# --- errors on the form (GOV.UK error summary and messages, issue #19 item 1) -------------------

def test_a_refused_form_is_the_device_page_again_with_every_error_and_the_answers_kept(browser, supplier, sms):
    device_page = reverse("inventory:device-detail", kwargs={"device_id": sms["ESME"].device_id})
    response = browser(supplier).post(panel_url(sms["ESME"]), {
        "restricted": "true", "reason_choice": "other", "reason_detail": "", "next": device_page})
    html = response.content.decode()
    assert response.status_code == 400  # no redirect: the same page, with the answers
    assert re.search(r"<title>Error: ", html)
    summary = html[html.index('class="error-summary"'):html.index("</ul>", html.index('class="error-summary"'))]
    assert 'href="#id_reason_detail"' in summary and 'href="#id_all_reasonable_steps_taken"' in summary
    assert "Describe the reason in Details" in summary and "Confirm that all reasonable steps" in summary
    assert re.search(r'<textarea[^>]*aria-invalid="true"[^>]*aria-describedby="id_reason_detail_helptext '
                     r'id_reason_detail_error"|<textarea[^>]*aria-describedby="id_reason_detail_helptext '
                     r'id_reason_detail_error"[^>]*aria-invalid="true"', html)
    assert re.search(r'<input type="radio" name="restricted" value="true"[^>]*checked', html)  # the answer is kept
    assert re.search(r'<input type="radio" name="reason_choice" value="other"[^>]*checked', html)
    assert '<h2 id="facts-heading">' in html  # the device page itself, not a bare form
    assert not RestrictionChange.objects.exists() and Device.objects.get(pk=sms["ESME"].pk).restricted is False


def test_an_empty_submit_names_each_missing_answer_at_once(browser, supplier, sms):
    response = browser(supplier).post(panel_url(sms["ESME"]), {})
    items = re.findall(r'<li><a href="#([a-z_0-9]+)">([^<]+)</a></li>', response.content.decode())
    assert [anchor for anchor, _message in items] == ["id_restricted_0", "id_reason_choice_0"]
    assert response.status_code == 400 and "<title>Error: Restricted mode" in response.content.decode()


def test_a_refusal_by_the_service_is_shown_on_the_form_beside_its_field(browser, supplier, sms):
    response = browser(supplier).post(panel_url(sms["ESME"]), {"restricted": "false", "reason_choice": "Change of tenancy"})
    html = response.content.decode()  # the meter is not restricted: clearing it is the service's Conflict (409)
    assert response.status_code == 409 and "is not restricted: nothing was changed." in html
    assert html.count("othing was changed") == 1  # said once, in the error summary
    assert re.search(r'<input type="radio" name="reason_choice" value="Change of tenancy"[^>]*checked', html)


def test_another_partys_post_is_the_not_allowed_page_with_the_reason(browser, network_operator, sms):
    response = browser(network_operator).post(panel_url(sms["ESME"]), {"restricted": "true"})
    assert response.status_code == 403 and "Only the Responsible Supplier" in response.content.decode()
    assert 'name="reason_choice"' not in response.content.decode()
