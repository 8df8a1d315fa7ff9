"""Thin Celery tasks for incidents; the rules live in ``incidents.services``.

Services enqueue them by name (``portal.jobs.task_enqueue_on_commit``); beat names
``incidents.tasks.incident_sla_breaches_detect_task`` (``CELERY_BEAT_SCHEDULE``).
"""
from celery import shared_task

from incidents.services import incident_bulk_job_run, incident_detect_sla_breaches


@shared_task(ignore_result=True)
def incident_sla_breaches_detect_task() -> int:
    """Beat task (R121-7): mark and escalate incidents past their due date. Safe to run any number of times."""
    return incident_detect_sla_breaches()


@shared_task(acks_late=True, ignore_result=True)
def incident_bulk_job_run_task(job_id: int) -> None:
    """A large bulk upload (R121-8); resumable after a worker crash."""
    incident_bulk_job_run(job_id=job_id)
