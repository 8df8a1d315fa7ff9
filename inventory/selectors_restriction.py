"""Reads of the MP169 restriction audit trail: the history of a device the caller may already see
(callers obtain the device through ``inventory.selectors.device_get_for``), and its CSV export."""
from __future__ import annotations

import csv
import datetime
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from inventory.models import Device, RestrictionChange
from portal.csv_safety import EchoWriter, spreadsheet_safe

HISTORY_CSV_COLUMNS = ["at", "device_id", "actor", "party", "old_value", "new_value", "reason", "attested",
                       "channel", "request_id", "id", "cascaded_from"]


def restriction_history_for(device: Device) -> QuerySet[RestrictionChange]:
    """The device's restriction changes, newest first (ids grow with time), with who made them."""
    return (RestrictionChange.objects.filter(device=device)
            .select_related("device", "actor", "party").order_by("-id"))


def _history_rows(changes: QuerySet[RestrictionChange]) -> Iterator[str]:
    writer = csv.writer(EchoWriter())
    yield writer.writerow(HISTORY_CSV_COLUMNS)
    for change in changes.iterator(chunk_size=1000):
        yield writer.writerow([
            change.at.astimezone(datetime.UTC).isoformat(),
            change.device.device_id, change.actor.username, change.party.code,
            str(change.old_value).lower(), str(change.new_value).lower(), spreadsheet_safe(change.reason),
            str(change.attested).lower(), change.channel, change.request_id, change.pk, change.cascaded_from_id or "",
        ])


def restriction_history_csv_response(device: Device) -> StreamingHttpResponse:
    """The device's whole restriction history as a streamed CSV download."""
    response = StreamingHttpResponse(_history_rows(restriction_history_for(device)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="restriction-history-{device.device_id}.csv"'
    response["Cache-Control"] = "no-store"
    return response
