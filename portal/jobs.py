"""Background jobs: how a service hands work to a Celery worker without importing the task.

Services sit below tasks (a task is a thin wrapper that calls a service), so a service must not
import ``<app>.tasks``. It names the task instead and asks for it to be sent once its transaction
commits - a worker must never start on rows it cannot see yet, nor on rows that were rolled back::

    task_enqueue_on_commit("incidents.tasks.incident_bulk_job_run_task", job.pk)

This module is the seed of the portal's one job runner (DESIGN.md "Layout": ``portal/jobs.py``);
keep what is added here as small as this.
"""
from __future__ import annotations

from typing import Any

from celery import current_app
from django.db import transaction


def task_enqueue_on_commit(name: str, *args: Any) -> None:
    """Send the Celery task registered as ``name`` with ``args`` after the current transaction commits.

    Outside a transaction it is sent at once; if the transaction rolls back it is never sent. The
    arguments must be JSON-serialisable (ids, not model instances). A broker error at send time is
    raised to the caller of the commit, as ``Task.delay`` would: the committed job row is then still
    queued. With ``CELERY_TASK_ALWAYS_EAGER`` (``send_task`` ignores it) the task runs in this process.
    """
    transaction.on_commit(lambda: task_send(name, *args))


def task_send(name: str, *args: Any) -> None:
    """Send the task ``name`` now (what ``task_enqueue_on_commit`` does at commit); prefer that one in services."""
    app = current_app._get_current_object()
    if app.conf.task_always_eager:
        app.loader.import_default_modules()  # the tasks modules (a worker imports them at start)
        app.tasks[name].apply(args=args, throw=True)
    else:
        app.send_task(name, args=list(args))
