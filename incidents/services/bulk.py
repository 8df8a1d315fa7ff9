"""R121-8: install-code requests in bulk - a CSV upload in the browser or a REST list - and the bulk jobs.

The flow (the same words as the restriction upload, ``inventory.services.restriction_bulk``): **check**
the file (``incident_bulk_job_check``: every row judged by the one raise of
``incidents.services.install_codes`` in a dry run, counts by outcome and reason, nothing written),
**confirm** (``incident_bulk_job_confirm``), and the job raises the rows in committed chunks through the
portal's one job runner (``portal.jobs``). A bulk raise sends one summary email per assignee instead of
one per request.

Row numbers are those of a spreadsheet (the header is row 1, the first device row 2); REST rows are
numbered from 1 in list order. R121-9: a ``device_id`` cell that looks like an install code is never
stored, echoed or emailed: it is replaced by ``MASKED_DEVICE_ID`` before the job row is written and the
row is refused (``install_code_in_device_id``); a file name that looks like one is not kept either.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator

from django.db import transaction
from django.db.models import Count, Exists, Min, OuterRef
from django.utils import timezone

from incidents.choices import IncidentChannel, IncidentState
from incidents.models import Incident, IncidentBulkJob, IncidentBulkRow
from incidents.services.common import party_of
from incidents.services.install_codes import BulkRowResult, install_code_requests_raise, require_supplier
from incidents.services.notifications import email_bulk_summaries
from incidents.services.secrecy import looks_like_install_code
from portal.choices import JobStatus
from portal.csv_upload import csv_records
from portal.errors import RuleRefused, ValidationFailed
from portal.eui64 import is_device_id
from portal.jobs import (
    ChunkDone,
    job_confirm,
    job_enqueue,
    job_retry,
    job_run_chunked,
    job_submit,
)
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
#: What is stored and shown instead of a ``device_id`` cell that looked like an install code (R121-9).
MASKED_DEVICE_ID = "[removed: looked like an install code]"
INSTALL_CODE_IN_DEVICE_ID = (
    "This cell looked like an install code, not a Device ID, so it was not stored or raised: write the "
    "meter's Device ID (for example 00-DB-12-34-56-78-90-A0). Install codes go only in the incident's "
    "install code field."
)
#: The refused-rows CSV: the upload's column, then why the row was refused (re-uploadable as it is).
REFUSED_COLUMNS = ("row", "device_id", "refused_because")
#: How many example rows the check shows per reason.
EXAMPLES_PER_REASON = 5


class DeviceIdRows(list):
    """The ``device_id`` cells of an upload, with each one's spreadsheet row in ``line_numbers``."""

    def __init__(self, values: Iterable[str] = (), line_numbers: Iterable[int] = ()) -> None:
        super().__init__(values)
        self.line_numbers = list(line_numbers)


def parse_device_id_csv(data: bytes | str) -> DeviceIdRows:
    """The ``device_id`` column of an uploaded CSV, in order (header required, BOM and blank lines tolerated),
    with each cell's spreadsheet row (``line_numbers``: the header is row 1).

    Reading stops past ``BULK_MAX_ROWS`` lines after the header, blank ones included (they raise nothing,
    but reading them is not free): a larger file is refused before it is all read. The upload's size was
    checked before (``BULK_UPLOAD_TOO_LARGE``)."""
    records = csv_records(data, unchanged="Nothing was raised.")
    columns = [column.strip().lower() for column in next(records, None) or []]
    if "device_id" not in columns:
        raise ValidationFailed("The CSV needs a header row with a 'device_id' column.", code="csv_no_device_id",
                               errors={"file": ["Missing the 'device_id' column."]})
    index = columns.index("device_id")
    device_ids = DeviceIdRows()
    for count, row in enumerate(records, start=1):
        if count > BULK_MAX_ROWS:
            raise ValidationFailed(f"At most {BULK_MAX_ROWS:,} rows can be raised at once; split the file.",
                                   code="too_many_rows",
                                   errors={"file": [f"More than {BULK_MAX_ROWS:,} rows (blank lines count too)."]})
        if not any(cell.strip() for cell in row):
            continue
        device_ids.append(row[index].strip() if index < len(row) else "")
        device_ids.line_numbers.append(count + 1)
    return device_ids


