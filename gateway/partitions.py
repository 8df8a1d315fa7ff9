"""Monthly partitions of the service-request log (``gateway_servicerequestlog``).

The SQL function ``gateway_srlog_ensure_partition(date)`` (migration 0002) does the work; this module
calls it for a range of months. Rows never get lost when a month has no partition yet: they land in
the default partition and move into the month's partition when it is created.
"""
from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone


def month_start(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.UTC).date() if timezone.is_aware(value) else value.date()
    return value.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + (day.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def partitions_ensure(*, first: dt.date, last: dt.date) -> list[str]:
    """Create the partitions of every month from ``first`` to ``last`` (inclusive); return their names."""
    names = []
    month = month_start(first)
    with connection.cursor() as cursor:
        while month <= month_start(last):
            cursor.execute("SELECT gateway_srlog_ensure_partition(%s)", [month])
            names.append(cursor.fetchone()[0])
            month = add_months(month, 1)
    return names


def partitions_ensure_ahead(*, months_ahead: int = 3) -> list[str]:
    """The beat job: this month and the next ``months_ahead`` months."""
    this_month = month_start(timezone.now())
    return partitions_ensure(first=this_month, last=add_months(this_month, months_ahead))


def partition_names() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'gateway_servicerequestlog'::regclass ORDER BY c.relname"
        )
        return [row[0] for row in cursor.fetchall()]
