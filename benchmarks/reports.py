"""The monthly performance report over one month of the service-request log, against a hand-written
``GROUP BY`` over the same month (the same partition: both filter on ``requested_at``, so PostgreSQL
prunes to that month's partition).

The figure is what the monthly job does for a finished month: ``snapshot_build`` computes the report
and stores a new snapshot version. For the current month (not storable yet) it is the live computation
the report page runs. Both run in-process on the same connection, one after the other, per repeat.
"""
from __future__ import annotations

import datetime as dt
import time

from django.db import connection

from benchmarks.context import BenchContext
from benchmarks.results import Row, median, ratio

REPORT_TARGET_RATIO = 2.0

HAND_WRITTEN_SQL = """
SELECT csp_region, srv_category,
       count(*) FILTER (WHERE response_code IN ('I0', 'I99')) AS succeeded,
       count(*) FILTER (WHERE response_code NOT IN ('I0', 'I99')) AS failed,
       count(*) FILTER (WHERE restricted_at_request AND srv_category = 'consumption') AS excluded_restricted
FROM gateway_servicerequestlog
WHERE requested_at >= %s AND requested_at < %s
GROUP BY 1, 2
"""


def busiest_month() -> tuple[dt.date, int] | None:
    """The month with the most rows in the log, and its row count."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT date_trunc('month', requested_at AT TIME ZONE 'UTC')::date AS month, count(*) "
            "FROM gateway_servicerequestlog GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
        )
        row = cursor.fetchone()
    return (row[0], row[1]) if row else None


def hand_written_seconds(start: dt.datetime, end: dt.datetime) -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(HAND_WRITTEN_SQL, [start, end])
        cursor.fetchall()
    return time.perf_counter() - started


def measure_monthly_report(context: BenchContext) -> list[Row]:
    name, target = "Monthly performance report", f"<= {REPORT_TARGET_RATIO:.0f}x hand-written GROUP BY"
    try:
        from reporting import queries, services
        from reporting.choices import ReportKind
        from reporting.months import current_month, month_bounds
    except ImportError as error:
        return [Row.not_available(name, f"the reporting app has no report builder yet ({error})", target)]
    found = busiest_month()
    if found is None:
        return [Row.not_available(name, "the service-request log is empty (no generate_traffic)", target)]
    month, month_rows = found
    start, end = month_bounds(month)
    finished = month < current_month()

    def build() -> None:
        if finished:
            services.snapshot_build(kind=ReportKind.PERFORMANCE, month=month, new_version=True)
        else:
            queries.performance_rows(first=month, last=month)

    build()  # warm: the month's partition in the buffer cache for both
    report_seconds, reference_seconds = [], []
    for _ in range(context.options.repeat):
        started = time.perf_counter()
        build()
        report_seconds.append(time.perf_counter() - started)
        reference_seconds.append(hand_written_seconds(start, end))
    report, reference = median(report_seconds), median(reference_seconds)
    what = "snapshot_build (compute + store)" if finished else "live (current month)"
    return [Row(
        f"{name} {month:%Y-%m}, {what} ({month_rows:,} rows)", f"{report:.2f} s",
        f"hand-written GROUP BY: {reference:.2f} s", ratio(report, reference), target,
        report <= REPORT_TARGET_RATIO * reference,
    )]

