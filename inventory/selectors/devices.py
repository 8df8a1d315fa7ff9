"""Reads of the Smart Metering Inventory, scoped to what the user's party may see.

``device_queryset_for`` is the one place that decides visibility; every page, API view and
extract starts from it. A device outside the scope is answered as unknown (404), so its
existence does not leak.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from inventory.choices import CSP_FOR_REGION, DeviceStatus, DeviceType
from inventory.models import Device
from portal.choices import NETWORK_OPERATOR_ROLES, SUPPLIER_ROLES, PartyRole
from portal.errors import NotFound, ValidationFailed
from portal.eui64 import normalise_device_id
from portal.models import Party

#: Statuses in which the pre-notifying (installing) supplier still sees a device it no longer supplies:
#: before commissioning, when the gaining supplier may need its install code (MP121).
PRENOTIFIER_VISIBLE_STATUSES = (DeviceStatus.PENDING, DeviceStatus.WHITELISTED, DeviceStatus.INSTALLED_NOT_COMMISSIONED)


def csp_regions_of(party: Party) -> list[str]:
    """The CSP regions whose hubs a CSP party runs: its region and the matching 4G region."""
    return sorted(region for region, csp in CSP_FOR_REGION.items() if csp == party.csp_region)


def device_scope_q(party: Party | None) -> Q | None:
    """The rows ``party`` may see as a ``Q`` (``Q()`` for everything), or ``None`` for nothing.

    - DCC service desk: every device.
    - Supplier (IS/ES/GS): devices it is responsible for, and devices it pre-notified while they are
      not yet commissioned (the installing supplier answers install-code requests for them, MP121).
      Once a device is commissioned under another supplier the pre-notifier no longer sees it, and a
      losing supplier sees nothing of it after the Change of Supplier (DOMAIN.md, "Privacy").
    - Network operator (ED/GT): devices on its network (read-only; no write path offers them).
    - CSP: devices in its region and the matching 4G region.
    - Other User and Registered Supplier Agent: nothing in the SSI inventory.
    A party with several roles sees the union.
    """
    if party is None:
        return None
    roles = set(party.roles)
    if PartyRole.DCC in roles:
        return Q()
    conditions: list[Q] = []
    if roles & SUPPLIER_ROLES:
        conditions += [Q(responsible_supplier=party),
                       Q(prenotifying_supplier=party, status__in=PRENOTIFIER_VISIBLE_STATUSES)]
    if roles & NETWORK_OPERATOR_ROLES:
        conditions.append(Q(network_operator=party))
    if PartyRole.CSP in roles and party.csp_region:
        conditions.append(Q(csp_region__in=csp_regions_of(party)))
    if not conditions:
        return None
    scope = conditions[0]
    for condition in conditions[1:]:
        scope |= condition
    return scope


def device_queryset_for(party: Party | None) -> QuerySet[Device]:
    """Devices ``party`` may see, with the CPL row and parties the lists show joined in."""
    scope = device_scope_q(party)
    devices = Device.objects.select_related("cpl_entry", "responsible_supplier")
    if scope is None:
        return devices.none()
    return devices.filter(scope)


def party_sees_inventory(party: Party | None) -> bool:
    """False for parties with no SSI inventory view at all (Other User, agent, no party)."""
    return device_scope_q(party) is not None


def device_get_for(party: Party | None, device_id: str) -> Device:
    """One device by (any-case) Device ID, or ``NotFound`` if unknown or outside the party's scope.

    A malformed Device ID raises ``ValidationFailed`` with the expected format.
    """
    canonical = normalise_device_id(device_id)
    device = (
        device_queryset_for(party)
        .select_related("prenotifying_supplier", "network_operator", "hub")
        .filter(device_id=canonical)
        .first()
    )
    if device is None:
        raise _not_visible(canonical)
    return device


def _not_visible(canonical: str) -> NotFound:
    return NotFound(f"No device {canonical} in the inventory you can see.", code="device_not_found")


class DeviceLookup:
    """``device_get_for`` for many Device IDs at once (one query): ``lookup.get(raw_id)`` raises exactly what
    ``device_get_for`` would (``ValidationFailed`` for a malformed ID, ``NotFound`` outside the scope)."""

    def __init__(self, party: Party | None, device_ids: Iterable[str]) -> None:
        wanted = set()
        for raw in device_ids:
            try:
                wanted.add(normalise_device_id(raw))
            except ValidationFailed:
                continue  # reported by get() for its own row
        queryset = device_queryset_for(party).select_related("prenotifying_supplier", "network_operator", "hub")
        self._devices = {device.device_id: device for device in queryset.filter(device_id__in=wanted)} if wanted else {}

    def get(self, device_id: str) -> Device:
        canonical = normalise_device_id(device_id)
        device = self._devices.get(canonical)
        if device is None:
            raise _not_visible(canonical)
        return device


def sms_devices_for(party: Party | None, device: Device) -> tuple[Device | None, list[Device]]:
    """The hub of ``device``'s Smart Metering System and the devices joined to it, as far as
    ``party`` may see them (hub first, then by type and Device ID)."""
    hub_id = device.pk if device.device_type == DeviceType.CHF else device.hub_id
    if hub_id is None:
        return None, []
    members = list(
        device_queryset_for(party).filter(Q(pk=hub_id) | Q(hub_id=hub_id)).order_by("device_type", "device_id")
    )
    hub = next((member for member in members if member.pk == hub_id), None)
    return hub, [member for member in members if member.pk != hub_id]


#: Up to this many matching devices the list counts exactly; past it the planner's estimate is shown, said so.
EXACT_COUNT_LIMIT = 10_000


@dataclass(frozen=True)
class DeviceCount:
    """How many devices a list matches: exact up to ``EXACT_COUNT_LIMIT``, else PostgreSQL's estimate."""

    value: int
    estimated: bool

    @property
    def text(self) -> str:
        noun = "device" if self.value == 1 else "devices"
        return f"About {self.value:,} {noun}" if self.estimated else f"{self.value:,} {noun}"


def device_count(queryset: QuerySet[Device]) -> DeviceCount:
    """Count ``queryset`` without an unbounded ``COUNT(*)`` (docs/inventory-list.md).

    One bounded count (``COUNT(*)`` over at most ``EXACT_COUNT_LIMIT + 1`` index rows: the same few
    milliseconds for 54 million devices as for 500); only when it hits the bound, one ``EXPLAIN`` for the
    planner's row estimate, which is never shown as less than the bound it passed.
    """
    keys = queryset.order_by().values("pk")
    bounded = keys[: EXACT_COUNT_LIMIT + 1].count()
    if bounded <= EXACT_COUNT_LIMIT:
        return DeviceCount(bounded, estimated=False)
    plan = json.loads(keys.explain(format="json"))
    estimate = int(plan[0]["Plan"]["Plan Rows"])
    return DeviceCount(max(estimate, EXACT_COUNT_LIMIT + 1), estimated=True)
