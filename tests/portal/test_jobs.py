"""``portal.jobs``: a service enqueues a Celery task by name, and only once its transaction commits."""
from __future__ import annotations

import pytest
from django.db import transaction

from portal import jobs
from portal.celery import app


@pytest.fixture
def sent(monkeypatch):
    calls = []
    monkeypatch.setattr(app, "send_task", lambda name, args: calls.append((name, args)))
    return calls


def test_the_task_is_sent_by_name_after_commit(db, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        jobs.task_enqueue_on_commit("incidents.tasks.incident_bulk_job_run_task", 42)
        assert sent == []  # not before the commit: the worker could not see the job yet
    assert sent == [("incidents.tasks.incident_bulk_job_run_task", [42])]


def test_a_rolled_back_transaction_sends_nothing(db, sent, django_capture_on_commit_callbacks):
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        jobs.task_enqueue_on_commit("incidents.tasks.incident_bulk_job_run_task", 42)
        raise RuntimeError("rolled back")
    assert sent == []


def test_with_always_eager_the_task_runs_in_process(db, sent, monkeypatch):
    ran = []
    app.loader.import_default_modules()
    task = app.tasks["incidents.tasks.incident_sla_breaches_detect_task"]
    monkeypatch.setattr(task, "run", lambda *args: ran.append(args) or 0)
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        jobs.task_send("incidents.tasks.incident_sla_breaches_detect_task")
    finally:
        app.conf.task_always_eager = previous
    assert ran == [()] and sent == []


def test_every_task_the_services_name_is_registered():
    """A typo in a task name would fail silently in production (the message waits for a task nobody runs)."""
    from incidents.services.bulk import BULK_JOB_TASK

    app.loader.import_default_modules()
    assert BULK_JOB_TASK in app.tasks
