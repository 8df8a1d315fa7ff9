"""Thin Celery tasks for the outbox; the rules live in ``portal.services``."""
from celery import shared_task

from portal.jobs import job_checks_expire
from portal.services import outbox_deliver_message, outbox_due_ids


@shared_task(acks_late=True, ignore_result=True)
def outbox_deliver_task(message_id: int) -> bool:
    return outbox_deliver_message(message_id=message_id)


@shared_task(ignore_result=True)
def outbox_sweep_task() -> int:
    """Re-queue every message that is pending or failed and due: the safety net for lost tasks."""
    due = outbox_due_ids()
    for message_id in due:
        outbox_deliver_task.delay(message_id)
    return len(due)


@shared_task(ignore_result=True)
def job_checks_expire_task() -> int:
    """Beat task: delete bulk uploads (every kind) checked a day ago and never confirmed."""
    return job_checks_expire()