def _check_bulk_size(device_ids: list, line_numbers: list[int] | None = None) -> None:
    if not device_ids:
        raise ValidationFailed("No Device IDs were given.", code="no_rows", errors={"device_ids": ["Empty."]})
    if len(device_ids) > BULK_MAX_ROWS:
        raise ValidationFailed(f"At most {BULK_MAX_ROWS:,} rows can be raised at once; split the file.",
                               code="too_many_rows", errors={"device_ids": [f"{len(device_ids):,} rows given."]})
    for position, device_id in enumerate(device_ids, start=1):
        number = line_numbers[position - 1] if line_numbers else position
        refuse_unstorable(device_id, subject=f"Row {number}", field="device_ids", unchanged="Nothing was raised.")


def mask_install_codes(device_ids: list[str]) -> list[str]:
    """``device_ids`` with every cell that looks like an install code replaced by ``MASKED_DEVICE_ID`` (R121-9).

    A Device ID written as the portal reads it (``00-DB-12-34-56-78-90-A0``) never looks like a code; 16 hex
    digits without separators do (a code is 12 to 32), and are not a Device ID the raise accepts either, so
    masking them loses nothing but the echo: the row's reason says how to write the Device ID.
    """
    # A well-formed Device ID (one fast regex) is never a code: only the other cells go through the filter.
    return [MASKED_DEVICE_ID if not is_device_id(raw) and looks_like_install_code(raw) else raw for raw in device_ids]


def safe_file_name(file_name: str) -> str:
    """The upload's file name as it may be kept and shown in emails: empty if it looks like an install code."""
    return "" if looks_like_install_code(file_name) else file_name[:200]


def _judge(*, device_ids: list[str], actor: User, party, channel, dry_run: bool) -> list[BulkRowResult]:
    """The one raise over already-masked rows; masked cells are refused without echoing anything."""
    results = install_code_requests_raise(device_ids=device_ids, actor=actor, party=party, channel=channel,
                                          dry_run=dry_run)
    for value, result in zip(device_ids, results, strict=True):
        if value == MASKED_DEVICE_ID:
            result.device_id = MASKED_DEVICE_ID
            result.refuse(ValidationFailed(INSTALL_CODE_IN_DEVICE_ID, code="install_code_in_device_id",
                                           errors={"device_id": ["Looks like an install code."]}))
    return results


def _refusal_code(result: BulkRowResult) -> str:
    return (result.refusal.code if result.refusal is not None else "") or "refused"


def bulk_preview(results: Iterable[BulkRowResult], line_numbers: list[int]) -> dict:
    """Counts by outcome and by reason, with a few example rows per reason (what the check page shows)."""
    outcomes: Counter[str] = Counter()
    reasons: dict[str, dict] = {}
    for position, result in enumerate(results, start=1):
        if result.ok:
            outcomes["existing" if result.existing else "raise"] += 1
            continue
        outcomes["refused"] += 1
        code = _refusal_code(result)
        reason = reasons.setdefault(code, {"code": code, "count": 0, "detail": result.error, "rows": []})
        reason["count"] += 1
        if len(reason["rows"]) < EXAMPLES_PER_REASON:
            reason["rows"].append(line_numbers[position - 1] if line_numbers else position)
    ordered = sorted(reasons.values(), key=lambda reason: (-reason["count"], reason["code"]))
    return {"outcomes": {"raise": outcomes["raise"], "existing": outcomes["existing"], "refused": outcomes["refused"]},
            "reasons": ordered}


