"""Thin Celery tasks of the gateway."""
from celery import shared_task

from gateway.partitions import partitions_ensure_ahead


@shared_task(name="gateway.tasks.service_request_log_partitions_ensure_task")
def service_request_log_partitions_ensure_task() -> list[str]:
    """Daily: keep this month's and the next three months' partitions of the service-request log ready."""
    return partitions_ensure_ahead(months_ahead=3)
