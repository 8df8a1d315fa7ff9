"""One spelling of a UK postcode (``SW1A 1AA``), used where postcodes are stored and where they are searched,
so an exact, indexed match finds them however they were typed."""
from __future__ import annotations

import re

POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?)\s*([0-9][A-Z]{2})$")


def normalise_postcode(value: str) -> str:
    """``sw1a1aa`` -> ``SW1A 1AA``; anything that is not a UK postcode is returned upper-cased."""
    candidate = (value or "").strip().upper()
    match = POSTCODE.match(candidate)
    return f"{match.group(1)} {match.group(2)}" if match else candidate