def incident_bulk_job_check(*, device_ids: list[str], actor: User, channel: IncidentChannel = IncidentChannel.BULK_WEB,
                            file_name: str = "", line_numbers: list[int] | None = None) -> IncidentBulkJob:
    """The check step: record the rows as a job that is not yet confirmed, with what raising them would do.

    Every row goes through the one raise in a dry run (set-based, the same statements as the job; nothing
    is written but the job row); ``incident_bulk_job_confirm`` starts the job.
    """
    party = party_of(actor)
    require_supplier(party)
    line_numbers = list(line_numbers or getattr(device_ids, "line_numbers", []) or [])
    _check_bulk_size(device_ids, line_numbers)
    masked = mask_install_codes(device_ids)
    with transaction.atomic():  # the dry run's device locks last only as long as the check
        results = _judge(device_ids=masked, actor=actor, party=party, channel=channel, dry_run=True)
    return IncidentBulkJob.objects.create(
        party=party, user=actor, channel=channel, file_name=safe_file_name(file_name), device_ids=masked,
        line_numbers=line_numbers, total_rows=len(masked), status=JobStatus.CHECKED,
        preview=bulk_preview(results, line_numbers),
    )


def incident_bulk_job_confirm(*, job: IncidentBulkJob, actor: User) -> IncidentBulkJob:
    """Start a checked job (the confirm step): up to the channel's inline size it runs now, else on a worker."""
    party = party_of(actor)
    require_supplier(party)
    if not job_confirm(IncidentBulkJob, job.pk, inline=job.total_rows <= _inline_max_rows(job.channel),
                       run=lambda job_id: incident_bulk_job_run(job_id=job_id), enqueue=incident_bulk_job_enqueue):
        raise RuleRefused(f"Upload #{job.pk} was already confirmed.", code="already_confirmed")
    job.refresh_from_db()
    return job


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
    results = _judge(device_ids=mask_install_codes(device_ids), actor=actor, party=party, channel=channel,
                     dry_run=False)
    email_bulk_summaries(
        party=party, label=f"REST request by {actor.username}",
        created=((r.assigned_party_id, r.reference, r.device_id) for r in results
                 if r.ok and not r.existing and not r.answered_from_deposit),
    )
    return results


def incident_bulk_job_submit(*, device_ids: list[str], actor: User, channel: IncidentChannel = IncidentChannel.BULK_WEB,
                             file_name: str = "", line_numbers: list[int] | None = None) -> IncidentBulkJob:
    """Record a bulk raise (a REST request, or an upload without a check step) as a job: up to the channel's
    inline size (``BULK_INLINE_MAX_ROWS``, ``BULK_API_INLINE_MAX_ROWS``) it runs now and is returned
    finished; a larger one is queued for a Celery worker once the job row is committed."""
    party = party_of(actor)
    require_supplier(party)
    line_numbers = list(line_numbers or getattr(device_ids, "line_numbers", []) or [])
    _check_bulk_size(device_ids, line_numbers)
    masked = mask_install_codes(device_ids)
    return job_submit(
        IncidentBulkJob, inline=len(masked) <= _inline_max_rows(channel),
        run=lambda job_id: incident_bulk_job_run(job_id=job_id), enqueue=incident_bulk_job_enqueue,
        party=party, user=actor, channel=channel, file_name=safe_file_name(file_name), device_ids=masked,
        line_numbers=line_numbers, total_rows=len(masked),
    )


def incident_bulk_job_enqueue(job_id: int) -> None:
    """Hand the job to the worker, by task name (services never import tasks)."""
    job_enqueue(BULK_JOB_TASK, job_id)


def incident_bulk_job_retry(*, job: IncidentBulkJob) -> bool:
    """Queue a failed job again; it resumes after its last committed chunk."""
    return job_retry(IncidentBulkJob, job.pk, enqueue=incident_bulk_job_enqueue)


def _inline_max_rows(channel: IncidentChannel) -> int:
    return BULK_API_INLINE_MAX_ROWS if channel == IncidentChannel.BULK_API else BULK_INLINE_MAX_ROWS


def _summary_label(job: IncidentBulkJob) -> str:
    """How the summary emails name the bulk raise (R121-9: never a file name that looks like a code)."""
    if job.channel == IncidentChannel.BULK_API:
        return f"REST request by {job.user.username}"
    return f"upload {safe_file_name(job.file_name) or f'#{job.pk}'}"


def _line(job: IncidentBulkJob, index: int) -> int:
    return job.line_numbers[index] if index < len(job.line_numbers) else index + 1


