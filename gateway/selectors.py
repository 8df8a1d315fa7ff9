"""Gateway reads, scoped to what the reader's party may see.

* Service-request log: DCC sees every request; a CSP the requests to devices of its region; every
  other party (suppliers, network operators, other users, agents) only the requests it sent.
* SAT log: DCC all; a CSP its region; a supplier the alerts of devices it was responsible for; a
  network operator the alerts of its supply points.
* Diagnostics log (R169-9): the DCC and the CSPs only - it is for triage, not for Service Users.

Logs are read newest first with keyset paging on ``(time, id)``: no OFFSET and no COUNT(*).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from rest_framework.exceptions import ValidationError as DRFValidationError

from gateway import catalogue
from gateway.catalogue_data import CREATE_SCHEDULE_SRV
from gateway.choices import AlertLogName
from gateway.models import (
    AlertCode,
    AllowListChange,
    DiagnosticsLogEntry,
    RestrictedAlertAllowance,
    RestrictedSrvAllowance,
    SatLogEntry,
    ServiceReferenceVariant,
    ServiceRequestLog,
)
from inventory.choices import DeviceType
from inventory.models import Device
from inventory.postcodes import normalise_postcode
from inventory.selectors import csp_regions_of
from portal.errors import PermissionDenied, ValidationFailed
from portal.eui64 import normalise_device_id
from portal.models import Party
from portal.pagination import decode_cursor, encode_cursor

READ_INVENTORY_LIMIT = 17  # sr:DSPInventory holds at most 17 sr:Device


def inventory_read(*, device_id: str = "", mpxn: str = "", uprn: str = "", postcode: str = "",
                   address_identifier: str = "") -> list[Device]:
    """SRV 8.2 Read Inventory: devices matching one DUIS criterion (DeviceID, MPxN, UPRN or PropertyFilter).

    By DeviceID or MPxN the DSP answers with the devices of the whole SMS the matching devices belong to (the
    hub and every device joined to it); a device joined to no hub is answered alone. UPRN and PropertyFilter
    name a premises, whose devices all match already."""
    devices = Device.objects.select_related("cpl_entry").order_by("device_id")
    if device_id or mpxn:
        found = list(devices.filter(device_id=normalise_device_id(device_id)) if device_id
                     else devices.filter(mpxn=mpxn)[:READ_INVENTORY_LIMIT])
        hubs = {d.pk if d.device_type == DeviceType.CHF else d.hub_id for d in found} - {None}
        if not hubs:
            return found
        sms = devices.filter(Q(pk__in=hubs) | Q(hub_id__in=hubs))
        merged = {d.pk: d for d in [*found, *sms[:READ_INVENTORY_LIMIT]]}
        return sorted(merged.values(), key=lambda d: d.device_id)
    if uprn:
        devices = devices.filter(uprn=uprn.lstrip("0") or uprn)
    elif postcode and address_identifier:
        # Stored postcodes are normalised, so an exact match uses the postcode index (iexact would scan).
        devices = devices.filter(postcode=normalise_postcode(postcode), address_identifier__iexact=address_identifier)
    else:
        return []
    return list(devices[:READ_INVENTORY_LIMIT])


def service_request_log_visible(party: Party) -> QuerySet[ServiceRequestLog]:
    rows = ServiceRequestLog.objects.all()
    if party.is_dcc:
        return rows
    if party.is_csp:
        return rows.filter(csp_region__in=csp_regions_of(party))
    return rows.filter(party=party)


def alert_log_visible(party: Party, log: str) -> QuerySet:
    if log == AlertLogName.DIAGNOSTICS:
        if not (party.is_dcc or party.is_csp):
            raise PermissionDenied("The diagnostics log is for the DCC service desk and the CSPs.")
        rows = DiagnosticsLogEntry.objects.all()
    else:
        rows = SatLogEntry.objects.all()
    if party.is_dcc:
        return rows
    if party.is_csp:
        return rows.filter(csp_region__in=csp_regions_of(party))
    return rows.filter(Q(supplier=party) | Q(network_operator=party))


@dataclass(frozen=True)
class LogFilters:
    srv: str = ""
    device_id: str = ""
    party: int | None = None
    response_code: str = ""
    alert_code: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    restricted: bool | None = None


def _cursor_decode(cursor: str | None) -> tuple[dt.datetime, int] | None:
    if not cursor:
        return None
    try:
        return decode_cursor(cursor, (dt.datetime, int))
    except DRFValidationError as error:
        raise ValidationFailed("Invalid page cursor: use the 'Older' link of the previous page.",
                               code="invalid_cursor") from error


def cursor_encode(at: dt.datetime, pk: int) -> str:
    return encode_cursor([at.isoformat(), pk])


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in the portal's time zone, as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _filtered(rows: QuerySet, filters: LogFilters, *, time_field: str, restricted_field: str) -> QuerySet:
    if filters.srv and time_field == "requested_at":
        rows = rows.filter(srv=filters.srv)
    if filters.alert_code and time_field == "received_at":
        rows = rows.filter(alert_code=filters.alert_code.upper())
    if filters.device_id:
        rows = rows.filter(device_id=filters.device_id)
    if filters.party is not None and time_field == "requested_at":
        rows = rows.filter(party_id=filters.party)
    if filters.response_code and time_field == "requested_at":
        rows = rows.filter(response_code=filters.response_code)
    # Bounds on the column itself (not its local date), so PostgreSQL prunes partitions and uses the index.
    if filters.date_from:
        rows = rows.filter(**{f"{time_field}__gte": _day_start(filters.date_from)})
    if filters.date_to:
        rows = rows.filter(**{f"{time_field}__lt": _day_start(filters.date_to + dt.timedelta(days=1))})
    if filters.restricted is not None:
        rows = rows.filter(**{restricted_field: filters.restricted})
    return rows


def keyset_newest_first(rows: QuerySet, *, time_field: str, cursor: str | None,
                        limit: int) -> tuple[list[Any], str | None]:
    """One page, newest first, keyset on ``(time, id)``; returns the rows and the next page's cursor."""
    after = _cursor_decode(cursor)
    if after is not None:
        at, pk = after
        # The plain ``<=`` bound lets the (time, id) index start at the cursor; the OR breaks ties on id.
        rows = rows.filter(Q(**{f"{time_field}__lt": at}) | Q(**{time_field: at, "id__lt": pk}),
                           **{f"{time_field}__lte": at})
    page = list(rows.order_by(f"-{time_field}", "-id")[: limit + 1])
    if len(page) <= limit:
        return page, None
    page = page[:limit]
    last = page[-1]
    return page, cursor_encode(getattr(last, time_field), last.pk)


