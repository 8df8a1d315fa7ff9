"""EUI-64 Device IDs: ``00-DB-12-34-56-78-90-A0`` (8 hex pairs, dashes, stored upper case)."""
from __future__ import annotations

import re

from portal.errors import ValidationFailed

EUI64_PATTERN = re.compile(r"^[0-9A-F]{2}(-[0-9A-F]{2}){7}$")
EUI64_EXAMPLE = "00-DB-12-34-56-78-90-A0"


def normalise_device_id(value: str | None) -> str:
    """Return the Device ID in canonical upper case, or raise ``ValidationFailed`` explaining the format."""
    candidate = (value or "").strip().upper()
    if not EUI64_PATTERN.match(candidate):
        shown = (value or "")[:40]
        raise ValidationFailed(
            f"'{shown}' is not a valid Device ID: expected an EUI-64 of 8 hex pairs separated by "
            f"dashes, e.g. {EUI64_EXAMPLE}.",
            code="invalid_device_id",
            errors={"device_id": [f"Expected the format {EUI64_EXAMPLE}."]},
        )
    return candidate


def is_device_id(value: str) -> bool:
    return bool(EUI64_PATTERN.match((value or "").strip().upper()))
