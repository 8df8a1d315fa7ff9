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
from gateway.catalogue_data import ALERT_CATEGORIES, CONSUMPTION_SRVS, CREATE_SCHEDULE_SRV
from gateway.choices import AlertLogName, AllowList
from gateway.models import (
    AlertCode,
    AllowListChange,
    DccAlert,
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


def dcc_alert_log_page(*, party: Party, cursor: str | None = None, limit: int = 50) -> tuple[list, str | None]:
    """The DCC alerts sent to ``party`` (R169-13's DSPScheduleRemoval, ...), newest first; the DCC reads all."""
    rows = DccAlert.objects.select_related("party")
    if not party.is_dcc:
        rows = rows.filter(party=party)
    return keyset_newest_first(rows, time_field="created_at", cursor=cursor, limit=limit)


def srv_allow_list() -> list[tuple[ServiceReferenceVariant, bool]]:
    """Every SRV that can be on the restricted-device allow-list, with whether it is allowed now."""
    allowed = set(RestrictedSrvAllowance.objects.values_list("srv_id", flat=True))
    entries = [entry for entry in catalogue.srv_all() if entry.targets_device and entry.srv != CREATE_SCHEDULE_SRV]
    return [(entry, entry.srv in allowed) for entry in entries]


def alert_allow_list() -> list[tuple[AlertCode, bool]]:
    allowed = set(RestrictedAlertAllowance.objects.values_list("alert_id", flat=True))
    return [(alert, alert.code in allowed) for alert in AlertCode.objects.order_by("code")]


@dataclass(frozen=True)
class AllowListRow:
    """One line of an MP169 allow-list page: the item, whether it is allowed now, and its default and why."""

    allow_list: str
    item: str
    name: str
    allowed: bool
    default_allowed: bool
    category: str
    reason: str

    @property
    def differs_from_default(self) -> bool:
        return self.allowed != self.default_allowed

    @property
    def category_label(self) -> str:
        labels = ALERT_CATEGORIES if self.allow_list == AllowList.ALERT else SRV_CATEGORY_LABELS
        return labels.get(self.category, self.category)

    @property
    def anchor(self) -> str:
        return f"{self.allow_list}-{self.item}".replace(".", "-")


SRV_CATEGORY_LABELS = {"consumption": "Consumption data", "other_device": "Other device SRV",
                       "non_device": "Non-device (names a device)"}


def allow_list_rows(*, allow_list: str, q: str = "", state: str = "", category: str = "") -> list[AllowListRow]:
    """The rows of one allow-list (``srv`` or ``alert``), filtered: ``q`` matches the code or the name (case
    folded), ``state`` "allowed" or "refused", ``category`` an R169-9 alert category or an SRV report category.
    Reference data of at most a few hundred rows: read whole (two queries) and filtered in memory."""
    if allow_list == AllowList.SRV:
        allowed = set(RestrictedSrvAllowance.objects.values_list("srv_id", flat=True))
        rows = [
            AllowListRow(
                allow_list="srv", item=entry.srv, name=entry.name, allowed=entry.srv in allowed,
                default_allowed=entry.srv not in CONSUMPTION_SRVS, category=entry.category,
                reason=("Consumption data: on MP169's initial restricted list, answered E72 (R169-8)."
                        if entry.srv in CONSUMPTION_SRVS else
                        "Not consumption data: stays allowed for a restricted device (R169-8)."),
            )
            for entry in catalogue.srv_all() if entry.targets_device and entry.srv != CREATE_SCHEDULE_SRV
        ]
    else:
        allowed = set(RestrictedAlertAllowance.objects.values_list("alert_id", flat=True))
        rows = [
            AllowListRow(allow_list="alert", item=alert.code, name=alert.description, allowed=alert.code in allowed,
                         default_allowed=not alert.mp169_withheld_by_default, category=alert.mp169_category,
                         reason=alert.mp169_reason)
            for alert in AlertCode.objects.order_by("code")
        ]
    needle = q.strip().casefold()
    if needle:
        rows = [row for row in rows if needle in row.item.casefold() or needle in row.name.casefold()]
    if state in ("allowed", "refused"):
        rows = [row for row in rows if row.allowed == (state == "allowed")]
    if category:
        rows = [row for row in rows if row.category == category]
    return rows


def restricted_device_count() -> int:
    """How many devices are Restricted now (the partial index ``device_restricted_idx``: about 1% of the SMI)."""
    return Device.objects.filter(restricted=True).count()


def allow_list_history(*, limit: int = 100) -> QuerySet[AllowListChange]:
    return AllowListChange.objects.select_related("actor", "party").order_by("-at", "-id")[:limit]


def gateway_party_of(user: Any) -> Any:
    """The SEC party a gateway request acts for (REST and DUIS), or ``PermissionDenied`` for a user of none."""
    party = getattr(user, "party", None)
    if party is None:
        raise PermissionDenied("Your user acts for no SEC party, so it cannot use the gateway.")
    return party
