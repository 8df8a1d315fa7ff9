"""``celery -A portal`` (the operations contract) finds the app here; it lives in ``config.celery``."""
from config.celery import app

__all__ = ["app"]
