"""The incident pages: queues with filters, the incident page and its actions, raising, bulk upload."""
from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from incidents.choices import IncidentEventKind, IncidentState
from incidents.models import Incident, IncidentBulkJob
from incidents.services import incident_add_note
from inventory.choices import DeviceStatus
from portal.choices import JobStatus
from tests.incidents.conftest import INSTALL_CODE


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_raise_form_shows_the_expected_format_and_raises(gaining_user, device):
    client = client_for(gaining_user)
    page = client.get(reverse("incidents:incident-raise"))
    assert "00-DB-12-34-56-78-90-A0" in page.content.decode() and 'for="id_device_id"' in page.content.decode()
    response = client.post(reverse("incidents:incident-raise"), {"device_id": device.device_id.lower()}, follow=True)
    incident = Incident.objects.get()
    assert response.redirect_chain[-1][0] == reverse("incidents:incident-detail", args=[incident.reference])
    assert "raised and assigned to" in response.content.decode()


def test_raise_form_shows_the_refusal_and_writes_nothing(gaining_user, make_device):
    device = make_device(status=DeviceStatus.COMMISSIONED)
    response = client_for(gaining_user).post(reverse("incidents:incident-raise"), {"device_id": device.device_id})
    assert response.status_code == 200 and "Pending, Whitelisted or Installed not commissioned" in response.content.decode()
    assert not Incident.objects.exists()


def test_queues_show_due_dates_as_text_and_keep_filters(gaining_user, installer_user, make_device, raise_request):
    incident = raise_request(make_device())
    Incident.objects.filter(pk=incident.pk).update(due_by="2020-01-06")  # long overdue
    page = client_for(gaining_user).get(reverse("incidents:incident-list") + "?queue=raised&overdue=true")
    text = page.content.decode()
    assert incident.reference in text and "Overdue" in text and 'value="true" selected' in text
    assigned = client_for(installer_user).get(reverse("incidents:incident-list") + "?queue=assigned").content.decode()
    assert incident.reference in assigned
    other = client_for(installer_user).get(reverse("incidents:incident-list") + "?queue=raised").content.decode()
    assert incident.reference not in other and "No incidents match" in other


def test_queue_is_keyset_paged_with_a_bounded_query_count(gaining_user, make_device, raise_request,
                                                          django_assert_max_num_queries):
    for _ in range(3):
        raise_request(make_device())
    client = client_for(gaining_user)
    client.get(reverse("incidents:incident-list"))  # warm the session
    with django_assert_max_num_queries(8):
        page = client.get(reverse("incidents:incident-list") + "?queue=raised")
    assert page.status_code == 200 and page.content.decode().count("INC") >= 3


def test_service_desk_sees_everything(dcc_user, make_device, raise_request):
    incident = raise_request(make_device(prenotifying_supplier=None))
    page = client_for(dcc_user).get(reverse("incidents:incident-list")).content.decode()
    assert "Service desk queue" in page and incident.reference in page


def test_incident_page_masks_the_code_and_reveal_records_it(gaining_user, installer_user, dcc_user, device,
                                                            raise_request):
    incident = raise_request(device)
    note = incident_add_note(incident=incident, actor=installer_user, body="Code attached", install_code=INSTALL_CODE)
    url = reverse("incidents:incident-detail", args=[incident.reference])
    client = client_for(gaining_user)
    page = client.get(url).content.decode()
    assert INSTALL_CODE not in page and "Reveal" in page and "Close incident" in page
    reveal_url = reverse("incidents:incident-reveal", args=[incident.reference, note.pk])
    revealed = client.post(reveal_url, HTTP_HX_REQUEST="true")
    assert revealed.status_code == 200 and INSTALL_CODE in revealed.content.decode()
    assert incident.events.filter(kind=IncidentEventKind.CODE_REVEALED, actor=gaining_user).exists()
    desk_page = client_for(dcc_user).get(url).content.decode()
    assert "Reveal" not in desk_page and "only the two parties" in desk_page and "Reassign" in desk_page
    assert client_for(dcc_user).post(reveal_url).status_code == 302  # refused with a message
    assert incident.events.filter(kind=IncidentEventKind.CODE_REVEALED).count() == 1


