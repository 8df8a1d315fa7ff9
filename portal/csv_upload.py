"""Uploaded CSV files: the limits every bulk upload shares (restriction changes, install-code requests).

A byte cap (``MAX_UPLOAD_BYTES``) the forms and serializers check on the upload's size before the file is
read; each parser also caps its rows, counting every line, blank ones too, so neither a huge file nor
millions of blank lines hold a web worker.
"""
from __future__ import annotations

#: About 100,000 rows of device ID, flag and a short reason: the largest file either upload needs.
MAX_UPLOAD_BYTES = 12 * 1024 * 1024
MAX_UPLOAD_MB = MAX_UPLOAD_BYTES // (1024 * 1024)


def upload_too_large(size: int | None, *, advice: str) -> str | None:
    """The message refusing an upload of ``size`` bytes over ``MAX_UPLOAD_BYTES``, or None if it fits."""
    if size is None or size <= MAX_UPLOAD_BYTES:
        return None
    return f"The file is larger than {MAX_UPLOAD_MB} MB: split it into smaller files. {advice}"
