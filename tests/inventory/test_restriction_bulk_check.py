"""The restriction bulk upload (MP169, issue 19 item 7): check (nothing changed), confirm, counts by reason, the
refused rows as a CSV to fix and upload again, the template, spreadsheet row numbers; the same through REST."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inventory.choices import PaymentMode
from inventory.models import Device, RestrictionBulkJob, RestrictionChange
from inventory.services.restriction import restriction_bulk_parse_csv
from portal.choices import JobStatus
from portal.models import OutboxMessage
from tests.factories import make_sms

HEADER = "device_id,restricted,reason,all_reasonable_steps_taken\n"


@pytest.fixture
def browser(make_user):
    def _as(party) -> Client:
        client = Client()
        client.force_login(make_user(party))
        return client

    return _as


def upload(client: Client, content: str, name: str = "changes.csv"):
    return client.post(reverse("inventory:restriction-bulk"), {"file": SimpleUploadedFile(name, content.encode())},
                       follow=True)


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_check_changes_nothing_and_counts_rows_by_outcome_and_reason(browser, supplier, sms):
    prepay = make_sms(supplier=supplier, gas=False, payment_mode=PaymentMode.PREPAYMENT)
    restricted = make_sms(supplier=supplier, gas=False)
    Device.objects.filter(pk=restricted["ESME"].pk).update(restricted=True, restricted_since=timezone.now())
    content = HEADER + (
        f"{sms['ESME'].device_id},true,Consumer refused,true\n"
        f"{restricted['ESME'].device_id},false,Change of tenancy,false\n"
        f"{prepay['ESME'].device_id},true,Consumer refused,true\n"
        f"{sms['GSME'].device_id},true,,true\n"
        f"{sms['GSME'].device_id},true,Consumer refused,false\n"
        "00-DB-FF-FF-FF-FF-FF-01,true,Consumer refused,true\n"
    )
    client = browser(supplier)

    response = upload(client, content)

    job = RestrictionBulkJob.objects.get()
    html = response.content.decode()
    assert job.status == JobStatus.CHECKED
    assert not RestrictionChange.objects.exists() and not OutboxMessage.objects.exists()
    assert job.preview["outcomes"] == {"set": 1, "clear": 1, "refused": 4}
    assert {reason["code"]: reason["rows"] for reason in job.preview["reasons"]} == {
        "prepayment_not_eligible": [4], "reason_required": [5], "attestation_required": [6],
        "device_not_found": [7]}
    assert "Nothing has been changed yet" in html and "Confirm and apply 2 rows" in html
    assert "Warning:" in html and "the header is row 1" in html

    response = client.post(reverse("inventory:restriction-bulk-confirm", kwargs={"job_id": job.pk}), follow=True)

    job.refresh_from_db()
    assert (job.status, job.applied_count, job.refused_count) == (JobStatus.DONE, 2, 4)
    # the job refused what the check said it would, for the same reasons
    assert sorted(job.results.filter(ok=False).values_list("row_number", "code")) == [
        (4, "prepayment_not_eligible"), (5, "reason_required"), (6, "attestation_required"), (7, "device_not_found")]
    html = response.content.decode()
    assert 'class="message warning"' in html and "2 of 6 rows applied; 4 refused." in html
    assert 'class="message success"' not in html
    assert [reason["count"] for reason in response.context["reasons"]] == [1, 1, 1, 1]


def test_the_refused_rows_csv_can_be_fixed_and_uploaded_again(browser, supplier, sms):
    client = browser(supplier)
    upload(client, HEADER + f"{sms['ESME'].device_id},true,,true\n{sms['GSME'].device_id},true,Consumer refused,\n")
    job = RestrictionBulkJob.objects.get()
    client.post(reverse("inventory:restriction-bulk-confirm", kwargs={"job_id": job.pk}))

    refused = csv_rows(client.get(reverse("inventory:restriction-bulk-refused", kwargs={"job_id": job.pk})))

    assert refused[0] == ["row", "device_id", "restricted", "reason", "all_reasonable_steps_taken", "refused_because"]
    assert [row[:5] for row in refused[1:]] == [
        ["2", sms["ESME"].device_id, "true", "", "true"], ["3", sms["GSME"].device_id, "true", "Consumer refused", ""]]
    assert "reason is required" in refused[1][5] and "reasonable steps" in refused[2][5]

    # The user fills in the reason and the attestation in that file and uploads it as it is.
    refused[1][3] = "Consumer refused remote collection of consumption data"
    refused[2][4] = "true"
    fixed = io.StringIO()
    csv.writer(fixed).writerows(refused)
    upload(client, fixed.getvalue(), name="refused-fixed.csv")
    second = RestrictionBulkJob.objects.latest("id")
    assert second.preview["outcomes"] == {"set": 2, "clear": 0, "refused": 0}
    response = client.post(reverse("inventory:restriction-bulk-confirm", kwargs={"job_id": second.pk}), follow=True)

    second.refresh_from_db()
    assert (second.status, second.applied_count, second.refused_count) == (JobStatus.DONE, 2, 0)
    assert 'class="message success"' in response.content.decode()
    assert "2 of 2 rows applied; none refused." in response.content.decode()
    assert set(Device.objects.filter(restricted=True)) == {sms["ESME"], sms["GSME"], sms["GPF"]}
    # the row numbers of the first upload are kept in the re-uploaded file's own numbering
    assert list(second.results.values_list("row_number", flat=True)) == [2, 3]


def test_the_template_csv_is_an_upload_the_parser_reads(browser, supplier):
    response = browser(supplier).get(reverse("inventory:restriction-bulk-template"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = restriction_bulk_parse_csv(response.content)
    assert [(row["device_id"], row["restricted"], row["__row__"]) for row in rows] == [
        ("00-DB-12-34-56-78-90-A0", "true", 2), ("00-DB-12-34-56-78-90-B1", "false", 3)]


def test_rest_check_then_confirm(api_client_for, supplier, sms):
    api = api_client_for(supplier)
    changes = [{"device_id": sms["ESME"].device_id, "restricted": True, "reason": "Consumer refused",
                "all_reasonable_steps_taken": True},
               {"device_id": "00-DB-FF-FF-FF-FF-FF-02", "restricted": True, "reason": "Consumer refused",
                "all_reasonable_steps_taken": True}]

    checked = api.post(reverse("api-restriction-bulk-jobs"), {"changes": changes, "check": True}, format="json")

    body = checked.json()
    assert checked.status_code == 201 and body["status"] == "checked" and not RestrictionChange.objects.exists()
    assert body["preview"]["outcomes"] == {"set": 1, "clear": 0, "refused": 1}
    assert body["preview"]["reasons"][0] == {"code": "device_not_found", "count": 1, "rows": [2],
                                             "detail": body["preview"]["reasons"][0]["detail"]}

    confirmed = api.post(body["confirm"])

    assert confirmed.status_code == 201 and confirmed.json()["status"] == "done"
    assert (confirmed.json()["applied_count"], confirmed.json()["refused_count"]) == (1, 1)
    assert api.post(body["confirm"]).json()["code"] == "already_confirmed"
    assert Device.objects.get(pk=sms["ESME"].pk).restricted


def test_another_party_cannot_confirm_a_checked_upload(browser, supplier, other_supplier, sms):
    upload(browser(supplier), HEADER + f"{sms['ESME'].device_id},true,Consumer refused,true\n")
    job = RestrictionBulkJob.objects.get()

    response = browser(other_supplier).post(reverse("inventory:restriction-bulk-confirm", kwargs={"job_id": job.pk}))

    job.refresh_from_db()
    assert response.status_code == 404 and job.status == JobStatus.CHECKED and not RestrictionChange.objects.exists()


def test_a_check_never_confirmed_is_deleted_after_a_day_and_can_no_longer_be_confirmed(browser, supplier, sms):
    """Checked uploads hold the file's rows; the beat task deletes those left unconfirmed for a day
    (``portal.jobs.CHECKED_JOB_LIFETIME``) and keeps fresh checks and every confirmed job."""
    from portal.tasks import job_checks_expire_task

    client = browser(supplier)
    row = f"{sms['ESME'].device_id},true,Consumer refused,true\n"
    response = upload(client, HEADER + row)
    assert "Confirm within 24 hours" in response.content.decode()
    old = RestrictionBulkJob.objects.get()
    upload(client, HEADER + row)
    fresh = RestrictionBulkJob.objects.exclude(pk=old.pk).get()
    confirmed_long_ago = RestrictionBulkJob.objects.create(
        party=supplier, user=old.user, rows=[], total_rows=0, status=JobStatus.DONE)
    a_day_ago = timezone.now() - dt.timedelta(hours=24, minutes=1)
    RestrictionBulkJob.objects.filter(pk__in=[old.pk, confirmed_long_ago.pk]).update(created_at=a_day_ago)

    assert job_checks_expire_task() == 1

    assert set(RestrictionBulkJob.objects.values_list("pk", flat=True)) == {fresh.pk, confirmed_long_ago.pk}
    response = client.post(reverse("inventory:restriction-bulk-confirm", args=[old.pk]))
    assert response.status_code == 404
    assert not RestrictionChange.objects.exists() and not Device.objects.get(pk=sms["ESME"].pk).restricted
    assert job_checks_expire_task() == 0  # nothing more to delete
