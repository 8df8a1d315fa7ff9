"""The install-code bulk upload (R121-8, issue 19 item 7): check (nothing raised), confirm, counts by reason, the
refused rows as a CSV to fix and upload again, spreadsheet row numbers; R121-9: no install code kept from a
``device_id`` cell or a file name, nor sent in the summary email."""
from __future__ import annotations

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from incidents.models import Incident, IncidentBulkJob, IncidentBulkRow
from incidents.services import MASKED_DEVICE_ID, parse_device_id_csv
from inventory.choices import DeviceStatus
from portal.choices import JobStatus
from portal.models import OutboxMessage
from tests.incidents.conftest import INSTALL_CODE


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(client: Client, content: str, name: str = "devices.csv"):
    return client.post(reverse("incidents:bulk-upload"),
                       {"file": SimpleUploadedFile(name, content.encode(), content_type="text/csv")}, follow=True)


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_check_raises_nothing_and_counts_the_rows_by_outcome_and_reason(gaining_user, make_device, raise_request):
    fresh = [make_device() for _ in range(2)]
    already = make_device()
    open_request = raise_request(already)
    commissioned = make_device(status=DeviceStatus.COMMISSIONED)
    content = ("device_id\n" + "\n".join(d.device_id for d in fresh) + f"\n{already.device_id}\n"
               f"{commissioned.device_id}\n\n00-DB-FF-FF-FF-FF-FF-01\n00-DB-FF-FF-FF-FF-FF-02\n")
    client = client_for(gaining_user)

    response = upload(client, content)

    job = IncidentBulkJob.objects.get()
    html = response.content.decode()
    assert job.status == JobStatus.CHECKED and Incident.objects.count() == 1  # only the request raised before
    assert job.preview["outcomes"] == {"raise": 2, "existing": 1, "refused": 3}
    reasons = {reason["code"]: (reason["count"], reason["rows"]) for reason in job.preview["reasons"]}
    # spreadsheet rows: the header is row 1, and the blank line (row 6) still counts
    assert reasons == {"device_not_found": (2, [7, 8]), "device_status_not_eligible": (1, [5])}
    assert "Nothing has been changed yet" in html and "Confirm and apply 3 rows" in html
    assert "Rows that would be refused, by reason" in html and "Row 5" in html and "Rows 7, 8" in html
    assert "the header is row 1" in html

    response = client.post(reverse("incidents:bulk-job-confirm", args=[job.pk]), follow=True)

    job.refresh_from_db()
    assert (job.status, job.created_count, job.failed_count) == (JobStatus.DONE, 2, 3)
    assert Incident.objects.count() == 3
    assert IncidentBulkRow.objects.get(job=job, row_number=4).reference == open_request.reference
    html = response.content.decode()
    assert 'class="message warning"' in html and "3 of 6 rows applied; 3 refused." in html
    assert 'class="message success"' not in html
    assert [(r["code"], r["count"], r["first_row"]) for r in response.context["reasons"]] == [
        ("device_not_found", 2, 7), ("device_status_not_eligible", 1, 5)]

    again = client.post(reverse("incidents:bulk-job-confirm", args=[job.pk]), follow=True)
    assert "already confirmed" in again.content.decode() and Incident.objects.count() == 3


def test_the_refused_rows_csv_can_be_fixed_and_uploaded_again(gaining_user, make_device):
    good, later = make_device(), make_device()
    client = client_for(gaining_user)
    upload(client, f"device_id\n{good.device_id}\n00-DB-12-34\n00-DB-FF-FF-FF-FF-FF-03\n")
    job = IncidentBulkJob.objects.get()

    checked = csv_rows(client.get(reverse("incidents:bulk-job-refused", args=[job.pk])))  # before confirming

    assert checked[0] == ["row", "device_id", "refused_because"]
    assert [row[:2] for row in checked[1:]] == [["3", "00-DB-12-34"], ["4", "00-DB-FF-FF-FF-FF-FF-03"]]
    assert "not in the Smart Metering Inventory" in checked[2][2]
    client.post(reverse("incidents:bulk-job-confirm", args=[job.pk]))
    refused = csv_rows(client.get(reverse("incidents:bulk-job-refused", args=[job.pk])))
    assert refused == checked  # the job refused what the check said it would

    # The user fixes the two Device IDs in the downloaded file and uploads it as it is (row, reason columns and all).
    fixed = io.StringIO()
    writer = csv.writer(fixed)
    writer.writerow(refused[0])
    writer.writerow([refused[1][0], later.device_id, refused[1][2]])
    writer.writerow([refused[2][0], good.device_id, refused[2][2]])
    response = upload(client, fixed.getvalue(), name="refused-fixed.csv")
    second = IncidentBulkJob.objects.latest("id")
    assert second.preview["outcomes"] == {"raise": 1, "existing": 1, "refused": 0}
    response = client.post(reverse("incidents:bulk-job-confirm", args=[second.pk]), follow=True)

    second.refresh_from_db()
    assert (second.status, second.created_count, second.failed_count) == (JobStatus.DONE, 1, 0)
    assert 'class="message success"' in response.content.decode()
    assert "2 of 2 rows applied; none refused." in response.content.decode()
    assert Incident.objects.filter(device__in=[good, later]).count() == 2


