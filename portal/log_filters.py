"""Logging filters for the portal's settings (``LOGGING``)."""
from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied


class ExpectedRefusalsWithoutTraceback(logging.Filter):
    """A refused request (``PermissionDenied``: the 403 page) is an expected answer, not a fault.

    Django logs it on ``django.request`` with the exception attached, which prints a traceback for
    every page a user may not open. Keep the one-line warning (method, path, status) and drop the
    traceback; real errors (500s) keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc_info = record.exc_info
        if exc_info and isinstance(exc_info, tuple) and isinstance(exc_info[1], PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True
