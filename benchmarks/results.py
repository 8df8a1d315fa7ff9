"""A benchmark row (figure, reference, ratio, target) and the Markdown table they print as."""
from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class Row:
    """One line of the table. ``unavailable`` replaces the figures when the feature is missing."""

    name: str
    figure: str = ""
    reference: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    unavailable: str = ""

    @classmethod
    def not_available(cls, name: str, why: str, target: str = "") -> Row:
        return cls(name=name, target=target, unavailable=f"not available: {why}")

    @classmethod
    def failed(cls, name: str, error: BaseException, target: str = "") -> Row:
        message = " ".join(str(error).split())[:160] or type(error).__name__
        return cls(name=name, target=target, unavailable=f"error: {type(error).__name__}: {message}")

    def cells(self) -> list[str]:
        if self.unavailable:
            return [self.name, self.unavailable, "", "", self.target, ""]
        ratio = "" if self.ratio is None else f"{self.ratio:.2f}x"
        met = "" if self.met is None else ("yes" if self.met else "NO")
        return [self.name, self.figure, self.reference, ratio, self.target, met]


HEADER = ["Measurement", "Figure (median)", "Reference (same run)", "Ratio", "Target", "Met?"]


def render_table(rows: Sequence[Row]) -> str:
    """A Markdown table, padded so it also reads well in a terminal."""
    lines = [HEADER, *(row.cells() for row in rows)]
    widths = [max(len(line[column]) for line in lines) for column in range(len(HEADER))]

    def render(cells: list[str]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)) + " |"

    separator = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([render(HEADER), separator, *(render(cells) for cells in lines[1:])])


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` 0.95 for p95) of a non-empty sample."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def ratio(figure: float, reference: float) -> float | None:
    return figure / reference if reference else None


def rate(count: float, seconds: float) -> str:
    """``1,234,567/s`` style throughput."""
    return f"{count / seconds:,.0f}/s" if seconds > 0 else "n/a"


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"
