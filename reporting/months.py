"""Report months. A report month is a UTC calendar month, the same boundaries as the service-request
log's partitions (``gateway.partitions``), so a month's performance report reads one partition."""
from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from portal.errors import ValidationFailed

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def current_month() -> dt.date:
    return timezone.now().astimezone(dt.UTC).date().replace(day=1)


def add_months(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + (month.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def previous_month() -> dt.date:
    return add_months(current_month(), -1)


def parse_month(text: str) -> dt.date:
    """``YYYY-MM`` -> the first day of that month. Malformed or future months raise ``ValidationFailed``."""
    match = _MONTH.match(text or "")
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise ValidationFailed(
            f"'{text}' is not a report month: use YYYY-MM, e.g. {current_month():%Y-%m}.",
            code="invalid_month", errors={"month": ["Expected YYYY-MM."]},
        )
    month = dt.date(int(match.group(1)), int(match.group(2)), 1)
    if month > current_month():
        raise ValidationFailed(
            f"{text} is in the future: reports exist up to the current month ({current_month():%Y-%m}).",
            code="month_in_future", errors={"month": ["Month in the future."]},
        )
    return month


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month's [start, end) as aware UTC datetimes."""
    start = dt.datetime(month.year, month.month, 1, tzinfo=dt.UTC)
    end_month = add_months(month, 1)
    return start, dt.datetime(end_month.year, end_month.month, 1, tzinfo=dt.UTC)


def last_months(month: dt.date, count: int = 12) -> list[dt.date]:
    """``count`` months ending with ``month``, oldest first."""
    return [add_months(month, offset) for offset in range(1 - count, 1)]
