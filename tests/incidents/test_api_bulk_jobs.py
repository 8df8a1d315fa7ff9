"""``POST /api/v1/incidents/install-code-requests/bulk/`` runs through the bulk job the upload page uses:
up to ``BULK_API_INLINE_MAX_ROWS`` rows in the request (200, one result per row, as docs/API.md has it),
more as a queued job (202, ``Location`` of ``.../bulk-jobs/<id>/``, its rows at ``.../results/``)."""
from __future__ import annotations

import pytest

from incidents.choices import IncidentChannel
from incidents.models import Incident, IncidentBulkJob
from incidents.services import bulk
from portal import jobs
from portal.choices import JobStatus
from portal.models import OutboxMessage

BULK = "/api/v1/incidents/install-code-requests/bulk/"


@pytest.fixture
def gaining_api(api_client_for, gaining):
    return api_client_for(gaining)


@pytest.fixture
def queued(monkeypatch):
    """Tasks sent to the broker (by name, after commit), instead of sending them."""
    sent = []
    monkeypatch.setattr(jobs, "task_send", lambda name, *args, **_: sent.append((name, *args)))
    return sent


def test_a_request_up_to_the_inline_size_is_answered_200_with_every_row(gaining_api, make_device, queued,
                                                                        monkeypatch):
    monkeypatch.setattr(bulk, "BULK_API_INLINE_MAX_ROWS", 3)
    devices = [make_device(), make_device()]
    response = gaining_api.post(BULK, {"device_ids": [devices[0].device_id, devices[1].device_id, "bad"]},
                                format="json")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [(row["device_id"], row["ok"], row["existing"]) for row in results] == [
        (devices[0].device_id, True, False), (devices[1].device_id, True, False), ("bad", False, False)]
    assert results[0]["reference"] and results[0]["error"] is None and results[2]["reference"] is None
    job = IncidentBulkJob.objects.get()
    assert (job.channel, job.status, job.created_count, job.failed_count) == (IncidentChannel.BULK_API,
                                                                              JobStatus.DONE, 2, 1)
    assert queued == []  # run in the request: nothing for a worker
    summary = OutboxMessage.objects.get()
    assert f"REST request by {gaining_api.user.username}" in summary.body


def test_a_larger_request_is_accepted_as_a_job_to_poll(gaining_api, make_device, queued, monkeypatch,
                                                       django_capture_on_commit_callbacks):
    monkeypatch.setattr(bulk, "BULK_API_INLINE_MAX_ROWS", 2)
    monkeypatch.setattr(bulk, "BULK_CHUNK_ROWS", 2)
    devices = [make_device() for _ in range(4)]
    with django_capture_on_commit_callbacks(execute=True):
        response = gaining_api.post(BULK, {"device_ids": [*(d.device_id for d in devices), "bad"]}, format="json")

    assert response.status_code == 202, response.content
    job = IncidentBulkJob.objects.get()
    body = response.json()
    assert response["Location"] == body["url"] and body["url"].endswith(
        f"/api/v1/incidents/install-code-requests/bulk-jobs/{job.pk}/")
    assert (body["status"], body["total_rows"], body["processed_rows"]) == ("queued", 5, 0)
    assert queued == [("incidents.tasks.incident_bulk_job_run_task", job.pk)]
    assert not Incident.objects.exists()  # nothing is raised until the worker runs the job

    bulk.incident_bulk_job_run(job_id=job.pk)  # what the worker's task does

    progress = gaining_api.get(response["Location"]).json()
    assert (progress["status"], progress["percent"], progress["created_count"], progress["failed_count"]) == (
        "done", 100, 4, 1)
    first = gaining_api.get(progress["results"], {"limit": 3}).json()
    assert [row["row"] for row in first["results"]] == [1, 2, 3] and first["next"]
    second = gaining_api.get(first["next"]).json()
    assert [row["row"] for row in second["results"]] == [4, 5] and second["next"] is None
    assert second["results"][1] == {"row": 5, "device_id": "bad", "ok": False, "reference": None, "existing": False,
                                    "error": second["results"][1]["error"]}
    assert "not a valid Device ID" in second["results"][1]["error"]
    refused = gaining_api.get(progress["results"], {"ok": "false"}).json()["results"]
    assert [row["row"] for row in refused] == [5]
    assert OutboxMessage.objects.count() == 1  # one summary for the installing supplier, across the chunks


def test_another_partys_bulk_job_is_not_found(gaining_api, api_client_for, third_user, make_device, monkeypatch,
                                              queued):
    monkeypatch.setattr(bulk, "BULK_API_INLINE_MAX_ROWS", 0)
    accepted = gaining_api.post(BULK, {"device_ids": [make_device().device_id]}, format="json")
    assert accepted.status_code == 202
    other = api_client_for(third_user.party)
    assert other.get(accepted["Location"]).status_code == 404
    assert other.get(accepted.json()["results"]).status_code == 404
