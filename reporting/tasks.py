"""Thin Celery tasks; the rules live in ``reporting.services``."""
from celery import shared_task

from reporting.services import report_rebuild_run, reports_build_monthly


@shared_task(ignore_result=True)
def reports_build_monthly_snapshots() -> int:
    """Beat (hourly): store last month's reports from the first working day of the month (idempotent)."""
    return len(reports_build_monthly())


@shared_task(acks_late=True, ignore_result=True)
def report_rebuild(job_id: int) -> None:
    report_rebuild_run(job_id=job_id)
