"""R121-8: install-code requests in bulk - a CSV upload in the browser or a REST list - and the bulk jobs.

Each row goes through the one raise of ``incidents.services.install_codes`` (validated on its own,
written set-based); a bulk raise sends one summary email per assignee instead of one per request.
"""
from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from incidents.choices import IncidentChannel
from incidents.models import IncidentBulkJob, IncidentBulkRow
from incidents.services.common import party_of
from incidents.services.install_codes import BulkRowResult, install_code_requests_raise, require_supplier
from incidents.services.notifications import email_bulk_summaries
from portal.choices import JobStatus
from portal.csv_upload import csv_records
from portal.errors import ValidationFailed
from portal.jobs import task_enqueue_on_commit
from portal.models import User
from portal.text import refuse_unstorable

logger = logging.getLogger(__name__)

BULK_MAX_ROWS = 100_000
#: How an upload over ``portal.csv_upload.MAX_UPLOAD_BYTES`` is refused (page and REST), before it is read.
BULK_UPLOAD_TOO_LARGE = f"At most {BULK_MAX_ROWS:,} rows can be raised at once. Nothing was raised."
#: Browser uploads up to this many rows are processed in the request; larger ones run as a Celery job.
BULK_INLINE_MAX_ROWS = 500
#: REST bulk requests up to this many rows run in the request and are answered 200 with every row's result
#: (docs/API.md); larger ones are answered 202 with the job to poll (``Location``).
BULK_API_INLINE_MAX_ROWS = 1_000
BULK_CHUNK_ROWS = 10_000
#: The Celery task that runs a queued job, by name: services do not import tasks (``portal.jobs``).
BULK_JOB_TASK = "incidents.tasks.incident_bulk_job_run_task"


def parse_device_id_csv(data: bytes | str) -> list[str]:
    """The ``device_id`` column of an uploaded CSV, in order (header required, BOM and blank lines tolerated).

    Reading stops past ``BULK_MAX_ROWS`` lines after the header, blank ones included (they raise nothing,
    but reading them is not free): a larger file is refused before it is all read. The upload's size was
    checked before (``BULK_UPLOAD_TOO_LARGE``)."""
    records = csv_records(data, unchanged="Nothing was raised.")
    columns = [column.strip().lower() for column in next(records, None) or []]
    if "device_id" not in columns:
        raise ValidationFailed("The CSV needs a header row with a 'device_id' column.", code="csv_no_device_id",
                               errors={"file": ["Missing the 'device_id' column."]})
    index = columns.index("device_id")
    device_ids = []
    for count, row in enumerate(records, start=1):
        if count > BULK_MAX_ROWS:
            raise ValidationFailed(f"At most {BULK_MAX_ROWS:,} rows can be raised at once; split the file.",
                                   code="too_many_rows",
                                   errors={"file": [f"More than {BULK_MAX_ROWS:,} rows (blank lines count too)."]})
        if not any(cell.strip() for cell in row):
            continue
        device_ids.append(row[index].strip() if index < len(row) else "")
    return device_ids


def _check_bulk_size(device_ids: list) -> None:
    if not device_ids:
        raise ValidationFailed("No Device IDs were given.", code="no_rows", errors={"device_ids": ["Empty."]})
    if len(device_ids) > BULK_MAX_ROWS:
        raise ValidationFailed(f"At most {BULK_MAX_ROWS:,} rows can be raised at once; split the file.",
                               code="too_many_rows", errors={"device_ids": [f"{len(device_ids):,} rows given."]})
    for number, device_id in enumerate(device_ids, start=1):
        refuse_unstorable(device_id, subject=f"Row {number}", field="device_ids", unchanged="Nothing was raised.")


@transaction.atomic
def incident_bulk_raise_install_code_requests(*, device_ids: list[str], actor: User,
                                              channel: IncidentChannel = IncidentChannel.BULK_API) -> list[BulkRowResult]:
    """Raise many requests at once, in this process: each row validated on its own, all written in one
    transaction (the page and the REST API go through ``incident_bulk_job_submit`` instead).

    Valid rows are created even when others fail; a row never exists without its history and emails.
    """
    party = party_of(actor)
    require_supplier(party)
    _check_bulk_size(device_ids)
    results = install_code_requests_raise(device_ids=device_ids, actor=actor, party=party, channel=channel)
    email_bulk_summaries(
        party=party, label=f"REST request by {actor.username}",
        created=((r.assigned_party_id, r.reference, r.device_id) for r in results if r.ok and not r.existing),
    )
    return results


