"""The portal project package: settings, URLs, the Celery app, parties, users and shared UI."""
from portal.celery import app as celery_app

__all__ = ["celery_app"]
