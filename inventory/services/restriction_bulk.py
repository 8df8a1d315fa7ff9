"""Bulk restriction changes as jobs: a file or REST list of rows, checked, confirmed, then applied in chunks.

The flow (the same words as the install-code upload, ``incidents.services.bulk``): **check** the file
(``restriction_bulk_job_check``: every row judged by the MP169 rules, counts by outcome and reason, nothing
changed), **confirm** (``restriction_bulk_job_confirm``), and the job applies each row through
``restriction_set`` exactly as a single change would (``restriction_bulk_apply``), so the MP169 rules live
in one place. The chunks run through the portal's one job runner (``portal.jobs``): a chunk of rows,
their outcomes and the job's progress commit together, and a redelivered task carries on after the last
committed chunk, so no row is applied twice.

Row numbers are those of a spreadsheet (the header is row 1, the first meter row 2); REST rows are
numbered from 1 in list order.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator

from django.db.models import Count, Min

from inventory.choices import RestrictionChannel
from inventory.models import RestrictionBulkJob, RestrictionBulkRow
from inventory.selectors import DeviceLookup, restriction_bulk_job_results
from inventory.services.restriction import (
    BULK_COLUMNS,
    BULK_JOB_MAX_ROWS,
    BULK_LINE_KEY,
    BulkRowResult,
    _bulk_boolean,
    restriction_bulk_apply,
    restriction_check,
)
from portal.choices import JobStatus
from portal.errors import DomainError, PermissionDenied, RuleRefused, ValidationFailed
from portal.jobs import (
    ChunkDone,
    job_confirm,
    job_enqueue,
    job_retry,
    job_run_chunked,
    job_submit,
)
from portal.models import User
from portal.text import refuse_unstorable, unstorable_reason

logger = logging.getLogger(__name__)

#: Jobs up to this size are applied while the request waits; larger ones go to a worker.
JOB_INLINE_MAX_ROWS = 100
#: Rows applied per transaction: short enough that a meter's lock is held well under a second.
JOB_CHUNK_ROWS = 100
#: The Celery task that runs a queued job, by name (services never import tasks).
JOB_TASK = "inventory.tasks.restriction_bulk_job_run_task"
#: The refused-rows CSV: the upload's columns, then why the row was refused (re-uploadable as it is).
REFUSED_COLUMNS = ("row", *BULK_COLUMNS, "refused_because")
#: How many example rows the check shows per reason.
EXAMPLES_PER_REASON = 5


def _refuse_submitter(actor: User) -> None:
    party = actor.party
    if party is None or not party.is_supplier:
        raise PermissionDenied("Only an energy supplier can change Restricted mode.", code="not_a_supplier")


def _check_rows(rows: list[dict]) -> None:
    if not rows:
        raise ValidationFailed("There are no rows to apply. Nothing was changed.", code="no_rows")
    if len(rows) > BULK_JOB_MAX_ROWS:
        raise ValidationFailed(
            f"A bulk change may have at most {BULK_JOB_MAX_ROWS:,} rows ({len(rows):,} given): split it. "
            "Nothing was changed.",
            code="too_many_rows",
        )
    for number, row in enumerate(rows, start=1):
        # the rows are stored whole (jsonb) before any is applied
        refuse_unstorable(row, subject=f"Row {row_number(row, number)}")


def row_number(row: dict, position: int) -> int:
    """A row's number as the user sees it: its spreadsheet row for a CSV, its 1-based position for REST."""
    return row.get(BULK_LINE_KEY) or position


