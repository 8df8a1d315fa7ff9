"""Writes for reporting: monthly snapshots (scheduled and on-demand rebuilds).

Snapshots are append-only (a database trigger refuses UPDATE and DELETE). Building the scheduled
snapshot of a month that already has one returns it unchanged (idempotent); a DCC rebuild adds the
next version, so earlier versions stay as history and the newest is what pages and the API read.

What the performance report counts (R169-10; the full text is ``queries.PERFORMANCE_RULES``, shown on
the page): I0/I99 succeeded; E20/E21 and any other E-code failed, except the user-caused rejections
E2, E4, E5, E12, E19 and E72, which the DCC's checks refused before anything reached the CSP's network and
so are left out of the CSP's measure (counted apart); consumption-data requests to a device that was
Restricted at the time of the request (the log's ``restricted_at_request``) are left out and counted
as ``excluded_restricted``.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from incidents.working_days import is_working_day
from portal.db_routing import replica_reads
from portal.errors import PermissionDenied, RuleRefused
from portal.jobs import job_enqueue, job_run, job_submit
from portal.models import User
from reporting import queries
from reporting.choices import ReportKind, SnapshotTrigger
from reporting.models import ReportRebuildJob, ReportSnapshot
from reporting.months import current_month

Progress = Callable[[int, str], None]
#: The Celery task that runs a queued rebuild, by name.
REBUILD_TASK = "reporting.tasks.report_rebuild_job_run_task"

RULES = {
    ReportKind.PERFORMANCE: queries.PERFORMANCE_RULES,
    ReportKind.INSTALL_CODE_SLA: queries.SLA_RULES,
    ReportKind.RESTRICTED_FIRMWARE: queries.FIRMWARE_RULES,
}


def _compute(kind: str, month: dt.date) -> list[dict]:
    if kind == ReportKind.PERFORMANCE:
        return queries.performance_rows(first=month, last=month)
    if kind == ReportKind.INSTALL_CODE_SLA:
        return queries.install_code_sla_rows(first=month, last=month)
    return queries.restricted_firmware_rows()


def snapshot_build(
    *, kind: str, month: dt.date, trigger: str = SnapshotTrigger.SCHEDULED, requested_by: User | None = None,
    new_version: bool = False, progress: Progress | None = None,
) -> ReportSnapshot:
    """Store ``kind``'s report for ``month`` (a finished month) and return the snapshot.

    Without ``new_version`` an existing snapshot is returned as it is (same month -> same snapshot);
    with it, the next version is added. The rows are computed outside any transaction (a long aggregate
    holds no locks); the insert takes a transaction-scoped advisory lock per report month, so two
    workers never store the same version twice.
    """
    if kind not in ReportKind.values:
        raise RuleRefused(f"Unknown report '{kind}'.", code="unknown_report")
    if month >= current_month():
        raise RuleRefused(
            f"{month:%Y-%m} is not finished yet: only past months are stored; the page shows it live.",
            code="month_not_finished",
        )
    report = progress or (lambda percent, step: None)
    existing = ReportSnapshot.objects.filter(kind=kind, month=month)
    if not new_version and (stored := existing.order_by("-version").first()):
        return stored
    # Computed outside the transaction: the job's progress rows stay visible to the polling page.
    report(10, "Aggregating in the database")
    with replica_reads("report build", wait_for_primary=True) as source:  # the aggregate: replica when caught up
        rows = _compute(kind, month)
    report(80, f"Storing {len(rows)} rows")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"reporting:{kind}:{month:%Y-%m}"])
        latest_version = existing.aggregate(latest=Max("version"))["latest"] or 0
        if latest_version and not new_version:  # another build stored it meanwhile
            return existing.get(version=latest_version)
        snapshot = ReportSnapshot.objects.create(
            kind=kind, month=month, version=latest_version + 1, trigger=trigger, requested_by=requested_by,
            rows=rows, meta={"rules": RULES[kind], "row_count": len(rows), "as_of": timezone.localdate().isoformat(),
                  "read_from": "replica" if source.on_replica else "primary"},
        )
    report(100, "Done")
    return snapshot


def first_working_day(month: dt.date) -> dt.date:
    day = month
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def reports_build_monthly(*, today: dt.date | None = None) -> list[ReportSnapshot]:
    """The beat job: from the first working day of a month, store last month's three reports.

    It runs hourly and is idempotent, so a missed first working day is caught up on the next run and
    later runs change nothing."""
    today = today or timezone.localdate()
    if today < first_working_day(today.replace(day=1)):
        return []
    month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return [snapshot_build(kind=kind, month=month) for kind in ReportKind.values]


def report_rebuild_request(*, kind: str, month: dt.date, actor: User) -> ReportRebuildJob:
    """DCC only: queue a rebuild of one report month as a new snapshot version (a Celery job)."""
    party = actor.party
    if party is None or not party.is_dcc:
        raise PermissionDenied("Only the DCC service desk can rebuild a stored report.", code="dcc_only")
    if kind not in ReportKind.values:
        raise RuleRefused(f"Unknown report '{kind}'.", code="unknown_report")
    if month >= current_month():
        raise RuleRefused(
            f"{month:%Y-%m} is not finished yet: only past months are stored; the page shows it live.",
            code="month_not_finished",
        )
    return job_submit(
        ReportRebuildJob, inline=False, run=lambda job_id: report_rebuild_run(job_id=job_id),
        enqueue=report_rebuild_job_enqueue, kind=kind, month=month, requested_by=actor, party=party,
    )


def report_rebuild_job_enqueue(job_id: int) -> None:
    """Hand the rebuild to the worker, by task name (services never import tasks)."""
    job_enqueue(REBUILD_TASK, job_id)


def report_rebuild_run(*, job_id: int) -> ReportRebuildJob:
    """Run a queued rebuild (the Celery task) through the job runner, recording progress as it goes."""

    def work(job: ReportRebuildJob, progress) -> dict:
        def report(percent: int, step: str) -> None:
            progress(progress=percent, step=step)

        report(1, "Started")
        try:
            snapshot = snapshot_build(
                kind=job.kind, month=job.month, trigger=SnapshotTrigger.ON_DEMAND, requested_by=job.requested_by,
                new_version=True, progress=report,
            )
        except Exception:
            progress(step="Failed")
            raise
        return {"progress": 100, "step": f"Stored version {snapshot.version}", "snapshot": snapshot}

    return job_run(ReportRebuildJob, job_id, work, select_related=("requested_by",))
