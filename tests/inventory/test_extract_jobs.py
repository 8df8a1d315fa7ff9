"""Device extracts as jobs: the file holds exactly what the list's streamed extract holds (same scope, same
filters, same formula-safe COPY), written in chunks with progress, kept for its owner only, then expired."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inventory.filtersets import DeviceFilterSet
from inventory.models import DeviceExtractJob
from inventory.selectors import device_queryset_for, stream_csv
from inventory.services import extracts
from inventory.services.extracts import (
    device_extract_job_run,
    device_extract_job_submit,
    device_extracts_expire,
    extract_filter_summary,
)
from portal.choices import JobStatus
from portal.errors import PermissionDenied, ValidationFailed
from tests.factories import make_sms
from tests.services import wait_for


def streamed(party, filters: dict | None = None) -> bytes:
    """What ``/api/v1/devices/extract/?format=csv`` streams for the same party and filters."""
    queryset = DeviceFilterSet(filters or {}, queryset=device_queryset_for(party)).qs
    return b"".join(stream_csv(queryset))


def file_bytes(job: DeviceExtractJob) -> bytes:
    with job.file.open("rb") as handle:
        return handle.read()


@pytest.fixture
def many(supplier, other_supplier):
    """Seven SMSs of supplier A (one with a formula-like postcode) and two of supplier B."""
    mine = [make_sms(supplier=supplier, postcode="=1+2" if n == 3 else "LS1 4AB") for n in range(7)]
    theirs = [make_sms(supplier=other_supplier) for _ in range(2)]
    return mine, theirs


def test_a_chunked_extract_file_equals_the_streamed_extract_and_reports_progress(db, supplier, make_user, many,
                                                                                 monkeypatch):
    monkeypatch.setattr(extracts, "EXTRACT_PROGRESS_ROWS", 4)
    seen = []
    real_write = extracts._write_csv

    def recording_write(queryset, out, *, progress):
        return real_write(queryset, out, progress=lambda rows: (seen.append(rows), progress(rows)))

    monkeypatch.setattr(extracts, "_write_csv", recording_write)

    job = device_extract_job_submit(actor=make_user(supplier))

    expected = streamed(supplier)
    assert file_bytes(job) == expected
    rows = expected.count(b"\n") - 1
    assert (job.status, job.total_rows, job.processed_rows, job.size_bytes) == (JobStatus.DONE, rows, rows, len(expected))
    assert seen[: rows // 4] == list(range(4, rows + 1, 4)) and seen[-1] == rows  # every 4 rows
    assert b",'=1+2," in expected and b",=1+2" not in expected
    assert job.expires_at - job.finished_at == extracts.EXTRACT_RETENTION


def test_filters_are_the_lists_and_paging_parameters_are_dropped(db, supplier, make_user, many):
    mine, _theirs = many
    job = device_extract_job_submit(actor=make_user(supplier),
                                    filters="q=&device_type=GSME&status=&after=00-DB-00&format=jsonl")
    assert job.filters == "device_type=GSME"
    assert extract_filter_summary(job.filters) == [("Device type", "Gas Smart Metering Equipment")]
    assert extract_filter_summary(f"restricted=true&responsible_supplier={supplier.pk}") == [
        ("Restricted", "Yes"), ("Responsible supplier", supplier.code)]
    assert extract_filter_summary("") == []
    assert file_bytes(job) == streamed(supplier, {"device_type": "GSME"})
    assert file_bytes(job).count(b"\n") - 1 == len(mine)


def test_a_bad_filter_or_a_party_without_inventory_starts_nothing(db, supplier, make_user, many, other_user_party):
    with pytest.raises(ValidationFailed) as error:
        device_extract_job_submit(actor=make_user(supplier), filters="status=Exploded")
    assert "status" in error.value.errors
    with pytest.raises(PermissionDenied):
        device_extract_job_submit(actor=make_user(other_user_party))
    assert not DeviceExtractJob.objects.exists()


def test_a_large_extract_is_queued_after_commit(db, supplier, make_user, many, monkeypatch,
                                                django_capture_on_commit_callbacks):
    monkeypatch.setattr(extracts, "EXTRACT_INLINE_MAX_ROWS", 3)
    queued = []
    monkeypatch.setattr(extracts, "device_extract_job_enqueue", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        job = device_extract_job_submit(actor=make_user(supplier))
    assert queued == [job.pk] and job.status == JobStatus.QUEUED and not job.file
    device_extract_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and file_bytes(job) == streamed(supplier)


def test_pages_start_show_and_download_an_extract_for_its_owner_only(db, supplier, make_user, many):
    owner = Client()
    owner.force_login(make_user(supplier))

    response = owner.post(reverse("inventory:extract-list"), {"filters": "device_type=ESME"}, follow=True)

    job = DeviceExtractJob.objects.get()
    assert response.redirect_chain == [(reverse("inventory:extract-job", args=[job.pk]), 302)]
    assert f"Your extract of {job.total_rows:,} devices is ready to download." in response.content.decode()
    download = owner.get(reverse("inventory:extract-download", args=[job.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "text/csv"
    assert f'filename="devices-extract-{job.pk}.csv"' in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == streamed(supplier, {"device_type": "ESME"})
    assert [j.pk for j in owner.get(reverse("inventory:extract-list")).context["jobs"]] == [job.pk]

    colleague = Client()
    colleague.force_login(make_user(supplier))
    assert colleague.get(reverse("inventory:extract-job", args=[job.pk])).status_code == 404
    assert colleague.get(reverse("inventory:extract-download", args=[job.pk])).status_code == 404
    assert list(colleague.get(reverse("inventory:extract-list")).context["jobs"]) == []


def test_the_page_explains_a_bad_filter_and_starts_nothing(db, supplier, make_user):
    client = Client()
    client.force_login(make_user(supplier))
    response = client.post(reverse("inventory:extract-list"), {"filters": "csp_region=Atlantis"}, follow=True)
    assert "A filter is not valid" in response.content.decode() and "No extract was started" in response.content.decode()
    assert not DeviceExtractJob.objects.exists()


def test_expired_files_are_deleted_and_the_page_says_so(db, supplier, make_user, many):
    user = make_user(supplier)
    job = device_extract_job_submit(actor=user)
    storage, name = job.file.storage, job.file.name
    assert storage.exists(name)
    assert device_extracts_expire(now=job.expires_at - timedelta(seconds=1)) == 0

    assert device_extracts_expire(now=job.expires_at + timedelta(seconds=1)) == 1

    job.refresh_from_db()
    assert not storage.exists(name) and not job.file and job.status == JobStatus.DONE
    client = Client()
    client.force_login(user)
    assert client.get(reverse("inventory:extract-download", args=[job.pk])).status_code == 404
    assert "deleted when it expired" in client.get(reverse("inventory:extract-job", args=[job.pk])).content.decode()
    assert device_extracts_expire(now=timezone.now() + timedelta(days=30)) == 0


@pytest.mark.integration
def test_a_real_worker_writes_a_large_extract_and_the_page_follows_its_progress(
    celery_worker_process, supplier, make_user, monkeypatch,
):
    monkeypatch.setattr(extracts, "EXTRACT_INLINE_MAX_ROWS", 5)
    for _ in range(4):
        make_sms(supplier=supplier)
    client = Client()
    client.force_login(make_user(supplier))

    response = client.post(reverse("inventory:extract-list"), {"filters": ""})

    job = DeviceExtractJob.objects.get()
    assert response["Location"] == reverse("inventory:extract-job", args=[job.pk])
    wait_for(lambda: DeviceExtractJob.objects.get(pk=job.pk).is_finished, timeout=60, message="extract job")
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert file_bytes(job) == streamed(supplier)
    progress = client.get(reverse("inventory:extract-job", args=[job.pk]), {"part": "progress"},
                          headers={"HX-Request": "true"})
    assert progress["HX-Refresh"] == "true"
    assert "Download the extract (CSV)" in client.get(reverse("inventory:extract-job", args=[job.pk])).content.decode()