def test_assignee_responds_from_the_page(installer_user, device, raise_request):
    incident = raise_request(device)
    client = client_for(installer_user)
    page = client.get(reverse("incidents:incident-detail", args=[incident.reference])).content.decode()
    assert "Are you the installing supplier?" in page and "Install code" in page and "Close incident" not in page
    client.post(reverse("incidents:incident-answer", args=[incident.reference]),
                {"is_installer": "yes", "install_code": INSTALL_CODE})
    incident.refresh_from_db()
    assert incident.state == IncidentState.RESPONDED
    history = client.get(reverse("incidents:incident-detail", args=[incident.reference])).content.decode()
    assert "Assigned → Responded" in history and "assigned → responded" not in history  # labels, not stored codes


def test_unrelated_party_gets_404_on_the_incident_page(third_user, device, raise_request):
    incident = raise_request(device)
    client = client_for(third_user)
    assert client.get(reverse("incidents:incident-detail", args=[incident.reference])).status_code == 404
    assert client.post(reverse("incidents:incident-close", args=[incident.reference])).status_code == 404


def test_small_bulk_upload_runs_now_with_per_row_results_and_a_csv(gaining_user, make_device):
    devices = [make_device() for _ in range(2)]
    content = "device_id\n" + "\n".join(d.device_id for d in devices) + "\nbad\n"
    client = client_for(gaining_user)
    response = client.post(reverse("incidents:bulk-upload"),
                           {"file": SimpleUploadedFile("r.csv", content.encode(), content_type="text/csv")}, follow=True)
    job = IncidentBulkJob.objects.get()
    assert job.status == JobStatus.CHECKED and not Incident.objects.exists()  # the check step raises nothing
    assert "Confirm and apply 2 rows" in response.content.decode()
    response = client.post(reverse("incidents:bulk-job-confirm", args=[job.pk]), follow=True)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.created_count == 2 and job.failed_count == 1
    assert "Download every row's result" in response.content.decode()
    csv_text = b"".join(client.get(reverse("incidents:bulk-job-results", args=[job.pk])).streaming_content).decode()
    lines = csv_text.strip().splitlines()
    assert lines[0] == "row,device_id,ok,reference,existing,error" and len(lines) == 4
    assert lines[3].startswith("4,bad,false,,false,")  # a spreadsheet's row: the header is row 1


def test_large_bulk_upload_is_queued_as_a_job_with_progress(gaining_user, make_device, monkeypatch,
                                                           django_capture_on_commit_callbacks):
    from incidents.services import bulk as services
    from portal import jobs

    monkeypatch.setattr(services, "BULK_INLINE_MAX_ROWS", 2)
    monkeypatch.setattr(services, "BULK_CHUNK_ROWS", 2)
    queued = []
    monkeypatch.setattr(jobs, "task_send", lambda name, *args, **_: queued.append((name, *args)))
    devices = [make_device() for _ in range(5)]
    content = "device_id\n" + "\n".join(d.device_id for d in devices)
    client = client_for(gaining_user)
    client.post(reverse("incidents:bulk-upload"),
                {"file": SimpleUploadedFile("r.csv", content.encode(), content_type="text/csv")})
    job = IncidentBulkJob.objects.get()
    assert queued == [] and job.status == JobStatus.CHECKED
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("incidents:bulk-job-confirm", args=[job.pk]))
    job.refresh_from_db()
    assert queued == [("incidents.tasks.incident_bulk_job_run_task", job.pk)] and job.status == JobStatus.QUEUED
    progress = client.get(reverse("incidents:bulk-job", args=[job.pk]) + "?part=progress", HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in progress.content.decode() and "0 of 5 rows" in progress.content.decode()
    services.incident_bulk_job_run(job_id=job.pk)  # what the Celery task does
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.processed_rows == 5 and job.created_count == 5
    done = client.get(reverse("incidents:bulk-job", args=[job.pk]) + "?part=progress", HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"
    from portal.models import OutboxMessage

    assert OutboxMessage.objects.count() == 1  # one summary for the installing supplier across all chunks
