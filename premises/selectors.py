"""The premises timeline: one page per Smart Metering System answering "why isn't this meter talking?".

Built from the tables that already hold each record - no copy of the data: restriction changes, supplier
changes, hub replacements (inventory), alerts withheld to the diagnostics log and firmware attempts (the
gateway's logs), and incidents. One query per source, newest first, keyset paged on (time, source, id): each
source is asked for the ``limit + 1`` rows after the cursor, the rows are merged, and the first ``limit`` are a
page, so a deep page costs what the first does.

Scoped per party twice: each source through its own app's scope (the diagnostics log is the DCC's and the CSPs'
only; the service-request log shows a supplier the requests it sent; incidents the ones it is party to), and
every record through the device's history window (``inventory.selectors.device_history_windows``: a losing
supplier reads nothing recorded after the Change of Supplier).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.urls import reverse
from rest_framework.exceptions import ValidationError as DRFValidationError

from gateway.choices import AlertLogName
from gateway.selectors import alert_log_visible, service_request_log_visible
from incidents.selectors import incidents_visible_to
from inventory.choices import DeviceType
from inventory.models import Device, HubReplacement, RestrictionChange, SupplierChange
from inventory.selectors import device_history_windows, device_queryset_for, window_q
from portal.errors import PermissionDenied, ValidationFailed
from portal.models import User
from portal.pagination import decode_cursor, encode_cursor

PAGE_SIZE = 50
MAX_LIMIT = 200
#: Firmware SRVs: 11.1 Update Firmware, 11.2 Read Firmware Version, 11.3 Activate Firmware, 11.4 PPMID firmware.
FIRMWARE_SRV_PREFIX = "11."


@dataclass(frozen=True)
class TimelineEvent:
    """One line of the timeline, linked to the record it comes from."""

    at: dt.datetime
    source: str
    rank: int
    pk: int
    title: str
    detail: str
    device_id: str
    url: str


@dataclass(frozen=True)
class Timeline:
    hub: Device | None
    devices: list[Device]
    events: list[TimelineEvent]
    next_cursor: str | None


def _device_url(device_id: str, anchor: str = "") -> str:
    return reverse("inventory:device-detail", args=[device_id]) + anchor


def _restriction_event(change: RestrictionChange) -> TimelineEvent:
    verb = "set" if change.new_value else "cleared"
    who = f"{change.party.code} ({change.get_channel_display()})"
    return TimelineEvent(
        at=change.at, source="restriction", rank=0, pk=change.pk, title=f"Restricted mode {verb}",
        detail=f"{change.reason} - {who}", device_id=change.device.device_id,
        url=_device_url(change.device.device_id, "#restriction-heading"))


def _supplier_event(change: SupplierChange) -> TimelineEvent:
    old = change.old_supplier.code if change.old_supplier else "none"
    return TimelineEvent(
        at=change.at, source="supplier_change", rank=1, pk=change.pk, title="Change of Supplier",
        detail=f"{old} -> {change.new_supplier.code}, recorded by {change.party.code}",
        device_id=change.device.device_id, url=_device_url(change.device.device_id, "#restriction-heading"))


def _hub_event(replacement: HubReplacement) -> TimelineEvent:
    moved = "the Restricted flag moved to the new GPF" if replacement.new_gpf_change_id else "no Restricted flag moved"
    return TimelineEvent(
        at=replacement.at, source="hub_replacement", rank=2, pk=replacement.pk, title="Hub replaced",
        detail=f"{replacement.old_hub.device_id} -> {replacement.new_hub.device_id} ({replacement.reason}); {moved}",
        device_id=replacement.new_hub.device_id, url=_device_url(replacement.new_hub.device_id))


def _withheld_event(entry) -> TimelineEvent:
    return TimelineEvent(
        at=entry.received_at, source="alert_withheld", rank=3, pk=entry.pk,
        title=f"Alert {entry.alert_code} withheld (diagnostics log)",
        detail="From a restricted device, not on the alert allow-list: not delivered (R169-9).",
        device_id=entry.device_id,
        url=reverse("gateway:alert-log", args=[AlertLogName.DIAGNOSTICS]) + f"?device_id={entry.device_id}")


def _firmware_event(row) -> TimelineEvent:
    return TimelineEvent(
        at=row.requested_at, source="firmware", rank=4, pk=row.pk, title=f"Firmware request SRV {row.srv}",
        detail=f"{row.response_code}: {row.detail}", device_id=row.device_id,
        url=reverse("gateway:log-index") + f"?device_id={row.device_id}&srv={row.srv}")


def _incident_event(incident) -> TimelineEvent:
    return TimelineEvent(
        at=incident.created_at, source="incident", rank=5, pk=incident.pk,
        title=f"Incident {incident.reference} raised", detail=f"{incident.get_type_display()}: "
        f"{incident.get_state_display()}, raised by {incident.raised_by.code}", device_id=incident.device.device_id,
        url=reverse("incidents:incident-detail", args=[incident.reference]))


def _decode(cursor: str | None) -> tuple[dt.datetime, int, int] | None:
    if not cursor:
        return None
    try:
        return decode_cursor(cursor, (dt.datetime, int, int))
    except DRFValidationError as error:
        raise ValidationFailed("Invalid page cursor: use the 'Older' link of the previous page.",
                               code="invalid_cursor", errors={"cursor": ["Invalid cursor."]}) from error


def _after(rows: QuerySet, *, time: str, rank: int, cursor) -> QuerySet:
    """The rows of one source after the cursor in (time desc, rank desc, id desc) order."""
    if cursor is None:
        return rows
    at, cursor_rank, pk = cursor
    if rank < cursor_rank:
        later = Q(**{f"{time}__lte": at})
    elif rank == cursor_rank:
        later = Q(**{f"{time}__lt": at}) | Q(**{time: at, "id__lt": pk})
    else:
        later = Q(**{f"{time}__lt": at})
    return rows.filter(later)


def sms_timeline(*, user: User, device: Device, cursor: str | None = None, limit: int = PAGE_SIZE) -> Timeline:
    """The timeline of ``device``'s SMS as ``user``'s party may read it (``device`` is one it may see)."""
    party = user.party
    limit = max(1, min(limit, MAX_LIMIT))
    after = _decode(cursor)
    hub_pk = device.pk if device.device_type == DeviceType.CHF else device.hub_id
    if hub_pk is None:
        members = [device]
    else:
        # The SMS now, and the hub it replaced with that hub's GPF (R169-12: the history moves with the SMS).
        replaced = HubReplacement.objects.filter(new_hub_id=hub_pk).values("old_hub_id")
        members = list(device_queryset_for(party).filter(
            Q(pk=hub_pk) | Q(hub_id=hub_pk) | Q(pk__in=replaced) | Q(hub_id__in=replaced, device_type=DeviceType.GPF),
        ).order_by("device_type", "device_id"))
    hub = next((member for member in members if member.pk == hub_pk), None)
    windows = device_history_windows(party, members)
    by_id = {member.device_id: windows[member.pk] for member in members if member.pk in windows}
    page_window = windows.get(device.pk)

    def fetch(rows: QuerySet, *, time: str, rank: int, build: Callable) -> list[TimelineEvent]:
        rows = _after(rows, time=time, rank=rank, cursor=after).order_by(f"-{time}", "-id")[: limit + 1]
        return [build(row) for row in rows]

    events: list[TimelineEvent] = []
    events += fetch(RestrictionChange.objects.filter(window_q(windows, key="device_id", time="at"))
                    .select_related("device", "party"), time="at", rank=0, build=_restriction_event)
    events += fetch(SupplierChange.objects.filter(window_q(windows, key="device_id", time="at"))
                    .select_related("device", "party", "old_supplier", "new_supplier"),
                    time="at", rank=1, build=_supplier_event)
    if hub_pk is not None and device.pk in windows:
        replacements = HubReplacement.objects.filter(Q(old_hub_id=hub_pk) | Q(new_hub_id=hub_pk))
        if page_window is not None:
            replacements = replacements.filter(at__lte=page_window)
        events += fetch(replacements.select_related("old_hub", "new_hub"), time="at", rank=2, build=_hub_event)
    try:
        diagnostics = alert_log_visible(party, AlertLogName.DIAGNOSTICS)
    except PermissionDenied:
        diagnostics = None  # the diagnostics log is the DCC's and the CSPs' (R169-9)
    if diagnostics is not None:
        events += fetch(diagnostics.filter(window_q(by_id, key="device_id", time="received_at")),
                        time="received_at", rank=3, build=_withheld_event)
    events += fetch(service_request_log_visible(party).filter(window_q(by_id, key="device_id", time="requested_at"),
                                                              srv__startswith=FIRMWARE_SRV_PREFIX),
                    time="requested_at", rank=4, build=_firmware_event)
    events += fetch(incidents_visible_to(user).filter(window_q(windows, key="device_id", time="created_at")),
                    time="created_at", rank=5, build=_incident_event)

    events.sort(key=lambda event: (event.at, event.rank, event.pk), reverse=True)
    next_cursor = None
    if len(events) > limit:
        events = events[:limit]
        last = events[-1]
        next_cursor = encode_cursor([last.at.isoformat(), last.rank, last.pk])
    return Timeline(hub=hub, devices=members, events=events, next_cursor=next_cursor)
