"""Bulk restriction changes as jobs (R169-1..6 through ``restriction_set``): chunks, progress, resumption
after a worker dies, a real Celery worker for large files, and the REST job endpoints."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from inventory.choices import RestrictionChannel
from inventory.models import Device, RestrictionBulkJob, RestrictionChange
from inventory.services import restriction_bulk
from inventory.services.restriction_bulk import restriction_bulk_job_run, restriction_bulk_job_submit
from portal.choices import JobStatus
from portal.errors import PermissionDenied, ValidationFailed
from portal.models import OutboxMessage
from tests.factories import make_sms
from tests.services import wait_for


def set_row(device: Device, **extra) -> dict:
    return {"device_id": device.device_id, "restricted": "true", "reason": "Consumer refused",
            "all_reasonable_steps_taken": "true", **extra}


@pytest.fixture
def meters(supplier):
    return [make_sms(supplier=supplier, gas=False)["ESME"] for _ in range(5)]


def test_a_job_applies_its_rows_chunk_by_chunk_numbering_every_row(db, supplier, make_user, meters, monkeypatch):
    monkeypatch.setattr(restriction_bulk, "JOB_CHUNK_ROWS", 2)
    rows = [set_row(meter) for meter in meters]
    rows[2] = set_row(meters[2], restricted="maybe")

    job = restriction_bulk_job_submit(rows=rows, actor=make_user(supplier), request_id="req-1")

    assert (job.status, job.total_rows, job.processed_rows, job.applied_count, job.refused_count) == (
        JobStatus.DONE, 5, 5, 4, 1)
    results = list(job.results.order_by("row_number").values_list("row_number", "ok", "code"))
    assert results == [(1, True, ""), (2, True, ""), (3, False, "bad_boolean"), (4, True, ""), (5, True, "")]
    assert RestrictionChange.objects.filter(channel=RestrictionChannel.BULK, request_id="req-1").count() == 4
    assert OutboxMessage.objects.count() == 4
    first = job.results.get(row_number=1)
    assert first.change_ids == [RestrictionChange.objects.get(device=meters[0]).pk]


def test_a_large_job_is_queued_after_commit_and_changes_nothing_until_it_runs(
    db, supplier, make_user, meters, monkeypatch, django_capture_on_commit_callbacks,
):
    monkeypatch.setattr(restriction_bulk, "JOB_INLINE_MAX_ROWS", 2)
    queued = []
    monkeypatch.setattr(restriction_bulk, "restriction_bulk_job_enqueue", queued.append)

    with django_capture_on_commit_callbacks(execute=True):
        job = restriction_bulk_job_submit(rows=[set_row(meter) for meter in meters], actor=make_user(supplier))

    assert queued == [job.pk]
    assert job.status == JobStatus.QUEUED and not RestrictionChange.objects.exists()
    restriction_bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.applied_count) == (JobStatus.DONE, 5)
    assert Device.objects.filter(pk__in=[m.pk for m in meters], restricted=True).count() == 5


class WorkerKilled(BaseException):
    """Stands in for SIGKILL: not an ``Exception``, so the job is not marked failed."""


def test_a_job_resumes_after_the_last_committed_chunk_and_applies_no_row_twice(
    db, supplier, make_user, meters, monkeypatch,
):
    monkeypatch.setattr(restriction_bulk, "JOB_CHUNK_ROWS", 2)
    monkeypatch.setattr(restriction_bulk, "JOB_INLINE_MAX_ROWS", 0)
    monkeypatch.setattr(restriction_bulk, "restriction_bulk_job_enqueue", lambda job_id: None)
    job = restriction_bulk_job_submit(rows=[set_row(meter) for meter in meters], actor=make_user(supplier))
    real_apply = restriction_bulk.restriction_bulk_apply
    calls = []

    def dies_in_the_second_chunk(**kwargs):
        calls.append(kwargs["first_row_number"])
        results = real_apply(**kwargs)  # the chunk's changes are written in its transaction...
        if len(calls) == 2:
            raise WorkerKilled  # ...and lost with it when the worker dies before the commit
        return results

    monkeypatch.setattr(restriction_bulk, "restriction_bulk_apply", dies_in_the_second_chunk)
    with pytest.raises(WorkerKilled):
        restriction_bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.results.count()) == (JobStatus.RUNNING, 2, 2)
    assert RestrictionChange.objects.count() == 2

    monkeypatch.setattr(restriction_bulk, "restriction_bulk_apply", real_apply)
    restriction_bulk_job_run(job_id=job.pk)  # the redelivered task
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.applied_count, job.refused_count) == (JobStatus.DONE, 5, 5, 0)
    assert sorted(RestrictionChange.objects.values_list("device_id", flat=True)) == sorted(m.pk for m in meters)
    assert list(job.results.values_list("row_number", flat=True)) == [1, 2, 3, 4, 5]


def test_only_a_supplier_may_submit_and_limits_are_explained(db, network_operator, supplier, make_user, meters,
                                                             monkeypatch):
    with pytest.raises(PermissionDenied):
        restriction_bulk_job_submit(rows=[set_row(meters[0])], actor=make_user(network_operator))
    with pytest.raises(ValidationFailed, match="no rows"):
        restriction_bulk_job_submit(rows=[], actor=make_user(supplier))
    monkeypatch.setattr(restriction_bulk, "BULK_JOB_MAX_ROWS", 3)
    with pytest.raises(ValidationFailed, match="at most 3 rows"):
        restriction_bulk_job_submit(rows=[set_row(m) for m in meters], actor=make_user(supplier))
    assert not RestrictionBulkJob.objects.exists() and not RestrictionChange.objects.exists()


@pytest.mark.integration
def test_a_real_worker_applies_a_large_upload_and_the_page_shows_progress_then_every_row(
    celery_worker_process, supplier, make_user,
):
    meters = [make_sms(supplier=supplier, gas=False)["ESME"] for _ in range(restriction_bulk.JOB_INLINE_MAX_ROWS + 20)]
    lines = ["device_id,restricted,reason,all_reasonable_steps_taken"]
    lines += [f"{meter.device_id},true,Consumer refused,true" for meter in meters]
    lines.append("00-DB-00-00-00-00-00-99,true,Consumer refused,true")  # unknown to the supplier
    client = Client()
    client.force_login(make_user(supplier))

    response = client.post(reverse("inventory:restriction-bulk"),
                           {"file": SimpleUploadedFile("large.csv", "\n".join(lines).encode())})

    job = RestrictionBulkJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/inventory/restrictions/bulk/{job.pk}/"
    assert job.status == JobStatus.CHECKED and job.preview["outcomes"] == {"set": len(meters), "clear": 0, "refused": 1}
    client.post(f"/inventory/restrictions/bulk/{job.pk}/confirm/")
    wait_for(lambda: RestrictionBulkJob.objects.get(pk=job.pk).is_finished, timeout=60, message="bulk job")
    job.refresh_from_db()
    assert (job.status, job.total_rows, job.applied_count, job.refused_count) == (
        JobStatus.DONE, len(meters) + 1, len(meters), 1)
    assert Device.objects.filter(pk__in=[m.pk for m in meters], restricted=True).count() == len(meters)
    assert job.results.get(row_number=len(meters) + 2).code == "device_not_found"

    page = client.get(f"/inventory/restrictions/bulk/{job.pk}/", headers={"HX-Request": "true"},
                      query_params={"part": "progress"})
    assert page["HX-Refresh"] == "true" and f"{len(meters) + 1} of {len(meters) + 1} rows" in page.content.decode()
    page = client.get(f"/inventory/restrictions/bulk/{job.pk}/")
    assert len(page.context["rows"]) == 100 and "Next rows" in page.content.decode()


# --- REST ------------------------------------------------------------------------------------------

def test_rest_job_small_is_applied_at_once_and_read_back_with_its_rows(api_client_for, supplier, meters):
    api = api_client_for(supplier)
    rows = [set_row(meters[0]), set_row(meters[1], reason="")]

    response = api.post("/api/v1/devices/restriction/bulk-jobs/", {"changes": rows}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["total_rows"], body["applied_count"], body["refused_count"]) == ("done", 2, 1, 1)
    assert response["Location"] == body["url"]
    # R169-4: a REST JSON bulk is recorded as such, not as the page's CSV upload
    assert body["channel"] == RestrictionChannel.BULK_API
    assert list(RestrictionChange.objects.values_list("channel", flat=True)) == [RestrictionChannel.BULK_API]
    assert api.get(body["url"]).json()["id"] == body["id"]
    refused = api.get(body["results"], {"ok": "false"}).json()
    assert refused["next"] is None
    assert [(r["row"], r["device_id"], r["code"]) for r in refused["results"]] == [
        (2, meters[1].device_id, "reason_required")]
    listed = api.get("/api/v1/devices/restriction/bulk-jobs/").json()["results"]
    assert [job["id"] for job in listed] == [body["id"]]


def test_rest_job_large_is_accepted_and_queued(api_client_for, supplier, meters, monkeypatch,
                                               django_capture_on_commit_callbacks):
    monkeypatch.setattr(restriction_bulk, "JOB_INLINE_MAX_ROWS", 1)
    queued = []
    monkeypatch.setattr(restriction_bulk, "restriction_bulk_job_enqueue", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(supplier).post(
            "/api/v1/devices/restriction/bulk-jobs/", {"changes": [set_row(m) for m in meters]}, format="json")
    assert response.status_code == 202 and response.json()["status"] == "queued"
    assert queued == [response.json()["id"]] and not RestrictionChange.objects.exists()


def test_rest_jobs_of_another_party_are_not_found(api_client_for, supplier, other_supplier, meters):
    body = api_client_for(supplier).post("/api/v1/devices/restriction/bulk-jobs/", {"changes": [set_row(meters[0])]},
                                         format="json").json()
    other = api_client_for(other_supplier)
    assert other.get(body["url"]).status_code == 404
    assert other.get(body["results"]).status_code == 404
    assert other.get("/api/v1/devices/restriction/bulk-jobs/").json()["results"] == []


@pytest.mark.parametrize(("body", "field"), [({}, "changes"), ({"changes": []}, "changes"),
                                             ({"changes": ["not an object"]}, "changes")])
def test_rest_job_bad_bodies_are_explained_and_write_nothing(api_client_for, supplier, body, field):
    response = api_client_for(supplier).post("/api/v1/devices/restriction/bulk-jobs/", body, format="json")
    assert response.status_code == 400 and field in response.json()["errors"]
    assert not RestrictionBulkJob.objects.exists()


def test_a_nul_character_anywhere_in_a_job_is_refused_before_anything_is_stored(api_client_for, supplier, meters):
    """PostgreSQL cannot store U+0000 in text or jsonb: found by schemathesis as a 500 on this endpoint."""
    rows = [set_row(meters[0]), set_row(meters[1], reason="Consumer\u0000refused")]
    response = api_client_for(supplier).post("/api/v1/devices/restriction/bulk-jobs/", {"changes": rows},
                                             format="json")
    assert response.status_code == 400 and response.json()["code"] == "bad_characters"
    assert "Row 2" in response.json()["detail"]
    assert not RestrictionBulkJob.objects.exists() and not RestrictionChange.objects.exists()


def test_a_nul_character_in_a_synchronous_bulk_row_refuses_only_that_row(api_client_for, supplier, meters):
    rows = [set_row(meters[0]), set_row(meters[1], reason="Consumer\u0000refused")]
    response = api_client_for(supplier).post("/api/v1/devices/restriction/bulk/", {"changes": rows}, format="json")
    assert response.status_code == 200
    assert [(r["ok"], r["code"]) for r in response.json()["results"]] == [(True, ""), (False, "bad_characters")]
    assert list(RestrictionChange.objects.values_list("device_id", flat=True)) == [meters[0].pk]


def test_a_job_reads_its_uploaded_rows_once_not_once_per_chunk(db, supplier, make_user, meters, monkeypatch):
    """A 100,000-row upload is ~17 MB of JSON: reading it per chunk would make a job quadratic in its size."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(restriction_bulk, "JOB_CHUNK_ROWS", 2)
    monkeypatch.setattr(restriction_bulk, "JOB_INLINE_MAX_ROWS", 0)
    monkeypatch.setattr(restriction_bulk, "restriction_bulk_job_enqueue", lambda job_id: None)
    job = restriction_bulk_job_submit(rows=[set_row(meter) for meter in meters], actor=make_user(supplier))

    with CaptureQueriesContext(connection) as queries:
        restriction_bulk_job_run(job_id=job.pk)

    reads_of_rows = [q["sql"] for q in queries.captured_queries
                     if q["sql"].startswith("SELECT") and '"inventory_restrictionbulkjob"."rows"' in q["sql"]]
    assert len(reads_of_rows) == 1, reads_of_rows
    job.refresh_from_db()
    assert (job.status, job.applied_count) == (JobStatus.DONE, 5)


def test_progress_reaches_100_percent_only_when_the_job_is_done():
    """Shared by every job (portal.models.ProgressJob): all rows processed is not yet 'done' (summaries, file)."""
    assert RestrictionBulkJob(total_rows=200, processed_rows=100, status=JobStatus.RUNNING).percent == 50
    assert RestrictionBulkJob(total_rows=200, processed_rows=200, status=JobStatus.RUNNING).percent == 99
    assert RestrictionBulkJob(total_rows=200, processed_rows=200, status=JobStatus.DONE).percent == 100
    assert RestrictionBulkJob(total_rows=0, status=JobStatus.QUEUED).percent == 0
