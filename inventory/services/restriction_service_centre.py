"""MP169 R169-15: the DCC Service Centre sets or clears Restricted on a supplier's behalf (seed 001: "the Supplier
will send a notification via the SSI or the DCC Service Centre").

The rules are the supplier's (``restriction_set`` with ``acting_for``: the supplier must be the device's
Responsible Supplier, every R169-3 condition, the attestation to set), so the Service Centre can do nothing the
supplier could not. Added here: the supplier's request reference (required), how the supplier gave its
attestation (phone or email, required to set), a ``RestrictionServiceCentreRequest`` row beside the audit row
(actor: the DCC user; party: the supplier; channel: Service Centre), and an email to the supplier through the
outbox - all in the change's transaction.
"""
from __future__ import annotations

from django.db import transaction

from inventory.choices import AttestationGivenBy, RestrictionChannel
from inventory.models import Device, RestrictionServiceCentreRequest
from inventory.services.restriction import RestrictionResult, restriction_set
from portal.choices import OutboxKind
from portal.errors import PermissionDenied, ValidationFailed
from portal.models import Party, User
from portal.services import outbox_enqueue
from portal.text import refuse_unstorable


def service_centre_refusal(actor: User) -> PermissionDenied | None:
    """Why ``actor`` may not use the Service Centre form (only the DCC service desk may), or None."""
    party = getattr(actor, "party", None)
    if party is None or not party.is_dcc:
        return PermissionDenied("Only the DCC Service Centre sets or clears Restricted mode on a supplier's behalf.",
                                code="not_service_centre")
    return None


def service_centre_supplier(code: str) -> Party:
    """The party a Service Centre request names by its code, or ``ValidationFailed`` (nothing is written)."""
    code = (code or "").strip().upper()
    party = Party.objects.filter(code=code).first() if code else None
    if party is None:
        shown = f"'{code[:20]}'" if code else "no code"
        raise ValidationFailed(
            f"No SEC party has {shown}: enter the party code of the supplier you act for, e.g. SUPA. Nothing was "
            "changed.", code="unknown_supplier", errors={"supplier": ["Enter the party code of the supplier you act for."]})
    return party


def restriction_set_by_service_centre(
    *, device: Device, actor: User, supplier: Party | None, supplier_reference: str, restricted: bool, reason: str,
    attested: bool, attestation_given_by: str, request_id: str = "",
) -> RestrictionResult:
    """Set or clear Restricted for ``supplier`` as the DCC Service Centre; raises what ``restriction_set`` raises,
    plus ``PermissionDenied`` (not the DCC) and ``ValidationFailed`` (no supplier, reference or attestation
    channel). Nothing is written on refusal."""
    refusal = service_centre_refusal(actor)
    if refusal is not None:
        raise refusal
    reference = (supplier_reference or "").strip()
    errors: dict[str, list[str]] = {}
    if supplier is None:
        errors["supplier"] = ["Enter the party code of the supplier you act for."]
    if not reference:
        errors["supplier_reference"] = ["Enter the supplier's request reference."]
    if restricted and attestation_given_by not in AttestationGivenBy.values:
        errors["attestation_given_by"] = ["Select how the supplier gave its attestation: by phone or by email."]
    if errors:
        raise ValidationFailed("The Service Centre request is incomplete: " + " ".join(e[0] for e in errors.values()),
                               code="service_centre_incomplete", errors=errors)
    refuse_unstorable(reference, subject="The supplier's reference", field="supplier_reference", unchanged="")
    with transaction.atomic():
        result = restriction_set(
            device=device, actor=actor, restricted=restricted, reason=reason, attested=attested,
            channel=RestrictionChannel.SERVICE_CENTRE, request_id=request_id, acting_for=supplier,
        )
        primary = result.changes[0]
        given_by = attestation_given_by if attestation_given_by in AttestationGivenBy.values else ""
        for change in result.changes:
            RestrictionServiceCentreRequest.objects.create(
                change=change, supplier_reference=reference[:64], attestation_given_by=given_by)
        state = "set" if restricted else "cleared"
        devices = "".join(f"  {change.device.device_id}\n" for change in result.changes)
        attestation = (f"Your attestation that all reasonable steps were taken was recorded as given "
                       f"{AttestationGivenBy(given_by).label.lower()}.\n" if restricted else "")
        outbox_enqueue(
            kind=OutboxKind.EMAIL, recipient=supplier.operational_email, party=supplier,
            subject=f"MP169 Restricted mode {state} for you by the DCC Service Centre: {device.device_id} "
                    f"(your reference {reference[:64]})",
            body=(f"At your request (your reference {reference[:64]}), the DCC Service Centre ({actor.username}) "
                  f"{state} Restricted mode at {primary.at:%Y-%m-%d %H:%M} UTC on:\n{devices}\n"
                  f"Reason recorded: {primary.reason}\n{attestation}"
                  "The change is in the device's restriction history in the SSMI.\n"),
            payload={"event": "restriction_changed_by_service_centre", "device_id": device.device_id,
                     "restricted": restricted, "supplier_reference": reference[:64],
                     "change_ids": [change.pk for change in result.changes]},
            source=f"restriction-service-centre:{primary.pk}",
        )
    return result
