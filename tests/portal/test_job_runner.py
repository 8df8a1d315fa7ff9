"""The one job runner (``portal.jobs``): committed chunks with progress, a failure record, resume after a failure.

The jobs are real ``ProgressJob`` rows (a bulk restriction job, a device extract) in the real database; the chunk
functions here stand for a job kind's own, so a failure can be put exactly where the test needs it.
"""
from __future__ import annotations

import pytest
from django.db import connections, transaction

from inventory.models import DeviceExtractJob, RestrictionBulkJob, RestrictionBulkRow
from portal import jobs
from portal.choices import JobStatus

ROWS = [{"device_id": f"00-DB-12-00-00-00-00-{n:02X}"} for n in range(7)]


def _job(supplier, user, **fields) -> RestrictionBulkJob:
    return RestrictionBulkJob.objects.create(party=supplier, user=user, rows=ROWS, total_rows=len(ROWS), **fields)


def _chunk_of(size: int, *, starts: list[int], fail_at: int | None = None):
    """A chunk that records one result row per row (and its start), failing when it reaches row ``fail_at``."""

    def chunk(job: RestrictionBulkJob, start: int) -> jobs.ChunkDone:
        starts.append(start)
        rows = job.rows[start:start + size]
        RestrictionBulkRow.objects.bulk_create([
            RestrictionBulkRow(job=job, row_number=start + offset + 1, device_id=row["device_id"], ok=True)
            for offset, row in enumerate(rows)])
        if fail_at is not None and start <= fail_at < start + size:
            raise RuntimeError(f"the worker lost its database at row {fail_at + 1}")
        return jobs.ChunkDone(rows=len(rows), counts={"applied_count": len(rows) - 1, "refused_count": 1})

    return chunk


