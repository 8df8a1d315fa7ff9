"""R121-5 and R121-6: notes and install codes, the "not the installing supplier" answer, reassignment, closing.

Every service checks what the actor's party may do, changes the incident, writes its history row
(``IncidentEvent``) and queues its emails through the outbox, all in one transaction.
"""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from incidents.choices import ClosureKind, IncidentEventKind, IncidentState, SpellKind, SpellOutcome
from incidents.models import Incident, IncidentNote
from incidents.selectors import device_supplier_history
from incidents.services.common import incident_event_record, party_of
from incidents.services.notifications import email_assignee, email_creator, email_reopened
from incidents.services.secrecy import normalise_install_code, refuse_install_code_in_text
from incidents.services.sla import due_by_from
from incidents.services.spells import spell_start, spell_stop
from portal.crypto import encrypt_text
from portal.errors import Conflict, DomainError, PermissionDenied, RuleRefused, ValidationFailed
from portal.models import Party, User
from portal.selectors import dcc_party
from portal.text import refuse_unstorable


def _lock(incident: Incident) -> Incident:
    return (
        Incident.objects.select_for_update(of=("self",))
        .select_related("device", "raised_by", "raised_by_user", "assigned_party")
        .get(pk=incident.pk)
    )


def _require_open(incident: Incident) -> None:
    if incident.state == IncidentState.CLOSED:
        raise Conflict(f"Incident {incident.reference} is closed; it cannot be changed.", code="incident_closed")


def _touch(incident: Incident, *fields: str) -> None:
    incident.updated_at = timezone.now()
    incident.save(update_fields=[*fields, "updated_at"])


@transaction.atomic
def incident_add_note(*, incident: Incident, actor: User, body: str, install_code: str | None = None) -> IncidentNote:
    """Add a note; the assignee may attach the install code, which moves the incident to Responded."""
    party = party_of(actor)
    incident = _lock(incident)
    _require_open(incident)
    if party.pk not in (incident.raised_by_id, incident.assigned_party_id) and not party.is_dcc:
        raise PermissionDenied("Only the raising party, the assigned party and the DCC service desk can add notes.")
    body = (body or "").strip()
    refuse_unstorable(body, subject="The note", field="body")
    code = None
    if install_code not in (None, ""):
        if party.pk != incident.assigned_party_id or party.is_dcc:
            raise PermissionDenied(
                "Only the assigned installing supplier can supply the install code.", code="not_the_assignee",
            )
        code = normalise_install_code(install_code)
    if not body and code is None:
        raise ValidationFailed("Write a note or supply an install code.", errors={"body": ["A note is required."]})
    refuse_install_code_in_text(body, field="body", label="The note", device_id=incident.device.device_id,
                                code="install_code_in_note")
    now = timezone.now()
    note = IncidentNote.objects.create(
        incident=incident, author=actor, party=party, body=body,
        install_code_ciphertext=encrypt_text(code) if code else "", created_at=now,
    )
    if code:
        previous = incident.state
        incident.state = IncidentState.RESPONDED
        incident.has_install_code = True
        fields = ["state", "has_install_code", *_record_first_response(incident, party, now)]
        _touch(incident, *fields)
        spell_stop(incident, at=now, outcome=SpellOutcome.CODE)
        incident_event_record(incident, IncidentEventKind.CODE_ADDED, actor=actor, party=party, from_state=previous,
                     to_state=incident.state, note=note)
        email_creator(incident, actor_party=party, what="the install code was supplied (see it in the portal)")
    else:
        _touch(incident)
        incident_event_record(incident, IncidentEventKind.NOTE, actor=actor, party=party, note=note)
        email_creator(incident, actor_party=party, what="a note was added")
    return note


def _record_first_response(incident: Incident, party: Party, at) -> list[str]:
    """Keep what the SLA report needs (R121-10): when, by whom, and who was assigned then."""
    if incident.first_response_at is not None:
        return []
    incident.first_response_at = at
    incident.responder_party = party
    incident.assigned_party_at_response_id = incident.assigned_party_id
    return ["first_response_at", "responder_party", "assigned_party_at_response"]


