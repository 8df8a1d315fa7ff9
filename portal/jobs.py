"""Background jobs: how a service hands work to a Celery worker without importing the task.

Services sit below tasks (a task is a thin wrapper that calls a service), so a service never imports
``<app>.tasks`` (that would be a cycle, which import-linter refuses). It names the task instead and asks
for it to be sent once its transaction commits - a worker must never start on rows it cannot see yet,
nor on rows that were rolled back::

    task_enqueue_on_commit("incidents.tasks.incident_bulk_job_run_task", job.pk)

It is also the portal's one job runner (DESIGN.md "Layout"): ``job_submit`` (run inline when small, else
queue by task name on commit), ``job_confirm`` (start a checked upload), ``job_run_chunked`` (committed
chunks with saved progress, resumable, failure recorded), ``job_run`` (one piece of work with progress),
``job_retry``. The four job kinds -
bulk restriction changes, extract files, bulk install-code requests, report rebuilds - all run through
it; their services say only what a chunk does.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from portal.choices import JobStatus

if TYPE_CHECKING:
    from portal.models import ProgressJob

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


# --- the job runner ---------------------------------------------------------------------------------
#
# Every long piece of work (a bulk upload, an extract file, a report rebuild) is a row of a
# ``portal.models.ProgressJob`` subclass that a page polls. The runner below is the only code that moves a
# job through its states (queued -> running -> done | failed); the services say what one chunk does.

J = TypeVar("J", bound="ProgressJob")
#: Saves a job's progress: ``progress(processed_rows, **other_fields)`` (one UPDATE, its own statement).
Progress = Callable[..., None]


def job_submit(model: type[J], *, inline: bool, run: Callable[[int], object], enqueue: Callable[[int], None],
               **fields: Any) -> J:
    """Record a job (``model(**fields)``) and start it: ``run`` it now when ``inline`` (small work the request
    waits for), else ``enqueue`` it once the job row is committed (a worker never starts on a row it cannot
    see). Returns the job, finished when it ran inline."""
    with transaction.atomic():
        job = model.objects.create(**fields)
        if not inline:
            job_id = job.pk
            transaction.on_commit(lambda: enqueue(job_id))
    if inline:
        run(job.pk)
        job.refresh_from_db()
    return job


def job_confirm(model: type[J], job_id: int, *, inline: bool, run: Callable[[int], object],
                enqueue: Callable[[int], None]) -> bool:
    """Start a job that waits in ``checked`` (a bulk upload's confirm step): run it now when ``inline``, else
    queue it once the state change is committed. False, changing nothing, if it was not waiting (already
    confirmed by a second click or a colleague): the conditional UPDATE lets only one confirmation through."""
    with transaction.atomic():
        started = model.objects.filter(pk=job_id, status=JobStatus.CHECKED).update(status=JobStatus.QUEUED)
        if started and not inline:
            transaction.on_commit(lambda: enqueue(job_id))
    if started and inline:
        run(job_id)
    return bool(started)


#: How long a checked bulk upload waits for its confirmation; after that it is deleted with what it holds
#: (the uploaded rows: Device IDs, reasons), and the user uploads the file again.
CHECKED_JOB_LIFETIME = dt.timedelta(hours=24)


def job_checks_expire(*, now: dt.datetime | None = None) -> int:
    """Delete the uploads checked more than ``CHECKED_JOB_LIFETIME`` ago and never confirmed, of every job kind
    (each concrete ``ProgressJob``; only bulk uploads are ever ``checked``); returns how many. A confirmation
    racing the deletion finds the row gone (or started, and then it is not deleted)."""
    from django.apps import apps

    from portal.models import ProgressJob

    cutoff = (now or timezone.now()) - CHECKED_JOB_LIFETIME
    deleted = 0
    for model in apps.get_models():
        if issubclass(model, ProgressJob):
            _total, by_model = model.objects.filter(status=JobStatus.CHECKED, created_at__lt=cutoff).delete()
            deleted += by_model.get(model._meta.label, 0)
    return deleted


def job_enqueue(task: str, job_id: int) -> None:
    """Send the job's task now, by name (a broker outage is logged; the queued row stays for a retry)."""
    task_send(task, job_id, label=f"job {job_id}")


def job_run(model: type[J], job_id: int, work: Callable[[J, Progress], dict[str, Any] | None], *,
            select_related: tuple[str, ...] = ()) -> J | None:
    """Run one job that is not split into committed chunks (an extract file, a report rebuild).

    A finished job is left alone (a redelivered task). ``work(job, progress)`` does the work, saving progress
    through ``progress(processed_rows, **fields)`` as it goes, and returns the fields to store with DONE
    (``finished_at`` among them if the work dates something from it).
    Any exception is recorded on the job (``record_failure``) and re-raised, so the worker logs it.
    """
    job = model.objects.select_related(*select_related).get(pk=job_id)
    if job.is_finished:
        return job
    model.objects.filter(pk=job_id).update(status=JobStatus.RUNNING)

    def progress(processed_rows: int | None = None, **other: Any) -> None:
        if processed_rows is not None:
            other["processed_rows"] = processed_rows
        model.objects.filter(pk=job_id).update(**other)

    try:
        done = {"finished_at": timezone.now(), **(work(job, progress) or {})}
        model.objects.filter(pk=job_id).update(status=JobStatus.DONE, **done)
    except Exception as error:
        logger.exception("%s %s failed", model._meta.verbose_name, job_id)
        model.record_failure(job_id, error)
        raise
    job.refresh_from_db()
    return job


@dataclass(frozen=True)
class ChunkDone:
    """What one chunk did: how many rows it consumed and how much to add to the job's counters."""

    rows: int
    counts: dict[str, int] = field(default_factory=dict)


def job_run_chunked(model: type[J], job_id: int, *, chunk: Callable[[J, int], ChunkDone],
                    finish: Callable[[J], dict[str, Any] | None] | None = None,
                    select_related: tuple[str, ...] = (), payload: tuple[str, ...] = ()) -> None:
    """Run a job in chunks, each chunk committed together with the job's progress and counters.

    ``chunk(job, start)`` processes the rows from ``start`` inside the chunk's transaction, with the job
    row locked, and returns a ``ChunkDone``; its counts are added to the job's counters in the same
    transaction. A worker that dies mid-chunk leaves nothing of that chunk behind, and the next run
    (``acks_late`` redelivery, or ``job_retry`` after a failure) carries on after the last committed chunk,
    so no row is processed twice. The job (with its ``payload`` fields, e.g. the uploaded rows) is read
    once; each chunk locks and reads only the progress. ``finish(job)`` runs once every row is done, in the
    transaction that marks the job DONE (the job re-read and locked, without its payload), and returns
    extra fields to store. A failure is recorded on the job (``record_failure``) and re-raised.
    """
    job = model.objects.select_related(*select_related).get(pk=job_id)
    if job.is_finished:
        return
    model.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(status=JobStatus.RUNNING)
    try:
        while True:
            with transaction.atomic():
                locked = model.objects.select_for_update().only("processed_rows", "total_rows").get(pk=job_id)
                start = locked.processed_rows
                if start >= locked.total_rows:
                    break
                job.processed_rows = start
                done = chunk(job, start)
                if done.rows <= 0:
                    raise RuntimeError(f"a chunk of job {job_id} consumed no rows (from row {start})")
                model.objects.filter(pk=job_id).update(
                    processed_rows=start + done.rows, **{name: F(name) + count for name, count in done.counts.items()})
        with transaction.atomic():
            job = (model.objects.select_for_update(of=("self",)).select_related(*select_related).defer(*payload)
                   .get(pk=job_id))
            extra = (finish(job) if finish else None) or {}
            model.objects.filter(pk=job_id).update(status=JobStatus.DONE, finished_at=timezone.now(), **extra)
    except Exception as error:
        logger.exception("%s %s failed", model._meta.verbose_name, job_id)
        model.record_failure(job_id, error)
        raise


def job_retry(model: type[J], job_id: int, *, enqueue: Callable[[int], None]) -> bool:
    """Queue a failed job again; a chunked job resumes after its last committed chunk. False if not failed."""
    with transaction.atomic():
        updated = model.objects.filter(pk=job_id, status=JobStatus.FAILED).update(
            status=JobStatus.QUEUED, error="", finished_at=None)
        if updated:
            transaction.on_commit(lambda: enqueue(job_id))
    return bool(updated)