def service_request_log_page(*, party: Party, filters: LogFilters, cursor: str | None = None,
                             limit: int = 50) -> tuple[list[ServiceRequestLog], str | None]:
    rows = _filtered(service_request_log_visible(party), filters, time_field="requested_at",
                     restricted_field="restricted_at_request")
    return keyset_newest_first(rows.select_related("party"), time_field="requested_at", cursor=cursor, limit=limit)


def alert_log_page(*, party: Party, log: str, filters: LogFilters, cursor: str | None = None,
                   limit: int = 50) -> tuple[list, str | None]:
    rows = _filtered(alert_log_visible(party, log), filters, time_field="received_at",
                     restricted_field="restricted_at_receipt")
    return keyset_newest_first(rows, time_field="received_at", cursor=cursor, limit=limit)


def srv_allow_list() -> list[tuple[ServiceReferenceVariant, bool]]:
    """Every SRV that can be on the restricted-device allow-list, with whether it is allowed now."""
    allowed = set(RestrictedSrvAllowance.objects.values_list("srv_id", flat=True))
    entries = [entry for entry in catalogue.srv_all() if entry.targets_device and entry.srv != CREATE_SCHEDULE_SRV]
    return [(entry, entry.srv in allowed) for entry in entries]


def alert_allow_list() -> list[tuple[AlertCode, bool]]:
    allowed = set(RestrictedAlertAllowance.objects.values_list("alert_id", flat=True))
    return [(alert, alert.code in allowed) for alert in AlertCode.objects.order_by("code")]


def allow_list_history(*, limit: int = 100) -> QuerySet[AllowListChange]:
    return AllowListChange.objects.select_related("actor", "party").order_by("-at", "-id")[:limit]


def gateway_party_of(user: Any) -> Any:
    """The SEC party a gateway request acts for (REST and DUIS), or ``PermissionDenied`` for a user of none."""
    party = getattr(user, "party", None)
    if party is None:
        raise PermissionDenied("Your user acts for no SEC party, so it cannot use the gateway.")
    return party