@transaction.atomic
def incident_answer_not_installing_supplier(*, incident: Incident, actor: User, body: str = "") -> Incident:
    """The assignee says it did not install the device: the incident goes back to the service desk queue."""
    party = party_of(actor)
    incident = _lock(incident)
    _require_open(incident)
    if party.pk != incident.assigned_party_id or party.is_dcc:
        raise PermissionDenied("Only the assigned supplier can answer that it is not the installing supplier.",
                               code="not_the_assignee")
    if incident.state != IncidentState.ASSIGNED:
        raise Conflict(f"Incident {incident.reference} is {incident.get_state_display()}; it cannot be answered now.")
    body = (body or "").strip()
    refuse_unstorable(body, subject="The comment", field="body")
    refuse_install_code_in_text(body, field="body", label="The comment", device_id=incident.device.device_id,
                                code="install_code_in_note")
    now = timezone.now()
    previous = incident.state
    service_desk = dcc_party()
    incident.state = IncidentState.NOT_INSTALLING_SUPPLIER
    fields = ["state", "assigned_party", *_record_first_response(incident, party, now)]
    incident.assigned_party = service_desk
    _touch(incident, *fields)
    spell_stop(incident, at=now, outcome=SpellOutcome.NOT_INSTALLING)
    note = None
    if body:
        note = IncidentNote.objects.create(incident=incident, author=actor, party=party, body=body, created_at=now)
    incident_event_record(incident, IncidentEventKind.NOT_INSTALLING, actor=actor, party=party, from_state=previous,
                 to_state=incident.state, assigned_party=service_desk, note=note,
                 detail=f"{party.code} is not the installing supplier; back to the DCC service desk queue.")
    email_assignee(incident)
    email_creator(incident, actor_party=party, what=f"{party.code} answered that it is not the installing supplier")
    return incident


@transaction.atomic
def incident_reassign(*, incident: Incident, actor: User, to_party: Party) -> Incident:
    """Only the DCC service desk reassigns (R121-5). The new assignee gets a fresh 10-working-day due date."""
    party = party_of(actor)
    if not party.is_dcc:
        raise PermissionDenied("Only the DCC service desk can reassign an incident.", code="not_service_desk")
    incident = _lock(incident)
    _require_open(incident)
    if not to_party.is_supplier:
        raise RuleRefused(f"{to_party.code} is not a supplier: an install code request goes to a supplier.")
    if to_party.pk == incident.raised_by_id:
        raise RuleRefused("The incident cannot be assigned to the party that raised it.")
    if to_party.pk == incident.assigned_party_id:
        raise Conflict(f"Incident {incident.reference} is already assigned to {to_party.code}.")
    previous = incident.state
    incident.assigned_party = to_party
    incident.state = IncidentState.RESPONDED if incident.has_install_code else IncidentState.ASSIGNED
    # The obligation starts when the installing supplier receives the request; a new breach can follow.
    now = timezone.now()
    incident.due_by = due_by_from(timezone.localdate(now))
    incident.breached, incident.breached_at, incident.escalated_at = False, None, None
    _touch(incident, "assigned_party", "state", "due_by", "breached", "breached_at", "escalated_at")
    hop = ""
    if incident.state == IncidentState.ASSIGNED:  # R121-12: each hop is its own SLA clock
        spell_start(incident, kind=SpellKind.REROUTED, assigned_party=to_party, at=now, due_by=incident.due_by)
        hop = f" (hop {incident.spells.count()}; the SLA clock restarts)"
    else:
        spell_stop(incident, at=now, outcome=SpellOutcome.ENDED)
    former = " a former supplier of the device," if to_party.pk in _former_supplier_ids(incident) else ""
    incident_event_record(incident, IncidentEventKind.REASSIGNED, actor=actor, party=party, from_state=previous,
                 to_state=incident.state, assigned_party=to_party,
                 detail=f"Reassigned to{former} {to_party.code}; due by {incident.due_by:%d %b %Y}{hop}.")
    email_assignee(incident)
    email_creator(incident, actor_party=party, what=f"the DCC service desk reassigned it to {to_party.code}")
    return incident


def _close_checked(incident: Incident, party: Party, reason: str) -> tuple[str, str]:
    """The close's rules (R121-6, the reason's text rules): (closure kind, the reason stripped), or raise."""
    if party.pk == incident.raised_by_id:
        kind = ClosureKind.BY_RAISER
    elif party.is_dcc:
        kind = ClosureKind.ADMINISTRATIVE
    else:
        raise PermissionDenied("Only the party that raised the incident can close it.", code="not_the_raiser")
    _require_open(incident)
    reason = (reason or "").strip()
    refuse_unstorable(reason, subject="The reason", field="reason")
    refuse_install_code_in_text(reason, field="reason", label="The reason", device_id=incident.device.device_id)
    return kind, reason


