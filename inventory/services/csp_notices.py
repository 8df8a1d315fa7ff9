"""MP169 restriction notices to the CSPs (R169-6, R169-17): writing one, and the CSP desk acknowledging them.

A notice is written with its outbox row in the transaction of the change it reports (a set or clear by
the supplier, or the flag moving with its SMS on a hub replacement, R169-12). It carries what the CSP's
desk triages by - the device, its hub and its MPxN (seed 000 s6.1.3: the CSP "recognise[s] that an
individual Comms Hub has reduced smart functionality") - and is delivered by the outbox, retried until the
CSP's endpoint takes it. The CSP's desk then acknowledges notices, one or many (``restriction_notice_acknowledge``).
"""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from inventory.choices import CSP_FOR_REGION, DeviceType
from inventory.models import Device, RestrictionChange, RestrictionNotice
from portal.choices import OutboxKind, PartyRole
from portal.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from portal.models import Party, User
from portal.services import outbox_enqueue

#: Notices one acknowledgement may carry (a page of the list is 50; the API takes up to this many).
ACKNOWLEDGE_MAX = 500


def csp_party_for(device: Device) -> Party | None:
    """The CSP that runs the device's hub (R169-6); None for SMETS1 or unknown regions."""
    region = CSP_FOR_REGION.get(_region_of(device))
    if region is None:
        return None
    return Party.objects.filter(roles__contains=[PartyRole.CSP], csp_region=region).order_by("pk").first()


def _region_of(device: Device) -> str:
    return device.hub.csp_region if device.hub_id is not None else device.csp_region


def _notice_mpxn(device: Device) -> str:
    """The MPxN the CSP is told: the meter's; for a GPF (which has none) its SMS's gas meter's."""
    if device.mpxn or device.device_type != DeviceType.GPF or device.hub_id is None:
        return device.mpxn
    return (Device.objects.filter(hub_id=device.hub_id, device_type=DeviceType.GSME)
            .values_list("mpxn", flat=True).first() or "")


def restriction_notice_send(*, device: Device, changes: list[RestrictionChange], supplier: Party,
                            at: dt.datetime, mpxn: str | None = None):
    """One notice and one outbox message to the region's CSP for a change, in the caller's transaction.

    It goes to the CSP's notification endpoint, or by email to its operational address when it has no
    endpoint; the outbox retries delivery. Returns the outbox message, or None (no CSP for the region).
    """
    csp = csp_party_for(device)
    if csp is None:
        return None
    hub = device.hub if device.hub_id is not None else None
    mpxn = _notice_mpxn(device) if mpxn is None else mpxn
    payload = {
        "event": "restriction_changed",
        "device_id": device.device_id,
        "device_ids": [change.device.device_id for change in changes],
        "hub_id": hub.device_id if hub is not None else None,
        "mpxn": mpxn or None,
        "restricted": device.restricted,
        "at": at.isoformat(),
        "supplier": supplier.code,
        "change_ids": [change.pk for change in changes],
        "csp_region": _region_of(device),
        "channel": changes[0].channel,
    }
    source = f"restriction:{changes[0].pk}"
    state = "set" if device.restricted else "cleared"
    if csp.notification_endpoint:
        message = outbox_enqueue(
            kind=OutboxKind.CSP_NOTIFICATION, recipient=csp.notification_endpoint, payload=payload,
            party=csp, source=source,
        )
    else:
        body = (
            f"Restricted mode (MP169) was {state} by supplier {supplier.code} at {at:%Y-%m-%d %H:%M} UTC on:\n"
            + "".join(f"  {device_id}\n" for device_id in payload["device_ids"])
            + f"\nHub: {payload['hub_id'] or 'none'}. MPxN: {mpxn or 'none'}.\n"
            + f"CSP region: {payload['csp_region']}. Change ids: {', '.join(map(str, payload['change_ids']))}.\n"
            "A restricted device does not return consumption data by the consumer's choice: do not triage it as a "
            "communications fault.\n"
        )
        message = outbox_enqueue(
            kind=OutboxKind.EMAIL, recipient=csp.operational_email,
            subject=f"MP169 Restricted mode {state}: {device.device_id}", body=body, payload=payload,
            party=csp, source=source,
        )
    RestrictionNotice.objects.create(
        csp=csp, change=changes[0], device=device, hub=hub, mpxn=mpxn or "",
        device_ids=payload["device_ids"], restricted=device.restricted, at=at, csp_region=payload["csp_region"],
        outbox=message,
    )
    return message


def restriction_notice_acknowledge(*, actor: User, notice_ids: list[int]) -> list[RestrictionNotice]:
    """The CSP's desk acknowledges notices of its region (R169-17), one or many, all or none.

    Refused, with nothing written, when the actor is not a CSP (``PermissionDenied``), when no notice is
    named or too many are (``ValidationFailed``), when a notice is not one of the actor's CSP
    (``NotFound``: another CSP's notices are not revealed) or is acknowledged already (``Conflict``).
    """
    party = actor.party
    if party is None or not party.is_csp:
        raise PermissionDenied("Only a CSP acknowledges restriction notices.", code="csp_only")
    wanted = sorted(set(notice_ids))
    if not wanted:
        raise ValidationFailed("Choose at least one notice to acknowledge. Nothing was acknowledged.",
                               code="no_notices", errors={"ids": ["Choose at least one notice."]})
    if len(wanted) > ACKNOWLEDGE_MAX:
        raise ValidationFailed(f"Acknowledge at most {ACKNOWLEDGE_MAX} notices at once. Nothing was acknowledged.",
                               code="too_many_notices", errors={"ids": [f"At most {ACKNOWLEDGE_MAX}."]})
    with transaction.atomic():
        notices = list(RestrictionNotice.objects.select_for_update().filter(pk__in=wanted, csp=party).order_by("pk"))
        missing = sorted(set(wanted) - {notice.pk for notice in notices})
        if missing:
            raise NotFound(f"No restriction notice {', '.join(map(str, missing))} for {party.code}. "
                           "Nothing was acknowledged.", code="notice_not_found", errors={"ids": ["Unknown notice."]})
        done = [notice.pk for notice in notices if notice.acknowledged_at is not None]
        if done:
            raise Conflict(f"Notice {', '.join(map(str, done))} is already acknowledged. Nothing was acknowledged.",
                           code="already_acknowledged")
        now = timezone.now()
        RestrictionNotice.objects.filter(pk__in=wanted).update(acknowledged_at=now, acknowledged_by=actor)
        for notice in notices:
            notice.acknowledged_at, notice.acknowledged_by = now, actor
    return notices
