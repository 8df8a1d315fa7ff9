"""Every task Celery beat is told to run exists in the worker's registry (a typo would fail silently in production)."""
from __future__ import annotations

from django.conf import settings

from config.celery import app


def test_every_beat_task_is_registered():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "inventory.tasks.device_extracts_expire_task" in scheduled
    assert scheduled <= set(app.tasks), sorted(scheduled - set(app.tasks))
