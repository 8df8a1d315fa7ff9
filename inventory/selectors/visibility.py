"""For how long a party may read a device's history (DOMAIN.md "Privacy"), for many devices at once.

The rule is ``restriction_history_for``'s, for every record about a device (restriction changes, supplier
changes, hub replacements, alerts, service requests, incidents): the DCC, the current Responsible Supplier, the
device's network operator and its region's CSP read all of it; a supplier that sees the device for another
reason reads only what was recorded up to the moment it lost the device on a Change of Supplier, and nothing
if it never supplied it. The premises timeline applies it to each of its sources.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Max, Q

from inventory.models import Device, SupplierChange
from inventory.selectors.restriction import _reads_whole_history
from portal.models import Party

#: A device's window: ``None`` for its whole history, else the last moment the party may read.
Window = dt.datetime | None


def device_history_windows(party: Party | None, devices: Iterable[Device]) -> dict[int, Window]:
    """``{device pk: window}`` for the devices ``party`` may read any history of (one query at most)."""
    if party is None:
        return {}
    windows: dict[int, Window] = {}
    partial = []
    for device in devices:
        if _reads_whole_history(device, party):
            windows[device.pk] = None
        else:
            partial.append(device.pk)
    if partial:
        lost = (SupplierChange.objects.filter(device_id__in=partial, old_supplier=party)
                .values("device_id").annotate(lost_at=Max("at")))
        windows.update({row["device_id"]: row["lost_at"] for row in lost})
    return windows


def window_q(windows: dict, *, key: str, time: str) -> Q:
    """A filter keeping each device's records inside its window; ``key`` is the device column (a pk or a
    Device ID, as ``windows`` is keyed), ``time`` the record's time. Matches nothing for no device."""
    whole = [device for device, cut in windows.items() if cut is None]
    condition = Q(**{f"{key}__in": whole}) if whole else Q(pk__in=[])
    for device, cut in windows.items():
        if cut is not None:
            condition |= Q(**{key: device, f"{time}__lte": cut})
    return condition
