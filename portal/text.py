"""Text PostgreSQL can store: ``text`` and ``jsonb`` cannot hold U+0000, so input carrying it is refused first."""
from __future__ import annotations

from typing import Any


def contains_nul(value: Any) -> bool:
    """True when ``value`` (a string, or lists/dicts of them, as uploaded rows are) contains U+0000."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(key) or contains_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(item) for item in value)
    return False
