"""Server-rendered SVG line charts: no JavaScript library, no CDN, no inline styles.

Accessible by construction: ``role="img"`` with ``<title>`` and ``<desc>`` (referenced by
``aria-labelledby``), a ``<title>`` on every point (its value on hover and for screen readers),
series told apart by dash pattern and marker shape as well as colour, and the page shows the same
numbers in a table. Colours and dashes come from ``static/reporting/reporting.css`` classes.
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 36
MARKERS = ("circle", "square", "diamond")
_ids = itertools.count(1)


def _nice_max(values: list[float]) -> float:
    top = max(values, default=0) or 1
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if top <= step * 4:
            return step * 4
    return top


def _marker(shape: str, x: float, y: float, tooltip: str) -> str:
    """One point's marker, with its value as a ``<title>`` child."""
    if shape == "square":
        element, attributes = "rect", f'x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8"'
    elif shape == "diamond":
        element = "polygon"
        attributes = f'points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}"'
    else:
        element, attributes = "circle", f'cx="{x:.1f}" cy="{y:.1f}" r="4"'
    return f"<{element} {attributes}><title>{escape(tooltip)}</title></{element}>"


def line_chart(
    *, title: str, description: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]],
    unit: str = "", y_max: float | None = None,
) -> SafeString:
    """A line chart of ``series`` (name, one value or None per label). Gaps (None) break the line."""
    chart_id = f"chart-{next(_ids)}"
    values = [value for _, points in series for value in points if value is not None]
    top = y_max if y_max is not None else _nice_max(values)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step_x = plot_w / max(len(labels) - 1, 1)

    def x_at(index: int) -> float:
        return LEFT + index * step_x

    def y_at(value: float) -> float:
        return TOP + plot_h - (value / top) * plot_h if top else TOP + plot_h

    parts = [
        f'<svg class="report-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for tick in range(5):
        value = top * tick / 4
        y = y_at(value)
        label = f"{value:g}{unit}"
        parts.append(f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="chart-axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(label)}</text>')
    for index, label in enumerate(labels):
        parts.append(
            f'<text class="chart-axis" x="{x_at(index):.1f}" y="{HEIGHT - 12}" text-anchor="middle">{escape(label)}</text>'
        )
    for number, (name, points) in enumerate(series):
        css = f"chart-series chart-series-{number % 3}"
        segment: list[str] = []
        segments: list[list[str]] = []
        for index, value in enumerate(points):
            if value is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{x_at(index):.1f},{y_at(value):.1f}")
        if segment:
            segments.append(segment)
        parts.append(f'<g class="{css}">')
        parts += [f'<polyline points="{" ".join(points_)}"/>' for points_ in segments if len(points_) > 1]
        shape = MARKERS[number % len(MARKERS)]
        for index, value in enumerate(points):
            if value is not None:
                parts.append(_marker(shape, x_at(index), y_at(value), f"{name}, {labels[index]}: {value:g}{unit}"))
        parts.append("</g>")
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def legend(series_names: Sequence[str]) -> list[dict]:
    """Legend entries for the template: the name, the series class and the marker shape in words."""
    return [
        {"name": name, "css": f"chart-series-{number % 3}", "marker": MARKERS[number % len(MARKERS)]}
        for number, name in enumerate(series_names)
    ]