def restriction_bulk_rows_judge(*, rows: list[dict], actor: User, first_position: int = 1) -> list[BulkRowResult]:
    """What applying ``rows`` would do, row by row, without changing anything (the check step).

    The same rules as ``restriction_set`` (through ``restriction_check``) plus the row's own content (reason,
    attestation); the devices are read in one query. A row with several faults may name a different one
    first than the job does; whether it is applied or refused is the same, unless the estate changes in between.
    """
    results = []
    devices = DeviceLookup(actor.party, (str(row.get("device_id") or "").strip() for row in rows))
    for position, row in enumerate(rows, start=first_position):
        number = row_number(row, position)
        device_id = str(row.get("device_id") or "").strip()
        restricted = None
        try:
            if row.get("__extra__"):
                raise ValidationFailed("The row has more cells than the header.", code="bad_row")
            restricted = _bulk_boolean(row.get("restricted"), "restricted", required=True)
            attested = _bulk_boolean(row.get("all_reasonable_steps_taken"), "all_reasonable_steps_taken")
            device = devices.get(device_id)
            device_id = device.device_id
            restriction_check(device=device, actor=actor, restricted=restricted)
            reason = str(row.get("reason") or "").strip()
            if not reason:
                raise ValidationFailed("A reason is required to set or clear Restricted mode.", code="reason_required")
            if (problem := unstorable_reason(reason)) is not None:
                raise ValidationFailed(f"The reason {problem}, which cannot be stored.", code="bad_characters")
            if restricted and not attested:
                raise RuleRefused(
                    "Restricted mode can only be set once you confirm that all reasonable steps to install a "
                    "fully communicating smart meter were taken.", code="attestation_required")
        except DomainError as error:
            results.append(BulkRowResult(row=number, device_id=device_id, restricted=restricted, ok=False,
                                         code=error.code, detail=error.detail))
        else:
            results.append(BulkRowResult(row=number, device_id=device_id, restricted=restricted, ok=True,
                                         detail="Restricted would be set." if restricted else
                                         "Restricted would be cleared."))
    return results


def bulk_preview(results: Iterable[BulkRowResult]) -> dict:
    """Counts by outcome and by reason, with a few example rows per reason (what the check page shows)."""
    outcomes: Counter[str] = Counter()
    reasons: dict[str, dict] = {}
    for result in results:
        if result.ok:
            outcomes["set" if result.restricted else "clear"] += 1
            continue
        outcomes["refused"] += 1
        reason = reasons.setdefault(result.code, {"code": result.code, "count": 0, "detail": result.detail,
                                                  "rows": []})
        reason["count"] += 1
        if len(reason["rows"]) < EXAMPLES_PER_REASON:
            reason["rows"].append(result.row)
    ordered = sorted(reasons.values(), key=lambda reason: (-reason["count"], reason["code"]))
    return {"outcomes": {"set": outcomes["set"], "clear": outcomes["clear"], "refused": outcomes["refused"]},
            "reasons": ordered}


def restriction_bulk_job_check(*, rows: list[dict], actor: User, channel: RestrictionChannel = RestrictionChannel.BULK,
                               file_name: str = "", request_id: str = "") -> RestrictionBulkJob:
    """The check step: record the rows as a job that is not yet confirmed, with what applying them would do.

    Nothing is changed on any meter; ``restriction_bulk_job_confirm`` starts the job. Only a supplier may
    submit (R169-1). Raises ``ValidationFailed`` for an empty or oversized list, or a row that cannot be stored.
    """
    _refuse_submitter(actor)
    _check_rows(rows)
    preview = bulk_preview(restriction_bulk_rows_judge(rows=rows, actor=actor))
    return RestrictionBulkJob.objects.create(
        party=actor.party, user=actor, channel=channel, file_name=file_name[:200], request_id=request_id[:64],
        rows=rows, total_rows=len(rows), status=JobStatus.CHECKED, preview=preview,
    )


def restriction_bulk_job_confirm(*, job: RestrictionBulkJob, actor: User) -> RestrictionBulkJob:
    """Start a checked job (the confirm step): small ones are applied now, larger ones queued for a worker."""
    _refuse_submitter(actor)
    if not job_confirm(RestrictionBulkJob, job.pk, inline=job.total_rows <= JOB_INLINE_MAX_ROWS,
                       run=lambda job_id: restriction_bulk_job_run(job_id=job_id),
                       enqueue=restriction_bulk_job_enqueue):
        raise RuleRefused(f"Upload #{job.pk} was already confirmed.", code="already_confirmed")
    job.refresh_from_db()
    return job


