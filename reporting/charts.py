"""Server-rendered SVG line charts: no JavaScript library, no CDN, no inline styles.

Accessible by construction: ``role="img"`` with ``<title>`` and ``<desc>`` (referenced by
``aria-labelledby``), a ``<title>`` on every point (its value on hover and for screen readers),
series told apart by dash pattern and marker shape as well as colour, and the page shows the same
numbers in a table. Colours, dashes and text sizes come from ``static/reporting/reporting.css``.

``chart_figure`` is what a page uses: one ``ChartData`` (labels and series) gives the chart, its table
and its description, so the chart and its table cannot disagree; with no value at all it gives no chart
but says so. Two drawings are made of each chart, a wide one and a narrow one for phones (CSS shows one):
an SVG scales its text with its width, so one drawing cannot keep 12 px text both at 1366 and at 390 px.
Labels are never cut: the first and last points are inset by half a label, labels too many for the width
are thinned (the last always kept), and "Dec 2026" is drawn as "Dec" over "2026", the year written only
where it changes.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MARKERS = ("circle", "square", "diamond")
_ids = itertools.count(1)


@dataclass(frozen=True)
class Layout:
    """One drawing's size in SVG units, and its text size (``FONT`` units become CSS px at scale 1)."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    font: int
    css: str


#: Shown from 45rem up: at its narrowest (640 px of content) 14 units are 12.4 px.
WIDE = Layout(width=720, height=280, left=56, right=16, top=24, bottom=48, font=14, css="report-chart chart-wide")
#: Shown below 45rem: 320 units in 290-350 px of phone content keep 14-unit text at 12.7-15 px.
NARROW = Layout(width=320, height=240, left=48, right=8, top=24, bottom=48, font=14, css="report-chart chart-narrow")
#: Kept for callers of ``line_chart`` that name no layout.
WIDTH, HEIGHT = WIDE.width, WIDE.height


@dataclass(frozen=True)
class ChartData:
    """What a chart shows: one label per point and series of one value (or None, no data) per label."""

    title: str
    labels: list[str]
    series: list[tuple[str, list[float | None]]]
    unit: str = ""
    y_max: float | None = None
    #: Extra table columns after the series (same length as ``labels``), shown in the table only.
    extra_columns: list[tuple[str, list[float | None]]] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.series]

    def months_with_data(self) -> list[str]:
        return [label for index, label in enumerate(self.labels)
                if any(values[index] is not None for _, values in self.series)]


def _nice_max(values: list[float]) -> float:
    top = max(values, default=0) or 1
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if top <= step * 4:
            return step * 4
    return top


def _number(value: float, unit: str) -> str:
    return f"{value:,.{0 if float(value).is_integer() else 1}f}{unit}" if abs(value) >= 1000 else f"{value:g}{unit}"


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


def _label_lines(labels: Sequence[str]) -> list[tuple[str, str]]:
    """"Dec 2026" as ("Dec", "2026"); a label without a space stays on one line."""
    return [tuple(label.split(" ", 1)) if " " in label else (label, "") for label in labels]


def _text_width(text: str, font: int) -> float:
    return len(text) * font * 0.62