def _progress_seen_elsewhere(job_id: int) -> tuple[int, int]:
    """The job's progress as another connection (the polling page) sees it: only what is committed."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT processed_rows, applied_count FROM inventory_restrictionbulkjob WHERE id = %s",
                           [job_id])
            return cursor.fetchone()
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
def test_chunks_commit_their_rows_with_the_progress_and_counters(supplier, make_user):
    job = _job(supplier, make_user(supplier))
    starts: list[int] = []
    seen: list[tuple[int, int]] = []
    chunk = _chunk_of(3, starts=starts)

    def observed(job, start):
        seen.append(_progress_seen_elsewhere(job.pk))  # before this chunk: the previous ones are committed
        return chunk(job, start)

    jobs.job_run_chunked(RestrictionBulkJob, job.pk, chunk=observed, payload=("rows",))

    job.refresh_from_db()
    assert starts == [0, 3, 6]
    assert seen == [(0, 0), (3, 2), (6, 4)]
    assert (job.status, job.processed_rows, job.applied_count, job.refused_count) == (JobStatus.DONE, 7, 4, 3)
    assert job.finished_at is not None and job.percent == 100
    assert RestrictionBulkRow.objects.filter(job=job).count() == 7


@pytest.mark.django_db(transaction=True)
def test_a_failure_is_recorded_keeps_the_committed_chunks_and_a_retry_resumes_after_them(supplier, make_user):
    job = _job(supplier, make_user(supplier))
    starts: list[int] = []

    with pytest.raises(RuntimeError):
        jobs.job_run_chunked(RestrictionBulkJob, job.pk, chunk=_chunk_of(3, starts=starts, fail_at=4),
                             payload=("rows",))

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.finished_at is not None
    assert job.error == "RuntimeError: the worker lost its database at row 5"
    # the first chunk is committed; nothing of the failed one (rows 4-6) is left behind
    assert job.processed_rows == 3 and job.applied_count == 2
    assert list(RestrictionBulkRow.objects.filter(job=job).values_list("row_number", flat=True)) == [1, 2, 3]

    queued: list[int] = []
    assert jobs.job_retry(RestrictionBulkJob, job.pk, enqueue=queued.append) is True
    assert queued == [job.pk]  # sent once the retry committed
    job.refresh_from_db()
    assert (job.status, job.error, job.finished_at) == (JobStatus.QUEUED, "", None)
    assert jobs.job_retry(RestrictionBulkJob, job.pk, enqueue=queued.append) is False  # only a failed job

    jobs.job_run_chunked(RestrictionBulkJob, job.pk, chunk=_chunk_of(3, starts=starts), payload=("rows",))

    job.refresh_from_db()
    assert starts == [0, 3, 3, 6]  # the retry began at row 4, after the last committed chunk
    assert (job.status, job.processed_rows, job.applied_count, job.refused_count) == (JobStatus.DONE, 7, 4, 3)
    assert sorted(RestrictionBulkRow.objects.filter(job=job).values_list("row_number", flat=True)) == list(range(1, 8))


def test_a_finished_job_is_left_alone_when_its_task_is_delivered_again(db, supplier, make_user):
    job = _job(supplier, make_user(supplier), status=JobStatus.DONE, processed_rows=7)
    starts: list[int] = []

    jobs.job_run_chunked(RestrictionBulkJob, job.pk, chunk=_chunk_of(3, starts=starts))

    assert starts == [] and not RestrictionBulkRow.objects.filter(job=job).exists()


def test_a_chunk_that_consumes_nothing_fails_the_job_instead_of_looping(db, supplier, make_user):
    job = _job(supplier, make_user(supplier))

    with pytest.raises(RuntimeError):
        jobs.job_run_chunked(RestrictionBulkJob, job.pk, chunk=lambda job, start: jobs.ChunkDone(rows=0))

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "consumed no rows" in job.error


def test_job_run_saves_progress_then_the_work_s_fields_or_records_the_failure(db, supplier, make_user):
    user = make_user(supplier)
    done_job = DeviceExtractJob.objects.create(party=supplier, user=user)
    steps: list[int] = []

    def work(job, progress):
        progress(0, total_rows=10)
        progress(5)
        steps.append(DeviceExtractJob.objects.get(pk=job.pk).processed_rows)
        return {"processed_rows": 10, "size_bytes": 123}

    jobs.job_run(DeviceExtractJob, done_job.pk, work)
    done_job.refresh_from_db()
    assert steps == [5]
    assert (done_job.status, done_job.total_rows, done_job.processed_rows, done_job.size_bytes) == (
        JobStatus.DONE, 10, 10, 123)

    failed = DeviceExtractJob.objects.create(party=supplier, user=user)

    def broken(job, progress):
        raise ValueError("disk full")

    with pytest.raises(ValueError):
        jobs.job_run(DeviceExtractJob, failed.pk, broken)
    failed.refresh_from_db()
    assert (failed.status, failed.error) == (JobStatus.FAILED, "ValueError: disk full")


def test_submit_runs_small_work_now_and_queues_large_work_only_after_commit(
        db, supplier, make_user, django_capture_on_commit_callbacks):
    user = make_user(supplier)
    ran: list[int] = []
    queued: list[int] = []

    small = jobs.job_submit(RestrictionBulkJob, inline=True, run=ran.append, enqueue=queued.append,
                            party=supplier, user=user, rows=ROWS, total_rows=len(ROWS))
    assert ran == [small.pk] and queued == []

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        large = jobs.job_submit(RestrictionBulkJob, inline=False, run=ran.append, enqueue=queued.append,
                                party=supplier, user=user, rows=ROWS, total_rows=len(ROWS))
        assert queued == []  # not before the job row is committed
    assert queued == [large.pk] and ran == [small.pk]

    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        jobs.job_submit(RestrictionBulkJob, inline=False, run=ran.append, enqueue=queued.append,
                        party=supplier, user=user, rows=ROWS, total_rows=len(ROWS))
        raise RuntimeError("rolled back")
    assert queued == [large.pk]  # a rolled-back job is never queued