def restriction_bulk_job_submit(*, rows: list[dict], actor: User, channel: RestrictionChannel = RestrictionChannel.BULK,
                                file_name: str = "", request_id: str = "") -> RestrictionBulkJob:
    """Record a bulk change as a job without a check step (REST callers that check nothing first).

    Small ones are applied now, large ones queued for a worker once the job row is committed.
    Raises as ``restriction_bulk_job_check`` does; nothing is recorded then.
    """
    _refuse_submitter(actor)
    _check_rows(rows)
    return job_submit(
        RestrictionBulkJob, inline=len(rows) <= JOB_INLINE_MAX_ROWS,
        run=lambda job_id: restriction_bulk_job_run(job_id=job_id), enqueue=restriction_bulk_job_enqueue,
        party=actor.party, user=actor, channel=channel, file_name=file_name[:200], request_id=request_id[:64],
        rows=rows, total_rows=len(rows),
    )


def restriction_bulk_job_enqueue(job_id: int) -> None:
    """Hand the job to the worker, by task name (services never import tasks)."""
    job_enqueue(JOB_TASK, job_id)


def restriction_bulk_job_retry(*, job: RestrictionBulkJob) -> bool:
    """Queue a failed job again; it resumes after its last committed chunk."""
    return job_retry(RestrictionBulkJob, job.pk, enqueue=restriction_bulk_job_enqueue)


def _apply_chunk(job: RestrictionBulkJob, start: int) -> ChunkDone:
    chunk = job.rows[start:start + JOB_CHUNK_ROWS]
    results = restriction_bulk_apply(rows=chunk, actor=job.user, channel=job.channel,
                                     request_id=job.request_id, first_row_number=start + 1)
    RestrictionBulkRow.objects.bulk_create([
        RestrictionBulkRow(job_id=job.pk, row_number=row_number(row, start + offset + 1), device_id=r.device_id[:60],
                           restricted=r.restricted, ok=r.ok, code=r.code[:60], detail=r.detail[:500],
                           change_ids=list(r.change_ids))
        for offset, (row, r) in enumerate(zip(chunk, results, strict=True))
    ])
    applied = sum(1 for r in results if r.ok)
    return ChunkDone(rows=len(chunk), counts={"applied_count": applied, "refused_count": len(results) - applied})


def restriction_bulk_job_run(*, job_id: int) -> None:
    """Apply a confirmed job's rows chunk by chunk (``portal.jobs.job_run_chunked``); a checked job waits."""
    if RestrictionBulkJob.objects.filter(pk=job_id, status=JobStatus.CHECKED).exists():
        return
    job_run_chunked(RestrictionBulkJob, job_id, chunk=_apply_chunk, select_related=("user__party",),
                    payload=("rows",))


def restriction_bulk_job_reasons(job: RestrictionBulkJob) -> list[dict]:
    """The refused rows counted by reason (one query): ``[{code, count, first_row, detail}]``, most first."""
    grouped = (restriction_bulk_job_results(job).filter(ok=False).order_by().values("code")
               .annotate(count=Count("id"), first_row=Min("row_number")).order_by("-count", "code"))
    reasons = list(grouped)
    details = dict(RestrictionBulkRow.objects.filter(job=job, row_number__in=[r["first_row"] for r in reasons])
                   .values_list("row_number", "detail"))
    for reason in reasons:
        reason["detail"] = details.get(reason["first_row"], "")
    return reasons


def restriction_bulk_refused_rows(job: RestrictionBulkJob, *, actor: User) -> Iterator[list[str]]:
    """The refused rows as uploaded, plus why (``REFUSED_COLUMNS``): fix them and upload the file again.

    A finished job gives its refused rows; a checked one is judged again now (nothing is changed).
    """
    rows = RestrictionBulkJob.objects.values_list("rows", flat=True).get(pk=job.pk)
    if job.status == JobStatus.CHECKED:
        refused = ((r.row, r.detail) for r in restriction_bulk_rows_judge(rows=rows, actor=actor) if not r.ok)
    else:
        refused = restriction_bulk_job_results(job).filter(ok=False).values_list("row_number", "detail").iterator(
            chunk_size=5000)
    by_number = {row_number(row, position): row for position, row in enumerate(rows, start=1)}
    for number, detail in refused:
        row = by_number.get(number, {})
        yield [str(number), *(_cell(row.get(column)) for column in BULK_COLUMNS), detail]


def _cell(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
