"""CSV output that spreadsheets cannot turn into formulas, shared by every CSV the portal produces.

A cell starting with ``= + - @``, a tab or a carriage return is run as a formula by Excel and
LibreOffice (CSV injection); such cells get a leading ``'``. The device extract applies the same
rule in SQL (``inventory.extract.FormulaSafe``) from ``FORMULA_START``.
"""
from __future__ import annotations

FORMULA_START = "=+@\t\r-"


def spreadsheet_safe(text: str) -> str:
    """The cell as given, but never one a spreadsheet would run as a formula."""
    return f"'{text}" if text[:1] and text[0] in FORMULA_START else text


class EchoWriter:
    """A file-like target for ``csv.writer`` that returns each row, for streamed CSV responses."""

    def write(self, value: str) -> str:
        return value
