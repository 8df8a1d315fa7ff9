"""Bulk restriction changes as jobs: a file or REST list of rows, applied in chunks with progress.

Each row goes through ``restriction_set`` exactly as a single change would (``restriction_bulk_apply``),
so the MP169 rules live in one place. A chunk of rows, their outcomes and the job's progress commit
together: a worker that dies mid-chunk leaves nothing of that chunk behind, and the redelivered task
(``acks_late``) carries on after the last committed chunk, so no row is applied twice.

Small jobs run inside the request; larger ones on a Celery worker while the page shows progress.
"""
from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from inventory.choices import RestrictionChannel
from inventory.models import RestrictionBulkJob, RestrictionBulkRow
from inventory.services.restriction import BULK_JOB_MAX_ROWS, restriction_bulk_apply
from portal.choices import JobStatus
from portal.errors import PermissionDenied, ValidationFailed
from portal.jobs import task_send
from portal.models import User
from portal.text import refuse_unstorable

logger = logging.getLogger(__name__)

#: Jobs up to this size are applied while the request waits; larger ones go to a worker.
JOB_INLINE_MAX_ROWS = 100
#: Rows applied per transaction: short enough that a meter's lock is held well under a second.
JOB_CHUNK_ROWS = 100


def restriction_bulk_job_submit(*, rows: list[dict], actor: User, channel: RestrictionChannel = RestrictionChannel.BULK,
                                file_name: str = "", request_id: str = "") -> RestrictionBulkJob:
    """Record a bulk change as a job; small ones are applied now, large ones are queued for a worker.

    Only a supplier may submit (R169-1: only the Responsible Supplier changes Restricted, which each
    row then checks for its own meter). Raises ``ValidationFailed`` for an empty or oversized list, or
    for a row holding text that cannot be stored (NUL, a lone surrogate): nothing is recorded then.
    """
    party = actor.party
    if party is None or not party.is_supplier:
        raise PermissionDenied("Only an energy supplier can change Restricted mode.", code="not_a_supplier")
    if not rows:
        raise ValidationFailed("There are no rows to apply. Nothing was changed.", code="no_rows")
    if len(rows) > BULK_JOB_MAX_ROWS:
        raise ValidationFailed(
            f"A bulk change may have at most {BULK_JOB_MAX_ROWS:,} rows ({len(rows):,} given): split it. "
            "Nothing was changed.",
            code="too_many_rows",
        )
    for number, row in enumerate(rows, start=1):
        refuse_unstorable(row, subject=f"Row {number}")  # the rows are stored whole (jsonb) before any is applied
    with transaction.atomic():
        job = RestrictionBulkJob.objects.create(
            party=party, user=actor, channel=channel, file_name=file_name[:200], request_id=request_id[:64],
            rows=rows, total_rows=len(rows),
        )
        if len(rows) > JOB_INLINE_MAX_ROWS:
            transaction.on_commit(lambda: _queue(job.pk))
    if len(rows) <= JOB_INLINE_MAX_ROWS:
        restriction_bulk_job_run(job_id=job.pk)
        job.refresh_from_db()
    return job



def _queue(job_id: int) -> None:
    """Hand the job to the worker, by task name (services never import tasks)."""
    task_send("inventory.tasks.restriction_bulk_job_run_task", job_id, label=f"job {job_id}")


def restriction_bulk_job_run(*, job_id: int) -> None:
    """Apply a job's rows chunk by chunk, each chunk atomic with its outcomes and the job's progress.

    The uploaded rows never change, so they are read once; each chunk locks only the job's counters.
    """
    job = RestrictionBulkJob.objects.select_related("user__party").get(pk=job_id)
    if job.is_finished:
        return
    rows = job.rows
    RestrictionBulkJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(status=JobStatus.RUNNING)
    try:
        while True:
            with transaction.atomic():
                progress = RestrictionBulkJob.objects.select_for_update().only(
                    "processed_rows", "applied_count", "refused_count").get(pk=job_id)
                start = progress.processed_rows
                if start >= len(rows):
                    break
                chunk = rows[start:start + JOB_CHUNK_ROWS]
                results = restriction_bulk_apply(rows=chunk, actor=job.user, channel=job.channel,
                                                 request_id=job.request_id, first_row_number=start + 1)
                RestrictionBulkRow.objects.bulk_create([
                    RestrictionBulkRow(job_id=job_id, row_number=r.row, device_id=r.device_id[:60],
                                       restricted=r.restricted, ok=r.ok, code=r.code[:60], detail=r.detail[:500],
                                       change_ids=list(r.change_ids))
                    for r in results
                ])
                progress.processed_rows = start + len(chunk)
                progress.applied_count += sum(1 for r in results if r.ok)
                progress.refused_count += sum(1 for r in results if not r.ok)
                progress.save(update_fields=["processed_rows", "applied_count", "refused_count"])
        RestrictionBulkJob.objects.filter(pk=job_id).update(status=JobStatus.DONE, finished_at=timezone.now())
    except Exception as error:
        logger.exception("Restriction bulk job %s failed", job_id)
        RestrictionBulkJob.record_failure(job_id, error)
        raise

