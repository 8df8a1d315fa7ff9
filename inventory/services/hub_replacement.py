"""Communications Hub replacement / Trust Centre swap-out, as the DSP sees it (R169-12; seed 001: "the Trust
Centre Swap-out ... where 2G/3G Communications Hubs can be replaced by 4G Communications Hubs without having to
go through a full reinstallation process").

The meters stay where they are; their Smart Metering System moves to the new Communications Hub Function.
The Gas Proxy Function lives in the hub, so the new hub brings its own GPF. Restricted is an attribute of the
meters (R169-1): an ESME's flag is on the ESME and moves with it; a restricted GSME's flag is mirrored on the
GPF of its SMS, so the new GPF takes it and the old GPF is cleared. Each of those two changes is an audit row
(channel "Hub replacement", linked to the GSME's own row by ``cascaded_from``) and a notice to the CSP of
the hub concerned (R169-6). The replaced hub and its GPF are Withdrawn (the status DUIS 8.4 lets a User give
a removed hub). All in one transaction, or nothing.
"""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from inventory.choices import DeviceStatus, DeviceType, RestrictionChannel
from inventory.models import Device, HubReplacement, RestrictionChange
from inventory.services import csp_notices
from portal.errors import Conflict, DomainError, NotFound, PermissionDenied, RuleRefused, ValidationFailed
from portal.eui64 import normalise_device_id
from portal.models import User
from portal.text import refuse_unstorable

#: A replacement hub must be installed (it is at the premises); it may still await commissioning.
NEW_HUB_STATUSES = frozenset({DeviceStatus.INSTALLED_NOT_COMMISSIONED, DeviceStatus.COMMISSIONED})
#: A hub whose SMS can move: one still in service.
OLD_HUB_STATUSES = frozenset({DeviceStatus.INSTALLED_NOT_COMMISSIONED, DeviceStatus.COMMISSIONED})


def hub_replace_refusal(*, actor: User, old_hub: Device, new_hub: Device | None = None) -> DomainError | None:
    """Why ``actor`` may not move ``old_hub``'s SMS to ``new_hub`` (or to any hub, without one), or None.

    Only the DCC or the old hub's Responsible Supplier (the supplier that replaces it at the premises).
    """
    party = getattr(actor, "party", None)
    if party is None or not (party.is_dcc or party.pk == old_hub.responsible_supplier_id):
        return PermissionDenied(
            f"Only the Responsible Supplier of hub {old_hub.device_id} or the DCC can record its replacement.",
            code="hub_replace_not_responsible",
        )
    if old_hub.device_type != DeviceType.CHF:
        return RuleRefused(f"{old_hub.device_id} is a {old_hub.device_type}, not a Communications Hub Function: "
                           "only a hub is replaced.", code="hub_replace_not_a_hub")
    if old_hub.status not in OLD_HUB_STATUSES:
        return Conflict(f"Hub {old_hub.device_id} is {old_hub.status}: only a hub in service can be replaced.",
                        code="hub_replace_old_hub_status")
    if new_hub is None:
        return None
    if new_hub.device_type != DeviceType.CHF:
        return RuleRefused(f"{new_hub.device_id} is a {new_hub.device_type}, not a Communications Hub Function.",
                           code="hub_replace_target_not_hub")
    if new_hub.pk == old_hub.pk:
        return RuleRefused("A hub cannot replace itself.", code="hub_replace_same_hub")
    if not (party.is_dcc or new_hub.responsible_supplier_id == party.pk):
        return PermissionDenied(f"Hub {new_hub.device_id} is not {party.code}'s: install your own replacement hub.",
                                code="hub_replace_new_hub_not_yours")
    if new_hub.status not in NEW_HUB_STATUSES:
        return Conflict(f"Hub {new_hub.device_id} is {new_hub.status}: the replacement hub must be installed.",
                        code="hub_replace_new_hub_status")
    if new_hub.smets_version != old_hub.smets_version:
        return RuleRefused(f"Hub {new_hub.device_id} is {new_hub.smets_version} and hub {old_hub.device_id} is "
                           f"{old_hub.smets_version}: a swap-out keeps the SMETS version.",
                           code="hub_replace_smets_mismatch")
    return None


