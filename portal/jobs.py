"""Background jobs: how a service hands work to a Celery worker without importing the task.

Services sit below tasks (a task is a thin wrapper that calls a service), so a service never imports
``<app>.tasks`` (that would be a cycle, which import-linter refuses). It names the task instead and asks
for it to be sent once its transaction commits - a worker must never start on rows it cannot see yet,
nor on rows that were rolled back::

    task_enqueue_on_commit("incidents.tasks.incident_bulk_job_run_task", job.pk)

This module is the seed of the portal's one job runner (DESIGN.md "Layout": ``portal/jobs.py``).
"""
from __future__ import annotations

import logging
from typing import Any

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def task_enqueue_on_commit(name: str, *args: Any, label: str = "") -> None:
    """Send the Celery task registered as ``name`` with ``args`` after the current transaction commits.

    Outside a transaction it is sent at once; if the transaction rolls back it is never sent. The
    arguments must be JSON-serialisable (ids, not model instances). See ``task_send`` for a broker outage.
    """
    transaction.on_commit(lambda: task_send(name, *args, label=label))


def task_send(name: str, *args: Any, label: str = "") -> None:
    """Send the task ``name`` now (what ``task_enqueue_on_commit`` does at commit); prefer that one in services.

    If the broker is unreachable the error is logged (naming ``label``, e.g. "outbox message 12") and
    swallowed: the user's change is committed, and the work stays recorded as a queued row that the outbox
    sweeper (or, for a job, the user's retry) picks up. With ``CELERY_TASK_ALWAYS_EAGER`` (which
    ``send_task`` ignores) the task runs in this process.
    """
    app = current_app._get_current_object()
    if app.conf.task_always_eager:
        app.loader.import_default_modules()  # the tasks modules (a worker imports them at start)
        app.tasks[name].apply(args=args, throw=True)
        return
    try:
        app.send_task(name, args=list(args))
    except Exception:  # a broker outage must not fail the user's committed change
        logger.warning("Could not queue %s (task %s); it stays recorded and the sweeper will retry",
                       label or f"{name}{args!r}", name, exc_info=True)