def test_the_template_csv_is_an_upload_the_parser_reads(gaining_user):
    response = client_for(gaining_user).get(reverse("incidents:bulk-template"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = parse_device_id_csv(response.content)
    assert list(rows) == ["00-DB-12-34-56-78-90-A0", "00-DB-12-34-56-78-90-B1"] and rows.line_numbers == [2, 3]


def test_rest_check_then_confirm(api_client_for, gaining, make_device):
    devices = [make_device() for _ in range(2)]
    api = api_client_for(gaining)

    checked = api.post(reverse("api-install-code-request-bulk"),
                       {"device_ids": [d.device_id for d in devices] + ["00-DB-FF-FF-FF-FF-FF-04"], "check": True},
                       format="json")

    body = checked.json()
    assert checked.status_code == 201 and body["status"] == "checked" and not Incident.objects.exists()
    assert body["preview"]["outcomes"] == {"raise": 2, "existing": 0, "refused": 1}
    assert body["preview"]["reasons"][0]["code"] == "device_not_found" and body["preview"]["reasons"][0]["rows"] == [3]

    confirmed = api.post(body["confirm"])

    assert confirmed.status_code == 201 and confirmed.json()["status"] == "done"
    assert (confirmed.json()["created_count"], confirmed.json()["failed_count"]) == (2, 1)
    again = api.post(body["confirm"])
    assert again.status_code == 422 and again.json()["code"] == "already_confirmed"
    assert Incident.objects.count() == 2


def test_an_install_code_in_the_device_id_column_is_never_stored_shown_or_emailed(gaining_user, make_device):
    device = make_device()
    spaced = "3031 3233 3435 3637 3839 4142 4344 4546"
    client = client_for(gaining_user)

    upload(client, f"device_id\n{device.device_id}\n{INSTALL_CODE}\n{spaced}\n", name=f"{INSTALL_CODE}.csv")
    job = IncidentBulkJob.objects.get()
    check_page = client.get(reverse("incidents:bulk-job", args=[job.pk])).content.decode()
    checked_csv = b"".join(client.get(reverse("incidents:bulk-job-refused", args=[job.pk])).streaming_content)
    client.post(reverse("incidents:bulk-job-confirm", args=[job.pk]))
    job.refresh_from_db()

    assert job.file_name == "" and job.device_ids == [device.device_id, MASKED_DEVICE_ID, MASKED_DEVICE_ID]
    rows = {row.row_number: row for row in IncidentBulkRow.objects.filter(job=job)}
    assert rows[2].ok and not rows[3].ok and rows[3].code == "install_code_in_device_id"
    assert rows[3].device_id == rows[4].device_id == MASKED_DEVICE_ID
    page = client.get(reverse("incidents:bulk-job", args=[job.pk])).content.decode()
    results = b"".join(client.get(reverse("incidents:bulk-job-results", args=[job.pk])).streaming_content)
    refused = b"".join(client.get(reverse("incidents:bulk-job-refused", args=[job.pk])).streaming_content)
    emails = " ".join(f"{m.subject} {m.body}" for m in OutboxMessage.objects.all())
    assert OutboxMessage.objects.exists() and f"upload #{job.pk}" in emails
    compact = INSTALL_CODE.lower()
    for text in (check_page, page, results.decode(), refused.decode(), checked_csv.decode(), emails):
        assert compact not in text.lower().replace(" ", "")
    assert "looked like an install code" in refused.decode()


def test_sixteen_hex_digits_without_separators_are_masked_and_told_how_to_write_a_device_id(gaining_user, make_device):
    device = make_device()
    bare = device.device_id.replace("-", "")  # the raise does not read it as a Device ID, and a code may look so
    client = client_for(gaining_user)

    upload(client, f"device_id\n{bare}\n{device.device_id}\n")
    job = IncidentBulkJob.objects.get()

    assert job.device_ids == [MASKED_DEVICE_ID, device.device_id]
    assert job.preview["outcomes"] == {"raise": 1, "existing": 0, "refused": 1}
    assert job.preview["reasons"][0]["code"] == "install_code_in_device_id"
    assert "00-DB-12-34-56-78-90-A0" in job.preview["reasons"][0]["detail"]


def test_a_check_never_confirmed_is_deleted_after_a_day(gaining_user, make_device):
    """The install-code upload's checks too (``portal.tasks.job_checks_expire_task``): the Device
    IDs of a check nobody confirmed are not kept, and the check cannot be confirmed afterwards."""
    import datetime as dt

    from django.utils import timezone

    from portal.tasks import job_checks_expire_task

    device = make_device()
    client = client_for(gaining_user)
    upload(client, f"device_id\n{device.device_id}\n")
    job = IncidentBulkJob.objects.get()
    assert job.status == JobStatus.CHECKED
    IncidentBulkJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(hours=25))

    assert job_checks_expire_task() == 1

    assert not IncidentBulkJob.objects.exists()
    assert client.post(reverse("incidents:bulk-job-confirm", args=[job.pk])).status_code == 404
    assert not Incident.objects.exists()