def incident_bulk_job_submit(*, device_ids: list[str], actor: User, channel: IncidentChannel = IncidentChannel.BULK_WEB,
                             file_name: str = "") -> IncidentBulkJob:
    """Record a bulk raise (a browser upload, or a REST request) as a job: up to the channel's inline size
    (``BULK_INLINE_MAX_ROWS``, ``BULK_API_INLINE_MAX_ROWS``) it runs now and is returned finished; a
    larger one is queued for a Celery worker once the job row is committed."""
    party = party_of(actor)
    require_supplier(party)
    _check_bulk_size(device_ids)
    inline = len(device_ids) <= _inline_max_rows(channel)
    with transaction.atomic():
        job = IncidentBulkJob.objects.create(
            party=party, user=actor, channel=channel, file_name=file_name[:200],
            device_ids=device_ids, total_rows=len(device_ids),
        )
        if not inline:
            task_enqueue_on_commit(BULK_JOB_TASK, job.pk)
    if inline:
        incident_bulk_job_run(job_id=job.pk)
        job.refresh_from_db()
    return job


def _inline_max_rows(channel: IncidentChannel) -> int:
    return BULK_API_INLINE_MAX_ROWS if channel == IncidentChannel.BULK_API else BULK_INLINE_MAX_ROWS


def _summary_label(job: IncidentBulkJob) -> str:
    """How the summary emails name the bulk raise."""
    if job.channel == IncidentChannel.BULK_API:
        return f"REST request by {job.user.username}"
    return f"upload {job.file_name or job.pk}"


def incident_bulk_job_run(*, job_id: int) -> None:
    """Process a bulk job in chunks, each chunk atomic with the job's progress, then send the summaries.

    Resumable: a restarted run (``acks_late`` redelivery) continues after the last committed chunk,
    and the summary emails are sent once (``notified_at``).
    """
    job = IncidentBulkJob.objects.select_related("party", "user").get(pk=job_id)
    if job.is_finished:
        return
    IncidentBulkJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(status=JobStatus.RUNNING)
    try:
        while True:
            with transaction.atomic():
                job = IncidentBulkJob.objects.select_for_update(of=("self",)).select_related("party", "user").get(pk=job_id)
                start = job.processed_rows
                if start >= job.total_rows:
                    break
                chunk = job.device_ids[start:start + BULK_CHUNK_ROWS]
                results = install_code_requests_raise(device_ids=chunk, actor=job.user, party=job.party,
                                                      channel=job.channel)
                IncidentBulkRow.objects.bulk_create([
                    IncidentBulkRow(job=job, row_number=start + offset + 1, device_id=r.device_id[:60], ok=r.ok,
                                    existing=r.existing, reference=r.reference, error=r.error[:300],
                                    assigned_party_id=r.assigned_party_id)
                    for offset, r in enumerate(results)
                ], batch_size=5000)
                job.processed_rows = start + len(chunk)
                job.created_count += sum(1 for r in results if r.ok and not r.existing)
                job.failed_count += sum(1 for r in results if not r.ok)
                job.save(update_fields=["processed_rows", "created_count", "failed_count"])
        with transaction.atomic():
            job = IncidentBulkJob.objects.select_for_update(of=("self",)).select_related("party", "user").get(pk=job_id)
            if job.notified_at is None:
                email_bulk_summaries(
                    party=job.party, label=_summary_label(job),
                    created=job.rows.filter(ok=True, existing=False).values_list(
                        "assigned_party_id", "reference", "device_id").iterator(chunk_size=5000),
                )
                job.notified_at = timezone.now()
            job.status, job.finished_at = JobStatus.DONE, timezone.now()
            job.save(update_fields=["notified_at", "status", "finished_at"])
    except Exception as error:
        logger.exception("Bulk incident job %s failed", job_id)
        IncidentBulkJob.record_failure(job_id, error)
        raise
