"""The Celery app. Started as ``celery -A portal worker`` / ``celery -A portal beat`` (the operations contract):
``portal.celery`` re-exports it."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
