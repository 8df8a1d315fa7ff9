"""Every task Celery beat is told to run exists in the worker's registry (a typo would fail silently in production)."""
from __future__ import annotations

from django.conf import settings

from config.celery import app

#: The apps that have Celery tasks (each has a ``tasks.py``).
OUR_APPS = ("portal", "inventory", "gateway", "incidents", "reporting")


def test_every_beat_task_is_registered():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "inventory.tasks.device_extracts_expire_task" in scheduled
    assert scheduled <= set(app.tasks), sorted(scheduled - set(app.tasks))


def test_our_tasks_are_named_module_dot_entity_action_task():
    """#15: tasks are ``<app>.tasks.<entity>_<action>_task``, so a name in ``task_enqueue_on_commit`` or the
    beat schedule says where the task lives and that it is one."""
    app.loader.import_default_modules()
    ours = sorted(name for name in app.tasks if name.split(".")[0] in OUR_APPS)
    assert {name.split(".")[0] for name in ours} == set(OUR_APPS)
    misnamed = [name for name in ours
                if not (name.endswith("_task") and name.count(".") == 2 and name.split(".")[1] == "tasks")]
    assert misnamed == []


def test_the_task_names_services_send_by_are_registered():
    """Services never import tasks; they send by name, so a renamed task must be renamed in the string too."""
    from incidents.services.bulk import BULK_JOB_TASK
    from portal.services import OUTBOX_DELIVER_TASK

    app.loader.import_default_modules()
    assert {OUTBOX_DELIVER_TASK, BULK_JOB_TASK} <= set(app.tasks)
