"""Change of Supplier (CoS) on a device, recorded by the DCC service desk (R169-5).

The Restricted flag is deliberately untouched: it is the consumer's choice, not the supplier's, so the
gaining supplier sees it (and, being now Responsible Supplier, may clear it) and the losing one no
longer may.
"""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from inventory.choices import DeviceType
from inventory.models import Device, SupplierChange
from inventory.services.gaining_supplier import supplier_change_gained_notify
from inventory.signals import device_supplier_changed
from portal.errors import Conflict, PermissionDenied, RuleRefused
from portal.models import Party, User


def supplier_change_refusal(*, actor: User) -> PermissionDenied | None:
    """Why ``actor`` may not record a Change of Supplier at all, or ``None`` (pages ask before offering the form)."""
    if actor.party is not None and actor.party.is_dcc:
        return None
    return PermissionDenied("Only the DCC service desk can record a Change of Supplier.", code="dcc_only")


def supplier_change_record(*, device: Device, new_supplier: Party, actor: User,
                           request_id: str = "") -> list[SupplierChange]:
    """Make ``new_supplier`` the Responsible Supplier of ``device`` (and, for a GSME, of its GPF).

    Only the DCC service desk records a CoS here. Returns the ``SupplierChange`` rows written.
    """
    if (refusal := supplier_change_refusal(actor=actor)) is not None:
        raise refusal
    if not new_supplier.is_supplier:
        raise RuleRefused(f"{new_supplier.code} is not a supplier: only a supplier can become Responsible Supplier.",
                          code="not_a_supplier")
    with transaction.atomic():
        locked = Device.objects.select_for_update().get(pk=device.pk)
        if locked.device_type == DeviceType.GPF:
            raise RuleRefused(
                f"Device {locked.device_id} is a Gas Proxy Function: it follows its gas meter. Record the Change of "
                f"Supplier on the GSME of the same hub.",
                code="gpf_follows_gsme",
            )
        if locked.responsible_supplier_id == new_supplier.pk:
            raise Conflict(f"{new_supplier.code} is already the Responsible Supplier of {locked.device_id}.",
                           code="already_responsible")
        devices = [locked]
        if locked.device_type == DeviceType.GSME and locked.hub_id is not None:
            devices += list(
                Device.objects.select_for_update()
                .filter(hub_id=locked.hub_id, device_type=DeviceType.GPF,
                        responsible_supplier_id=locked.responsible_supplier_id)
                .order_by("pk")
            )
        now = timezone.now()
        changes = []
        for changed in devices:
            changes.append(SupplierChange.objects.create(
                device=changed, at=now, actor=actor, party=actor.party, old_supplier_id=changed.responsible_supplier_id,
                new_supplier=new_supplier, request_id=request_id or "",
            ))
            old_supplier = changed.responsible_supplier
            changed.responsible_supplier = new_supplier
            changed.save(update_fields=["responsible_supplier", "updated_at"])
            device_supplier_changed.send(sender=Device, device=changed, old_supplier=old_supplier,
                                         new_supplier=new_supplier, actor=actor, change=changes[-1])
        supplier_change_gained_notify(changes=changes)  # R169-16
    return changes