def line_chart(
    *, title: str, description: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]],
    unit: str = "", y_max: float | None = None, layout: Layout = WIDE,
) -> SafeString:
    """A line chart of ``series`` (name, one value or None per label). Gaps (None) break the line; a point
    with no neighbour on either side (a lone month) is labelled with its value, since no line will show it."""
    chart_id = f"chart-{next(_ids)}"
    values = [value for _, points in series for value in points if value is not None]
    top = y_max if y_max is not None else _nice_max(values)
    lines = _label_lines(labels)
    widest = max((_text_width(part, layout.font) for pair in lines for part in pair), default=0)
    inset = widest / 2 + 4
    plot_left, plot_right = layout.left + inset, layout.width - layout.right - inset
    plot_h = layout.height - layout.top - layout.bottom
    count = len(labels)
    step_x = (plot_right - plot_left) / (count - 1) if count > 1 else 0
    # Every n-th label (counted back from the last, which is always shown) so that labels never overlap.
    every = max(1, math.ceil((widest + 8) / step_x)) if step_x else 1

    def x_at(index: int) -> float:
        return plot_left + index * step_x if count > 1 else (plot_left + plot_right) / 2

    def y_at(value: float) -> float:
        return layout.top + plot_h - (value / top) * plot_h if top else layout.top + plot_h

    parts = [
        f'<svg class="{layout.css}" viewBox="0 0 {layout.width} {layout.height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for tick in range(5):
        value = top * tick / 4
        y = y_at(value)
        parts.append(f'<line class="chart-grid" x1="{layout.left}" x2="{layout.width - layout.right}" '
                     f'y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="chart-axis" x="{layout.left - 6}" y="{y + layout.font * 0.35:.1f}" '
                     f'text-anchor="end">{escape(_number(value, unit))}</text>')
    previous_second = None
    baseline = layout.height - layout.bottom + layout.font + 6
    for index, (first, second) in enumerate(lines):
        if (count - 1 - index) % every:
            continue
        x = x_at(index)
        parts.append(f'<text class="chart-axis" x="{x:.1f}" y="{baseline}" text-anchor="middle">{escape(first)}</text>')
        if second and second != previous_second:
            parts.append(f'<text class="chart-axis" x="{x:.1f}" y="{baseline + layout.font + 2}" '
                         f'text-anchor="middle">{escape(second)}</text>')
        previous_second = second or previous_second
    for number, (name, points) in enumerate(series):
        css = f"chart-series chart-series-{number % 3}"
        segments: list[list[str]] = []
        segment: list[str] = []
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
            if value is None:
                continue
            x, y = x_at(index), y_at(value)
            parts.append(_marker(shape, x, y, f"{name}, {labels[index]}: {_number(value, unit)}"))
            lone = (index == 0 or points[index - 1] is None) and (index == len(points) - 1 or points[index + 1] is None)
            if lone:
                label_y = y - 10 if y - 10 > layout.top else y + layout.font + 6
                parts.append(f'<text class="chart-value" x="{x:.1f}" y="{label_y:.1f}" '
                             f'text-anchor="middle">{escape(_number(value, unit))}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def legend(series_names: Sequence[str]) -> list[dict]:
    """Legend entries for the template: the name, the series class and the marker shape in words."""
    return [
        {"name": name, "css": f"chart-series-{number % 3}", "marker": MARKERS[number % len(MARKERS)]}
        for number, name in enumerate(series_names)
    ]


def chart_description(data: ChartData) -> str:
    """Every point in words, for ``<desc>``: "Jan 2026: Consumption 97.5%, Other no data; ..."."""
    return "; ".join(
        f"{label}: " + ", ".join(
            f"{name} {'no data' if values[index] is None else _number(values[index], data.unit)}"
            for name, values in data.series
        )
        for index, label in enumerate(data.labels)
    )


def chart_figure(data: ChartData) -> dict:
    """The chart (wide and narrow), its legend and its table, all from ``data``; ``empty`` with no value.

    ``table`` rows are ``[label, *series values, *extra values]``, the columns ``["Month", *names, *extras]``.
    """
    columns = ["Month", *data.names, *(name for name, _ in data.extra_columns)]
    table = [
        [label, *(values[index] for _, values in data.series), *(values[index] for _, values in data.extra_columns)]
        for index, label in enumerate(data.labels)
    ]
    with_data = data.months_with_data()
    figure = {
        "title": data.title, "columns": columns, "table": table, "legend": legend(data.names),
        "empty": not with_data, "months_with_data": with_data, "unit": data.unit,
    }
    if with_data:
        description = chart_description(data)
        common = {"title": data.title, "description": description, "labels": data.labels,
                  "series": data.series, "unit": data.unit, "y_max": data.y_max}
        figure["svg"] = line_chart(**common, layout=WIDE)
        figure["svg_narrow"] = line_chart(**common, layout=NARROW)
    return figure
