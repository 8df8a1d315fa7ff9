"""Queueing work for the Celery worker, by task name.

Services decide and record; workers carry on long or outside work. A service never imports a
``tasks`` module (tasks import services, so the reverse would be a cycle, which import-linter
refuses): it names the task instead, and the message is sent only once the transaction that recorded
the work commits, so a worker never looks for a row that is not there yet (or was rolled back).
"""
from __future__ import annotations

import logging

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def task_send(name: str, *args: object, label: str = "") -> None:
    """Send task ``name`` with ``args`` to the worker now. If the broker is unreachable the error is logged
    (naming ``label``, e.g. "outbox message 12") and swallowed: every queued piece of work has a recorded
    row that a sweep or the user's retry picks up."""
    try:
        current_app.send_task(name, args=list(args))
    except Exception:  # a broker outage must not fail the user's committed change
        logger.warning("Could not queue %s (task %s); it stays recorded and the sweeper will retry",
                       label or f"{name}{args!r}", name, exc_info=True)


def task_enqueue_on_commit(name: str, *args: object, label: str = "") -> None:
    """Send task ``name`` with ``args`` once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: task_send(name, *args, label=label))
