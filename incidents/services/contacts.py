"""A supplier's MP121 contacts (issue 18): where request emails and SLA escalations go.

Seed 002 (Refinement Consultation, "Escalation route"): the operational contacts list "would be expanded
to include designated contacts for this process and appropriate escalation contacts". Each supplier
keeps its own in the portal; every change is audited (``ContactChange``, append-only) and the emails
of ``incidents.services.notifications`` read them at sending time.
"""
from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from incidents.models import ContactChange
from incidents.services.common import party_of
from portal.errors import PermissionDenied, ValidationFailed
from portal.models import Party, User
from portal.text import refuse_unstorable

CONTACT_FIELDS = {"operational_email": "MP121 contact address", "escalation_email": "Escalation address"}


def party_contacts_refusal(*, actor: User) -> str:
    """Why ``actor`` may not edit its party's MP121 contacts ("" if it may)."""
    party = actor.party
    if party is None or not party.is_supplier:
        return "Only a supplier keeps MP121 contacts: requests and escalations go to suppliers."
    return ""


@transaction.atomic
def party_contacts_update(*, actor: User, operational_email: str, escalation_email: str) -> list[ContactChange]:
    """Set the actor's party's MP121 contact and escalation addresses; returns the audit rows written."""
    party = party_of(actor)
    refusal = party_contacts_refusal(actor=actor)
    if refusal:
        raise PermissionDenied(refusal, code="not_a_supplier")
    values = {"operational_email": (operational_email or "").strip(),
              "escalation_email": (escalation_email or "").strip()}
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        label = CONTACT_FIELDS[name]
        refuse_unstorable(value, subject=f"The {label.lower()}", field=name)
        if not value:
            errors[name] = [f"Enter the {label.lower()}, like ops@supplier.example."]
            continue
        try:
            validate_email(value)
        except DjangoValidationError:
            errors[name] = [f"Enter the {label.lower()} in the right format, like ops@supplier.example."]
        if len(value) > 254:
            errors[name] = [f"The {label.lower()} must be 254 characters or fewer."]
    if errors:
        raise ValidationFailed("Check the contact addresses.", code="invalid_contacts", errors=errors)
    locked = Party.objects.select_for_update().get(pk=party.pk)
    now = timezone.now()
    changes = [
        ContactChange(party=locked, actor=actor, at=now, field=name, old_value=getattr(locked, name), new_value=value)
        for name, value in values.items() if getattr(locked, name) != value
    ]
    if changes:
        for change in changes:
            setattr(locked, change.field, change.new_value)
        locked.save(update_fields=[change.field for change in changes])
        ContactChange.objects.bulk_create(changes)
    return changes
