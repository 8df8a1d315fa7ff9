"""Thin Celery tasks for the inventory; the rules live in ``inventory.services``."""
from celery import shared_task

from inventory.services.extracts import device_extract_job_run, device_extracts_expire
from inventory.services.restriction_bulk import restriction_bulk_job_run


@shared_task(acks_late=True, ignore_result=True)
def restriction_bulk_job_run_task(job_id: int) -> None:
    """A large bulk restriction upload (R169-1..6); resumable after a worker crash."""
    restriction_bulk_job_run(job_id=job_id)


@shared_task(acks_late=True, ignore_result=True)
def device_extract_job_run_task(job_id: int) -> None:
    """A device extract written to a file; a redelivered run starts the file again."""
    device_extract_job_run(job_id=job_id)


@shared_task(ignore_result=True)
def device_extracts_expire_task() -> int:
    """Beat task: delete extract files past their expiry."""
    return device_extracts_expire()
