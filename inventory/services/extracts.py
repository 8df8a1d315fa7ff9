"""Device extracts as jobs: the inventory list's CSV written to a file by a worker, with progress.

The job keeps the list's query string and re-applies it to the requesting party's scope when it
runs, so the file holds exactly what the list showed (same filters, same ``COPY`` as the streamed
extract in ``inventory.selectors.extracts``). The file is written in keyset chunks of Device IDs, one ``COPY``
per chunk, so progress is recorded between chunks on the same connection. Small extracts are
written while the request waits; files are kept for ``EXTRACT_RETENTION`` and then deleted.
"""
from __future__ import annotations

import logging
import tempfile
from datetime import timedelta

from django.core.exceptions import EmptyResultSet
from django.core.files import File
from django.db import connections, transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone

from inventory.filtersets import DeviceFilterSet
from inventory.models import Device, DeviceExtractJob
from inventory.selectors import COLUMN_NAMES, csv_copy_statement, device_queryset_for, party_sees_inventory
from portal.choices import JobStatus
from portal.db_routing import replica_reads
from portal.errors import PermissionDenied, ValidationFailed
from portal.jobs import task_send
from portal.models import Party, User

logger = logging.getLogger(__name__)

#: Extracts up to this many devices are written while the request waits (well under a second).
EXTRACT_INLINE_MAX_ROWS = 10_000
#: Devices per ``COPY``; progress is saved between chunks (about four times a second at full speed).
EXTRACT_CHUNK_ROWS = 50_000
#: How long a finished file is kept before ``device_extracts_expire`` deletes it.
EXTRACT_RETENTION = timedelta(days=7)
#: Parameters of the list that are not filters (paging and the htmx target).
_NOT_FILTERS = ("after", "format")


def _clean_filters(filters: str) -> str:
    """The query string without paging parameters and empty ("Any") filters."""
    query = QueryDict(filters, mutable=True)
    for name in [*_NOT_FILTERS, *(key for key, values in query.lists() if not any(v.strip() for v in values))]:
        query.pop(name, None)
    return query.urlencode()


def extract_filter_summary(filters: str) -> list[tuple[str, str]]:
    """The filters as people read them, e.g. ``[("Device type", "GSME"), ("Responsible supplier", "SUPA")]``."""
    form = DeviceFilterSet(QueryDict(filters)).form
    form.is_valid()
    summary = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name) if hasattr(form, "cleaned_data") else None
        if value in (None, ""):
            continue
        shown = getattr(value, "code", None)  # a party
        if shown is None:
            shown = dict(getattr(field, "choices", []) or []).get(str(value), value)
        summary.append((str(field.label), str(shown)))
    return summary


def extract_queryset(party: Party | None, filters: str) -> QuerySet[Device]:
    """The party's devices with the list's filters applied; ``ValidationFailed`` for a bad filter."""
    filterset = DeviceFilterSet(QueryDict(filters), queryset=device_queryset_for(party))
    if not filterset.is_valid():
        errors = {name: [str(message) for message in messages] for name, messages in filterset.errors.items()}
        raise ValidationFailed("A filter is not valid: correct it on the inventory list and try again.",
                               code="bad_filter", errors=errors)
    return filterset.qs


def device_extract_job_submit(*, actor: User, filters: str = "") -> DeviceExtractJob:
    """Start an extract of what the inventory list shows with ``filters`` (its query string)."""
    party = actor.party
    if not party_sees_inventory(party):
        raise PermissionDenied("Your organisation has no view of the inventory, so there is nothing to extract.",
                               code="no_inventory_view")
    filters = _clean_filters(filters)
    queryset = extract_queryset(party, filters)
    small = queryset[:EXTRACT_INLINE_MAX_ROWS + 1].count() <= EXTRACT_INLINE_MAX_ROWS
    with transaction.atomic():
        job = DeviceExtractJob.objects.create(party=party, user=actor, filters=filters[:4000])
        if not small:
            transaction.on_commit(lambda: _queue(job.pk))
    if small:
        device_extract_job_run(job_id=job.pk)
        job.refresh_from_db()
    return job



def _queue(job_id: int) -> None:
    """Hand the job to the worker, by task name (services never import tasks)."""
    task_send("inventory.tasks.device_extract_job_run_task", job_id, label=f"job {job_id}")


def device_extract_job_run(*, job_id: int) -> None:
    """Write the job's CSV file chunk by chunk, saving progress between chunks, then publish it.

    A redelivered run (worker crash) starts the file again from the first device.
    """
    job = DeviceExtractJob.objects.select_related("party").get(pk=job_id)
    if job.is_finished:
        return
    try:
        # Devices are read on the replica once it has replayed what was committed before the job (a file
        # cannot show its data's age, so past the lag limit it reads the primary); progress is written on the primary.
        with replica_reads("device extract file", wait_for_primary=True, lag_policy="primary") as source:
            queryset = extract_queryset(job.party, job.filters).using(source.alias)
            total = queryset.count()
        DeviceExtractJob.objects.filter(pk=job_id).update(status=JobStatus.RUNNING, total_rows=total, processed_rows=0)
        with tempfile.TemporaryFile() as buffer:
            written = _write_csv(queryset, buffer, progress=lambda rows: DeviceExtractJob.objects.filter(
                pk=job_id).update(processed_rows=rows))
            size = buffer.tell()
            buffer.seek(0)
            job.file.save(f"devices-{job.pk}-{timezone.now():%Y%m%d-%H%M%S}.csv", File(buffer), save=False)
        finished = timezone.now()
        DeviceExtractJob.objects.filter(pk=job_id).update(
            status=JobStatus.DONE, file=job.file.name, size_bytes=size, processed_rows=written, total_rows=written,
            finished_at=finished,
            expires_at=finished + EXTRACT_RETENTION,
        )
    except Exception as error:
        logger.exception("Device extract job %s failed", job_id)
        DeviceExtractJob.record_failure(job_id, error)
        raise


def _write_csv(queryset: QuerySet[Device], out, *, progress) -> int:
    """Write the header and every row of ``queryset`` to ``out`` by Device ID chunks; return the rows written."""
    out.write((",".join(COLUMN_NAMES) + "\n").encode())
    ordered = queryset.order_by("device_id")
    written = 0
    last_device_id = ""
    connection = connections[queryset.db]  # the replica when the job's read block chose it
    connection.ensure_connection()
    raw = connection.connection
    while True:
        remaining = ordered.filter(device_id__gt=last_device_id) if last_device_id else ordered
        boundary = remaining.values_list("device_id", flat=True)[EXTRACT_CHUNK_ROWS - 1:EXTRACT_CHUNK_ROWS].first()
        chunk = remaining.filter(device_id__lte=boundary) if boundary else remaining
        try:
            statement = csv_copy_statement(chunk, raw, header=False)
        except EmptyResultSet:  # a scope Django will not compile (nothing visible)
            return written
        with raw.cursor() as cursor:
            with cursor.copy(statement) as copy:
                for block in copy:
                    out.write(block)
            written += max(cursor.rowcount, 0)
        progress(written)
        if boundary is None:
            return written
        last_device_id = boundary


def device_extracts_expire(*, now=None) -> int:
    """Delete the files of extracts past their expiry; the job rows stay as a record. Returns files deleted."""
    now = now or timezone.now()
    deleted = 0
    for job in DeviceExtractJob.objects.filter(expires_at__lte=now).exclude(file="").iterator(chunk_size=500):
        job.file.delete(save=False)
        DeviceExtractJob.objects.filter(pk=job.pk).update(file="")
        deleted += 1
    return deleted

