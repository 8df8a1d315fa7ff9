"""Device extracts as jobs: the inventory list's CSV written to a file by a worker, with progress.

The job keeps the list's query string and re-applies it to the requesting party's scope when it
runs, so the file holds exactly what the list showed (same filters, same ``COPY`` as the streamed
extract in ``inventory.selectors.extracts``). The file is written by that one ``COPY``; progress is
saved on a second connection while it runs. Small extracts are
written while the request waits; files are kept for ``EXTRACT_RETENTION`` and then deleted.
"""
from __future__ import annotations

import logging
import os
import tempfile
from datetime import timedelta

from django.core.exceptions import EmptyResultSet
from django.core.files import File
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone

from inventory.filtersets import DeviceFilterSet
from inventory.models import Device, DeviceExtractJob
from inventory.selectors import COLUMN_NAMES, csv_copy_statement, device_queryset_for, party_sees_inventory
from portal.db_routing import replica_reads
from portal.errors import PermissionDenied, ValidationFailed
from portal.jobs import job_enqueue, job_run, job_submit
from portal.models import Party, User

logger = logging.getLogger(__name__)

#: Extracts up to this many devices are written while the request waits (well under a second).
EXTRACT_INLINE_MAX_ROWS = 10_000
#: Progress is saved every this many rows (about once a second at full speed). The file is one ``COPY``:
#: the keyset chunks it was once written in each re-read the whole device table for the hub join
#: (measured: 0.47x psql COPY at 500,000 devices, against 0.89x for the stream).
EXTRACT_PROGRESS_ROWS = 50_000
#: The file is written through a buffer this large (fewer, larger writes).
FILE_BUFFER_BYTES = 1024 * 1024
#: The Celery task that writes a queued extract, by name.
EXTRACT_TASK = "inventory.tasks.device_extract_job_run_task"
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
    return job_submit(DeviceExtractJob, inline=small, run=lambda job_id: device_extract_job_run(job_id=job_id),
                      enqueue=device_extract_job_enqueue, party=party, user=actor, filters=filters[:4000])


def device_extract_job_enqueue(job_id: int) -> None:
    """Hand the job to the worker, by task name (services never import tasks)."""
    job_enqueue(EXTRACT_TASK, job_id)


def device_extract_job_run(*, job_id: int) -> None:
    """Write the job's CSV file with one ``COPY`` (the stream's), saving progress as it goes, then publish it.

    Run by the portal's job runner (``portal.jobs.job_run``). A redelivered run starts the file again.
    """

    def work(job: DeviceExtractJob, progress) -> dict:
        # Devices are read on the replica once it has replayed what was committed before the job (a file
        # cannot show its data's age, so past the lag limit it reads the primary); progress is written on the primary.
        with replica_reads("device extract file", wait_for_primary=True, lag_policy="primary") as source:
            queryset = extract_queryset(job.party, job.filters).using(source.alias)
            total = queryset.count()
            progress(0, total_rows=total)
            name = f"devices-{job.pk}-{timezone.now():%Y%m%d-%H%M%S}.csv"
            with _ProgressOnItsOwnConnection(DeviceExtractJob, job.pk) as side_progress:
                written, size, stored_name = _write_file(queryset, name, progress=side_progress)
        finished = timezone.now()
        return {"file": stored_name, "size_bytes": size, "processed_rows": written, "total_rows": written,
                "finished_at": finished, "expires_at": finished + EXTRACT_RETENTION}

    job_run(DeviceExtractJob, job_id, work, select_related=("party",))


class _ProgressOnItsOwnConnection:
    """Saves a job's ``processed_rows`` on a second connection to the primary (autocommit).

    The file is written by one ``COPY``, and a connection in the middle of a ``COPY`` can run nothing
    else; the polling page reads what this connection commits. Opened lazily, closed on exit.
    """

    def __init__(self, model, job_id: int) -> None:
        self.model, self.job_id, self.connection = model, job_id, None

    def __enter__(self):
        return self

    def __call__(self, rows: int) -> None:
        if self.connection is None:
            self.connection = connections.create_connection(DEFAULT_DB_ALIAS)
        with self.connection.cursor() as cursor:
            cursor.execute(f"UPDATE {self.model._meta.db_table} SET processed_rows = %s WHERE id = %s",
                           [rows, self.job_id])

    def __exit__(self, *exc) -> None:
        if self.connection is not None:
            self.connection.close()


def _write_file(queryset: QuerySet[Device], name: str, *, progress) -> tuple[int, int, str]:
    """Write the CSV into the extracts storage; return (rows, bytes, stored name).

    On the file system (the default storage) the file is written once, in place, under a temporary name
    that is renamed when complete; another storage gets a temporary file copied in.
    """
    field = DeviceExtractJob._meta.get_field("file")
    storage = field.storage
    stored = storage.get_available_name(field.generate_filename(None, name))
    try:
        path = storage.path(stored)
    except NotImplementedError:  # not a file system: write a temporary file, then hand it over
        with tempfile.TemporaryFile() as buffer:
            written = _write_csv(queryset, buffer, progress=progress)
            size = buffer.tell()
            buffer.seek(0)
            return written, size, storage.save(stored, File(buffer))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    partial = f"{path}.part"
    try:
        with open(partial, "wb", buffering=FILE_BUFFER_BYTES) as out:
            written = _write_csv(queryset, out, progress=progress)
            size = out.tell()
        os.replace(partial, path)
    except BaseException:
        if os.path.exists(partial):
            os.remove(partial)
        raise
    return written, size, stored


def _write_csv(queryset: QuerySet[Device], out, *, progress) -> int:
    """Write the header and every row of ``queryset`` to ``out`` with one ``COPY``; return the rows written.

    ``progress(rows)`` is called every ``EXTRACT_PROGRESS_ROWS`` rows and at the end. libpq hands over
    one row per block, so counting blocks counts rows.
    """
    connection = connections[queryset.db]  # the replica when the job's read block chose it
    connection.ensure_connection()
    raw = connection.connection
    try:
        statement = csv_copy_statement(queryset, raw, header=True)
    except EmptyResultSet:  # a scope Django will not compile (nothing visible)
        out.write((",".join(COLUMN_NAMES) + "\n").encode())
        progress(0)
        return 0
    rows = -1  # the header is the first block
    step = EXTRACT_PROGRESS_ROWS
    next_report = step
    write = out.write
    with raw.cursor() as cursor:
        with cursor.copy(statement) as copy:
            for block in copy:
                write(block)
                rows += 1
                if rows >= next_report:
                    progress(rows)
                    next_report += step
        written = cursor.rowcount if cursor.rowcount >= 0 else max(rows, 0)  # COPY's count leaves out the header
    progress(written)
    return written


def device_extracts_expire(*, now=None) -> int:
    """Delete the files of extracts past their expiry; the job rows stay as a record. Returns files deleted."""
    now = now or timezone.now()
    deleted = 0
    for job in DeviceExtractJob.objects.filter(expires_at__lte=now).exclude(file="").iterator(chunk_size=500):
        job.file.delete(save=False)
        DeviceExtractJob.objects.filter(pk=job.pk).update(file="")
        deleted += 1
    return deleted