def hub_replace(*, actor: User, old_hub: Device, new_hub: Device, reason: str = "", request_id: str = "") -> HubReplacement:
    """Move ``old_hub``'s Smart Metering System to ``new_hub`` (R169-12). Raises the refusal; nothing is written then.

    The new hub must hold no meter yet (only, optionally, its own GPF); if the SMS has a gas meter the new hub
    must have its GPF, of the gas meter's Responsible Supplier, so the gas meter's flag has somewhere to go.
    """
    reason = (reason or "").strip() or "Communications Hub replacement"
    refuse_unstorable(reason, subject="The reason", field="reason", unchanged="")
    refusal = hub_replace_refusal(actor=actor, old_hub=old_hub, new_hub=new_hub)
    if refusal is not None:
        raise refusal
    with transaction.atomic():
        hubs = {hub.pk: hub for hub in Device.objects.select_for_update().filter(pk__in=[old_hub.pk, new_hub.pk])}
        old_hub, new_hub = hubs[old_hub.pk], hubs[new_hub.pk]
        refusal = hub_replace_refusal(actor=actor, old_hub=old_hub, new_hub=new_hub)
        if refusal is not None:
            raise refusal
        members = list(Device.objects.select_for_update().filter(hub_id__in=[old_hub.pk, new_hub.pk]).order_by("pk"))
        moving = [device for device in members if device.hub_id == old_hub.pk and device.device_type != DeviceType.GPF]
        old_gpf = next((d for d in members if d.hub_id == old_hub.pk and d.device_type == DeviceType.GPF), None)
        already = [d for d in members if d.hub_id == new_hub.pk]
        new_gpf = next((d for d in already if d.device_type == DeviceType.GPF), None)
        others = [d.device_id for d in already if d.device_type != DeviceType.GPF]
        if others:
            raise Conflict(f"Hub {new_hub.device_id} already serves {', '.join(others)}: a replacement hub must not "
                           "hold another premises' meters.", code="hub_replace_new_hub_in_use")
        gsme = next((d for d in moving if d.device_type == DeviceType.GSME), None)
        if gsme is not None and new_gpf is None:
            raise RuleRefused(f"Hub {new_hub.device_id} has no Gas Proxy Function: gas meter {gsme.device_id} needs "
                              "one in its new hub. Join the new hub's GPF first.", code="hub_replace_no_gpf")
        if gsme is not None and new_gpf.responsible_supplier_id != gsme.responsible_supplier_id:
            raise PermissionDenied(
                f"The new hub's GPF {new_gpf.device_id} has another Responsible Supplier than gas meter "
                f"{gsme.device_id}: its Restricted flag would move to another supplier's device. Nothing was changed.",
                code="hub_replace_gpf_supplier",
            )
        if not moving:
            raise Conflict(f"Hub {old_hub.device_id} serves no meter: there is nothing to move.",
                           code="hub_replace_nothing_to_move")

        now = timezone.now()
        for device in moving:  # the SMS's region is its hub's: a 4G hub may be another CSP's (seed 001)
            device.hub, device.csp_region = new_hub, new_hub.csp_region
            device.save(update_fields=["hub", "csp_region", "updated_at"])
        old_change = new_change = None
        flag = gsme.restricted if gsme is not None else False
        if gsme is not None and (flag or (old_gpf is not None and old_gpf.restricted)):
            gsme_row = RestrictionChange.objects.filter(device=gsme).order_by("-id").first()
            common = {
                "actor": actor, "party": actor.party, "at": now, "attested": bool(gsme_row and gsme_row.attested),
                "channel": RestrictionChannel.HUB_REPLACEMENT, "request_id": request_id or "",
                "cascaded_from": gsme_row,
                "reason": f"Hub replacement: {old_hub.device_id} -> {new_hub.device_id}; the flag follows gas meter "
                          f"{gsme.device_id} (R169-12). {reason}"[:1000],
            }
            supplier = gsme.responsible_supplier or actor.party
            if old_gpf is not None and old_gpf.restricted:
                _apply(old_gpf, restricted=False, now=now)
                old_change = RestrictionChange.objects.create(device=old_gpf, old_value=True, new_value=False, **common)
                csp_notices.restriction_notice_send(device=old_gpf, changes=[old_change], supplier=supplier, at=now,
                                                    mpxn=gsme.mpxn)
            if flag and not new_gpf.restricted:
                _apply(new_gpf, restricted=True, now=now)
                new_change = RestrictionChange.objects.create(device=new_gpf, old_value=False, new_value=True, **common)
                new_gpf.hub = new_hub
                csp_notices.restriction_notice_send(device=new_gpf, changes=[new_change], supplier=supplier, at=now,
                                                    mpxn=gsme.mpxn)
        withdrawn = [old_hub] + ([old_gpf] if old_gpf is not None else [])
        for device in withdrawn:
            device.status = DeviceStatus.WITHDRAWN
            device.save(update_fields=["status", "updated_at"])
        return HubReplacement.objects.create(
            at=now, actor=actor, party=actor.party, old_hub=old_hub, new_hub=new_hub, old_gpf=old_gpf, new_gpf=new_gpf,
            moved_device_ids=[device.device_id for device in moving], old_gpf_change=old_change,
            new_gpf_change=new_change, reason=reason[:200], request_id=request_id or "",
        )


def _apply(device: Device, *, restricted: bool, now) -> None:
    device.restricted = restricted
    device.restricted_since = now if restricted else None
    device.save(update_fields=["restricted", "restricted_since", "updated_at"])


def replacement_hub_get(*, actor: User, device_id: str) -> Device:
    """The replacement hub a user typed, if the actor may use it (DCC, or its own hub); else ``NotFound``."""
    try:
        device_id = normalise_device_id(device_id)
    except ValidationFailed as error:
        raise ValidationFailed(error.detail, code=error.code, errors={"new_hub_id": [error.detail]}) from error
    party = getattr(actor, "party", None)
    hubs = Device.objects.filter(device_id=device_id, device_type=DeviceType.CHF)
    if party is None or not party.is_dcc:
        hubs = hubs.filter(responsible_supplier=party)
    hub = hubs.first()
    if hub is None:
        raise NotFound(f"There is no hub (CHF) {device_id} of yours in the Smart Metering Inventory.",
                       code="hub_not_found", errors={"new_hub_id": ["No hub with this Device ID."]})
    return hub