def _raise_chunk(job: IncidentBulkJob, start: int) -> ChunkDone:
    chunk = job.device_ids[start:start + BULK_CHUNK_ROWS]
    results = _judge(device_ids=chunk, actor=job.user, party=job.party, channel=job.channel, dry_run=False)
    IncidentBulkRow.objects.bulk_create([
        IncidentBulkRow(job=job, row_number=_line(job, start + offset), device_id=r.device_id[:60], ok=r.ok,
                        existing=r.existing, reference=r.reference, error=r.error[:300],
                        code="" if r.ok else _refusal_code(r)[:60], assigned_party_id=r.assigned_party_id)
        for offset, r in enumerate(results)
    ], batch_size=5000)
    created = sum(1 for r in results if r.ok and not r.existing)
    return ChunkDone(rows=len(chunk), counts={"created_count": created,
                                              "failed_count": sum(1 for r in results if not r.ok)})


def _send_summaries(job: IncidentBulkJob) -> dict:
    """Once every row is raised: one summary email per assignee, sent once (``notified_at``)."""
    if job.notified_at is not None:
        return {}
    # A request answered at once from its assignee's deposit awaits nobody: it is not listed.
    answered = Incident.objects.filter(reference=OuterRef("reference"), state=IncidentState.RESPONDED)
    email_bulk_summaries(
        party=job.party, label=_summary_label(job),
        created=job.rows.filter(ok=True, existing=False).exclude(Exists(answered)).values_list(
            "assigned_party_id", "reference", "device_id").iterator(chunk_size=5000),
    )
    return {"notified_at": timezone.now()}


def incident_bulk_job_run(*, job_id: int) -> None:
    """Process a confirmed bulk job in chunks (``portal.jobs.job_run_chunked``), then send the summaries.

    Resumable: a restarted run continues after the last committed chunk, and the summary emails are sent
    once. A checked job that is not confirmed waits.
    """
    if IncidentBulkJob.objects.filter(pk=job_id, status=JobStatus.CHECKED).exists():
        return
    job_run_chunked(IncidentBulkJob, job_id, chunk=_raise_chunk, finish=_send_summaries,
                    select_related=("party", "user"), payload=("device_ids", "line_numbers"))


def incident_bulk_job_reasons(job: IncidentBulkJob) -> list[dict]:
    """The refused rows counted by reason (one query): ``[{code, count, first_row, detail}]``, most first."""
    reasons = list(job.rows.filter(ok=False).order_by().values("code")
                   .annotate(count=Count("id"), first_row=Min("row_number")).order_by("-count", "code"))
    details = dict(job.rows.filter(row_number__in=[r["first_row"] for r in reasons]).values_list("row_number", "error"))
    for reason in reasons:
        reason["detail"] = details.get(reason["first_row"], "")
    return reasons


def incident_bulk_refused_rows(job: IncidentBulkJob) -> Iterator[list[str]]:
    """The refused rows as uploaded (masked cells stay masked), plus why (``REFUSED_COLUMNS``).

    A finished job gives its refused rows; a checked one is judged again now in a dry run (nothing written).
    """
    if job.status == JobStatus.CHECKED:
        device_ids, line_numbers = IncidentBulkJob.objects.values_list("device_ids", "line_numbers").get(pk=job.pk)
        with transaction.atomic():
            results = _judge(device_ids=device_ids, actor=job.user, party=job.party, channel=job.channel,
                             dry_run=True)
        for position, (value, result) in enumerate(zip(device_ids, results, strict=True)):
            if not result.ok:
                number = line_numbers[position] if position < len(line_numbers) else position + 1
                yield [str(number), value, result.error]
        return
    device_ids = IncidentBulkJob.objects.values_list("device_ids", flat=True).get(pk=job.pk)
    by_number = {_line(job, index): value for index, value in enumerate(device_ids)}
    for number, stored, error in job.rows.filter(ok=False).order_by("row_number").values_list(
            "row_number", "device_id", "error").iterator(chunk_size=5000):
        yield [str(number), by_number.get(number, stored), error]