def incident_close_refusal(*, incident: Incident, actor: User, reason: str = "") -> DomainError | None:
    """Why ``actor`` may not close ``incident`` with ``reason`` now, or None: the close's own checks, without
    a lock or a write. The close page asks it before its confirmation, so a close that would be refused
    (an install code in the reason, not the raiser) is never shown back for confirming."""
    try:
        _close_checked(incident, party_of(actor), reason)
    except DomainError as error:
        return error
    return None


@transaction.atomic
def incident_close(*, incident: Incident, actor: User, reason: str = "") -> Incident:
    """R121-6: the raising party closes; the DCC service desk may close administratively (recorded as such)."""
    party = party_of(actor)
    incident = _lock(incident)
    kind, reason = _close_checked(incident, party, reason)
    previous = incident.state
    incident.state = IncidentState.CLOSED
    incident.closed_at, incident.closed_by, incident.closure_kind = timezone.now(), actor, kind
    _touch(incident, "state", "closed_at", "closed_by", "closure_kind")
    spell_stop(incident, at=incident.closed_at, outcome=SpellOutcome.ENDED)
    incident_event_record(incident, IncidentEventKind.CLOSED, actor=actor, party=party, from_state=previous,
                 to_state=incident.state, detail=f"{ClosureKind(kind).label}. {reason}".strip())
    email_creator(incident, actor_party=party, what="the DCC service desk closed it administratively")
    return incident


def _former_supplier_ids(incident: Incident) -> set[int]:
    return {entry.party.pk for entry in device_supplier_history(incident.device)}


#: R121-13: how long the reopening reason may be.
REOPEN_REASON_MAX = 250


def incident_reopen_refusal(*, incident: Incident, party: Party | None) -> str:
    """Why ``party`` may not reopen ``incident`` now ("" if it may): the page asks before offering the form."""
    if party is None or party.pk != incident.raised_by_id:
        return "Only the party that raised the request can reopen it."
    if incident.state != IncidentState.RESPONDED:
        return "Only an answered request (an install code supplied) can be reopened."
    if incident.reopened_at is not None:
        return f"{incident.reference} was reopened once already: raise a new request instead."
    return ""


@transaction.atomic
def incident_reopen(*, incident: Incident, actor: User, reason: str) -> Incident:
    """R121-13: the raiser reopens an answered request once, with a reason; the SLA clock restarts.

    The request goes back to the supplier that answered it (still its assignee) with a new
    10-working-day due date and a spell of its own (kind ``reopened``), and that supplier is emailed.
    """
    party = party_of(actor)
    incident = _lock(incident)
    _require_open(incident)
    refusal = incident_reopen_refusal(incident=incident, party=party)
    if refusal:
        error = PermissionDenied if party.pk != incident.raised_by_id else Conflict
        raise error(refusal, code="not_the_raiser" if error is PermissionDenied else "cannot_reopen")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Say why you are reopening the request.", code="reason_required",
                               errors={"reason": ["Enter why you are reopening the request, for example "
                                                  "\"the code did not work\"."]})
    if len(reason) > REOPEN_REASON_MAX:
        raise ValidationFailed(f"The reason must be {REOPEN_REASON_MAX} characters or fewer.", code="reason_too_long",
                               errors={"reason": [f"Reason must be {REOPEN_REASON_MAX} characters or fewer."]})
    refuse_unstorable(reason, subject="The reason", field="reason")
    refuse_install_code_in_text(reason, field="reason", label="The reason", device_id=incident.device.device_id)
    now = timezone.now()
    previous = incident.state
    incident.state = IncidentState.ASSIGNED
    incident.reopened_at = now
    incident.due_by = due_by_from(timezone.localdate(now))
    incident.breached, incident.breached_at, incident.escalated_at = False, None, None
    _touch(incident, "state", "reopened_at", "due_by", "breached", "breached_at", "escalated_at")
    spell_start(incident, kind=SpellKind.REOPENED, assigned_party=incident.assigned_party, at=now,
                due_by=incident.due_by)
    incident_event_record(incident, IncidentEventKind.REOPENED, actor=actor, party=party, from_state=previous,
                 to_state=incident.state, assigned_party=incident.assigned_party,
                 detail=f"Reopened: {reason} New response due by {incident.due_by:%d %b %Y}.")
    email_reopened(incident, reason=reason)
    return incident
