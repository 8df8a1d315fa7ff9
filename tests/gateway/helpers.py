"""Helpers for gateway tests: the real DUIS reference requests copied into tests/gateway/data."""
from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
FILES = {
    "4.1.1": "ECS17b_4.1.1_SINGLE_SUCCESS_REQUEST_DUIS.XML",
    "8.2": "8.2_READ_INVENTORY_REQUEST_DUIS.XML",
    "8.11": "CCS01_8.11_SUCCESS_REQUEST_DUIS.XML",
    "11.1": "11.1_UPDATE_FIRMWARE_REQUEST_DUIS.XML",
    "12.2": "12.2_DEVICE_PRE_NOTIFICATION_REQUEST_DUIS.XML",
}


def duis(srv: str, replacements: dict[str, str] | None = None) -> bytes:
    """The real DUIS request for ``srv``, with optional text replacements."""
    text = (DATA / FILES[srv]).read_text(encoding="utf-8")
    for old, new in (replacements or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    return text.encode("utf-8")
