"""The real DUIS reference requests (from /work/shared/reference/), kept once in ``tests/data/duis/`` for every
suite that sends DUIS (gateway, inventory's MP202 handlers, security, e2e)."""
from __future__ import annotations

from pathlib import Path

DUIS_DATA = Path(__file__).resolve().parent / "data" / "duis"
FILES = {
    "4.1.1": "ECS17b_4.1.1_SINGLE_SUCCESS_REQUEST_DUIS.XML",
    "8.2": "8.2_READ_INVENTORY_REQUEST_DUIS.XML",
    "8.11": "CCS01_8.11_SUCCESS_REQUEST_DUIS.XML",
    "11.1": "11.1_UPDATE_FIRMWARE_REQUEST_DUIS.XML",
    "12.2": "12.2_DEVICE_PRE_NOTIFICATION_REQUEST_DUIS.XML",
}


def duis(srv: str, replacements: dict[str, str] | None = None) -> bytes:
    """The real DUIS request for ``srv``, with optional text replacements."""
    text = (DUIS_DATA / FILES[srv]).read_text(encoding="utf-8")
    for old, new in (replacements or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    return text.encode("utf-8")
