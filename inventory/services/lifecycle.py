"""SMI lifecycle changes Users ask the DCC for through non-device SRVs: 8.3 Decommission Device and 8.4 Update
Inventory (a device's SMI status, its import MPxN, or deleting a device that was only pre-notified).

Who may: the device's Responsible Supplier, or the DCC. The DUIS gateway has already judged the request (E19,
E4); these services check again, as every entry point must, and raise domain errors with the reason.
"""
from __future__ import annotations

import re

from django.db import transaction

from inventory.choices import DeviceStatus, DeviceType
from inventory.models import Device
from portal.errors import Conflict, PermissionDenied, RuleRefused, ValidationFailed
from portal.models import User

#: 8.4 ``UpdateDeviceStatusCH`` / ``UpdateDeviceStatusExceptCH``: the statuses a User may set (DUIS 5.4).
HUB_STATUSES = frozenset({DeviceStatus.COMMISSIONED, DeviceStatus.WITHDRAWN, DeviceStatus.INSTALLED_NOT_COMMISSIONED})
DEVICE_STATUSES = frozenset({DeviceStatus.PENDING, DeviceStatus.INSTALLED_NOT_COMMISSIONED})
_MPXN = re.compile(r"^(\d{13}|\d{1,10})$")
_GONE = frozenset({DeviceStatus.DECOMMISSIONED, DeviceStatus.WITHDRAWN})


def _require_responsible(actor: User, device: Device) -> None:
    party = getattr(actor, "party", None)
    if party is None or not (party.is_dcc or party.pk == device.responsible_supplier_id):
        raise PermissionDenied(f"Only the Responsible Supplier of device {device.device_id} (or the DCC) may change "
                               "its inventory record.", code="not_responsible_supplier")


def _locked(device: Device) -> Device:
    return Device.objects.select_for_update().get(pk=device.pk)


def device_decommission(*, actor: User, device: Device, request_id: str = "") -> Device:
    """8.3: the device leaves service (status Decommissioned)."""
    _require_responsible(actor, device)
    with transaction.atomic():
        device = _locked(device)
        if device.status in _GONE:
            raise Conflict(f"Device {device.device_id} is already {device.status}.", code="already_decommissioned")
        device.status = DeviceStatus.DECOMMISSIONED
        device.save(update_fields=["status"])
    return device


def device_inventory_update(*, actor: User, device: Device, status: str | None = None, import_mpxn: str | None = None,
                            delete: bool = False, request_id: str = "") -> Device:
    """8.4: set the SMI status a User may set, the import MPxN, or delete a pre-notified (Pending) device, which
    the SMI keeps as Withdrawn (nothing that refers to it is lost)."""
    _require_responsible(actor, device)
    with transaction.atomic():
        device = _locked(device)
        if status is not None:
            allowed = HUB_STATUSES if device.device_type == DeviceType.CHF else DEVICE_STATUSES
            if status not in allowed:
                raise RuleRefused(f"A User may set a {device.device_type}'s SMI status only to "
                                  f"{' or '.join(sorted(allowed))}, not {status}.", code="status_not_settable")
            device.status = status
        if import_mpxn is not None:
            if not _MPXN.match(import_mpxn):
                raise ValidationFailed("An MPAN is 13 digits, an MPRN up to 10 digits.", code="invalid_mpxn")
            device.mpxn = import_mpxn
        if delete:
            if device.status != DeviceStatus.PENDING:
                raise RuleRefused(f"Only a Pending (pre-notified) device can be deleted; device {device.device_id} "
                                  f"is {device.status}.", code="not_pending")
            device.status = DeviceStatus.WITHDRAWN
        device.save(update_fields=["status", "mpxn"])
    return device
