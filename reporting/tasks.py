"""Thin Celery tasks; the rules live in ``reporting.services``."""
from celery import shared_task

from reporting.services import report_rebuild_run, reports_build_monthly


@shared_task(ignore_result=True)
def report_snapshots_monthly_build_task() -> int:
    """Beat (hourly): store last month's reports from the first working day of the month (idempotent)."""
    return len(reports_build_monthly())


@shared_task(acks_late=True, ignore_result=True)
def report_rebuild_job_run_task(job_id: int) -> None:
    """A DCC-requested rebuild of one month's stored report."""
    report_rebuild_run(job_id=job_id)
