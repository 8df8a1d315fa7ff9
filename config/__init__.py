"""The project's top layer: settings, URLs, the Celery app, WSGI, the launcher and the home page.

Everything here may import every app; no app imports ``config``. The names deployments use
(``portal.settings``, ``portal.wsgi:application``, ``celery -A portal``) are kept as re-exports in
``portal`` (API.md, "Operations contract").
"""
from config.celery import app as celery_app

__all__ = ["celery_app"]
