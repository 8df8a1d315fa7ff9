"""Reads behind the MP169 desks: the restricted meters a supplier gained (R169-16), the restriction notices of
a CSP (R169-17) and which hubs' SMS hold a restricted device ("Restricted in SMS")."""
from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from inventory.choices import DeviceType
from inventory.models import Device, RestrictionNotice, SupplierChange
from portal.models import Party

#: How long a gained restricted meter stays on the home page's "needs your attention" card.
GAINED_ATTENTION_DAYS = 30
GAINED_CARD_LIMIT = 20


def gained_restricted_for(party: Party | None, *, limit: int = GAINED_CARD_LIMIT,
                          now: dt.datetime | None = None) -> list[SupplierChange]:
    """The restricted meters ``party`` gained on a Change of Supplier in the last ``GAINED_ATTENTION_DAYS`` days
    and still supplies, newest first (R169-16). GPFs follow their gas meter and are not listed apart. One query."""
    if party is None or not party.is_supplier:
        return []
    since = (now or timezone.now()) - dt.timedelta(days=GAINED_ATTENTION_DAYS)
    return list(
        SupplierChange.objects.filter(new_supplier=party, at__gte=since, device__restricted=True,
                                      device__responsible_supplier=party)
        .exclude(device__device_type=DeviceType.GPF)
        .select_related("device", "old_supplier")
        .order_by("-at", "-id")[:limit]
    )


def restricted_in_sms_q() -> Exists:
    """For a hub row: whether a device joined to it is restricted (an index probe per hub, no N+1)."""
    return Exists(Device.objects.filter(hub_id=OuterRef("pk"), restricted=True))


def hub_holds_restricted(hub: Device) -> bool:
    return hub.device_type == DeviceType.CHF and Device.objects.filter(hub_id=hub.pk, restricted=True).exists()


NOTICE_STATES = ("open", "acknowledged", "all")


def restriction_notices_for(party: Party | None, *, state: str = "all") -> QuerySet[RestrictionNotice]:
    """Restriction notices ``party`` may read: a CSP its own (its region's), the DCC all, anyone else none.
    Newest first by id (ids grow with time); ``state`` open / acknowledged / all."""
    notices = RestrictionNotice.objects.select_related("device", "hub", "outbox", "acknowledged_by").order_by("-id")
    if party is None or not (party.is_csp or party.is_dcc):
        return notices.none()
    if not party.is_dcc:
        notices = notices.filter(csp=party)
    if state == "open":
        notices = notices.filter(acknowledged_at__isnull=True)
    elif state == "acknowledged":
        notices = notices.filter(~Q(acknowledged_at=None))
    return notices
