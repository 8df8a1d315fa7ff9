"""Writes for incidents: MP121 install-code requests (R121-1..R121-9).

Every service checks what the actor's party may do, changes the incident, writes its history row
(``IncidentEvent``) and queues its emails through the outbox, all in one transaction. Emails never
contain an install code: they carry the reference, the Device ID and a link to the portal.
"""
from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from incidents.choices import (
    ClosureKind,
    IncidentChannel,
    IncidentEventKind,
    IncidentState,
    IncidentType,
)
from incidents.models import (
    REFERENCE_SEQUENCE,
    Incident,
    IncidentBulkJob,
    IncidentBulkRow,
    IncidentEvent,
    IncidentNote,
    format_reference,
)
from incidents.secrecy import refuse_install_code_in_text
from incidents.selectors import overdue_q
from incidents.working_days import add_working_days
from inventory.choices import DeviceStatus
from inventory.models import Device
from portal.choices import JobStatus, OutboxKind
from portal.crypto import decrypt_text, encrypt_text, reencrypt_text
from portal.csv_upload import csv_records
from portal.errors import Conflict, DomainError, NotFound, PermissionDenied, RuleRefused, ValidationFailed
from portal.eui64 import normalise_device_id
from portal.models import Party, User
from portal.selectors import dcc_party
from portal.services import outbox_enqueue
from portal.text import refuse_unstorable

logger = logging.getLogger(__name__)

#: R121-7: the installing supplier must respond within ten working days (the legal text's final figure).
SLA_WORKING_DAYS = 10
#: R121-2: states where an install code helps to commission the device.
RAISABLE_DEVICE_STATUSES = (DeviceStatus.PENDING, DeviceStatus.WHITELISTED, DeviceStatus.INSTALLED_NOT_COMMISSIONED)
#: DUIS SRV 8.11 ``InstallCode`` is ``xs:hexBinary`` of 6 to 16 octets: 12 to 32 hex characters, even.
INSTALL_CODE_PATTERN = re.compile(r"^(?:[0-9A-F]{2}){6,16}$")
INSTALL_CODE_FORMAT = "6 to 16 bytes written as 12 to 32 hexadecimal characters (the SRV 8.11 InstallCode format)"
BULK_MAX_ROWS = 100_000
#: How an upload over ``portal.csv_upload.MAX_UPLOAD_BYTES`` is refused (page and REST), before it is read.
BULK_UPLOAD_TOO_LARGE = f"At most {BULK_MAX_ROWS:,} rows can be raised at once. Nothing was raised."
#: Browser uploads up to this many rows are processed in the request; larger ones run as a Celery job.
BULK_INLINE_MAX_ROWS = 500
BULK_CHUNK_ROWS = 10_000
#: Summary emails list at most this many requests; the rest are in the portal queue.
SUMMARY_EMAIL_MAX_LINES = 200


# --- helpers ---------------------------------------------------------------------------------

def _party_of(actor: User) -> Party:
    if actor.party_id is None:
        raise PermissionDenied("Your account does not act for a SEC party, so it cannot work incidents.")
    return actor.party


def normalise_install_code(value: str) -> str:
    """Upper-case hex without spaces, or ``ValidationFailed`` naming the expected format."""
    candidate = re.sub(r"\s+", "", value or "").upper()
    if not INSTALL_CODE_PATTERN.match(candidate):
        raise ValidationFailed(
            f"The install code is not valid: expected {INSTALL_CODE_FORMAT}.",
            code="invalid_install_code", errors={"install_code": [f"Expected {INSTALL_CODE_FORMAT}."]},
        )
    return candidate


def incident_url(incident: Incident) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse("incidents:incident-detail", args=[incident.reference])


def _record(incident: Incident, kind: IncidentEventKind, *, actor: User | None = None, party: Party | None = None,
            from_state: str = "", to_state: str = "", assigned_party: Party | None = None,
            note: IncidentNote | None = None, detail: str = "") -> IncidentEvent:
    return IncidentEvent.objects.create(
        incident=incident, kind=kind, actor=actor, party=party, from_state=from_state, to_state=to_state,
        assigned_party=assigned_party, note=note, detail=detail[:300],
    )


def _assignee_for(*, prenotifier: Party | None, requester: Party, service_desk: Party) -> Party:
    """R121-3: the pre-notifying supplier; the DCC service desk when unknown or the requester itself."""
    if prenotifier is None or prenotifier.pk == requester.pk:
        return service_desk
    return prenotifier


def _assignee_id_for(*, prenotifier_id: int | None, requester_id: int, service_desk_id: int) -> int:
    if prenotifier_id is None or prenotifier_id == requester_id:
        return service_desk_id
    return prenotifier_id


def _state_for_assignee(assignee_id: int, service_desk_id: int) -> IncidentState:
    return IncidentState.NEW if assignee_id == service_desk_id else IncidentState.ASSIGNED


def _due_by_from(day: date) -> date:
    return add_working_days(day, SLA_WORKING_DAYS)


def _email(*, recipient: str, subject: str, body: str, party: Party | None, incident: Incident | None = None,
           source: str = "") -> None:
    if not recipient:
        logger.info("No email address for %s; notification about %s not sent", party, source)
        return
    outbox_enqueue(
        kind=OutboxKind.EMAIL, recipient=recipient, subject=subject[:200], body=body, party=party,
        source=source or (f"incident:{incident.reference}" if incident else ""),
    )


def _email_assignee(incident: Incident) -> None:
    """R121-4: the assignee's operational contact learns that an incident awaits it."""
    assignee = incident.assigned_party
    queue = "the DCC service desk queue" if assignee.is_dcc else f"{assignee.name} ({assignee.code})"
    _email(
        recipient=assignee.operational_email, party=assignee, incident=incident,
        subject=f"{incident.reference}: install code request for device {incident.device.device_id} awaits you",
        body=(
            f"Incident {incident.reference} ({incident.get_type_display()}) for device {incident.device.device_id} "
            f"was raised by {incident.raised_by.name} ({incident.raised_by.code}) and is assigned to {queue}.\n"
            f"A response is due by {incident.due_by:%A %d %B %Y} (10 working days).\n\n"
            f"Open it in the portal: {incident_url(incident)}\n"
            "Supply the install code there (it is never sent by email), or answer that you are not the "
            "installing supplier.\n"
        ),
    )


def _email_creator(incident: Incident, *, actor_party: Party, what: str) -> None:
    """R121-4: every update by another party emails the creator (the raising user and party contact)."""
    if actor_party.pk == incident.raised_by_id:
        return
    addresses = [incident.raised_by_user.email, incident.raised_by.operational_email]
    recipient = ", ".join(dict.fromkeys(address for address in addresses if address))
    _email(
        recipient=recipient, party=incident.raised_by, incident=incident,
        subject=f"{incident.reference}: updated - {what} (device {incident.device.device_id})",
        body=(
            f"Incident {incident.reference} for device {incident.device.device_id} was updated by "
            f"{actor_party.name} ({actor_party.code}): {what}.\n"
            f"State: {incident.get_state_display()}.\n\n"
            f"Open it in the portal: {incident_url(incident)}\n"
            "Install codes are shown only in the portal, never by email.\n"
        ),
    )


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


# --- raising (R121-1..R121-3, R121-7) -------------------------------------------------------

def _require_supplier(party: Party) -> None:
    if not party.is_supplier:
        raise PermissionDenied(
            "Only energy suppliers (Import, Export or Gas Supplier) can request an install code.",
            code="not_a_supplier",
        )


def _refuse_unusable_device(device_id: str, status: str) -> RuleRefused:
    label = DeviceStatus(status).label if status in DeviceStatus.values else status
    return RuleRefused(
        f"Device {device_id} is {label}: an install code can only be requested for a device that is Pending, "
        "Whitelisted or Installed not commissioned.",
        code="device_status_not_eligible", errors={"device_id": [f"The device is {label}."]},
    )


def _requester_refusal(*, device_id: str, responsible_id: int | None, prenotifier_id: int | None,
                       party: Party) -> DomainError | None:
    """R121-1: the gaining supplier - the device's Responsible Supplier now - raises the request.

    A party that cannot see the device at all is answered as if it did not exist (no leak); its
    pre-notifying supplier, which can see it, is told why it may not ask for its own code back.
    """
    if responsible_id == party.pk:
        return None
    if prenotifier_id == party.pk:
        return PermissionDenied(
            f"Your party pre-notified {device_id} but is not its Responsible Supplier: only the gaining "
            "(Responsible) supplier may request its install code.", code="not_responsible_supplier",
        )
    return NotFound(f"Device {device_id} is not in the Smart Metering Inventory.", code="device_not_found",
                    errors={"device_id": ["No such device in the SMI."]})


@transaction.atomic
def incident_raise_install_code_request(*, device_id: str, actor: User,
                                        channel: IncidentChannel = IncidentChannel.WEB) -> tuple[Incident, bool]:
    """Raise a "Request for Install Code" for one device; returns ``(incident, created)``.

    A second request for the same device by the same party while the first is open returns the
    first (``created`` is False) instead of opening a duplicate.
    """
    party = _party_of(actor)
    _require_supplier(party)
    if not (device_id or "").strip():
        raise ValidationFailed("The Device ID is required.", code="device_id_required",
                               errors={"device_id": ["The Device ID is required."]})
    canonical = normalise_device_id(device_id)
    # Locking the device row serialises single raises for one device. NO KEY: the lock must not conflict
    # with the FOR KEY SHARE that a concurrent bulk raise's deferred foreign-key check takes on the same row
    # at its commit (that would deadlock); a bulk raise racing this one is settled by the unique index below.
    device = (
        Device.objects.select_for_update(of=("self",), no_key=True).select_related("prenotifying_supplier")
        .filter(device_id=canonical).first()
    )
    if device is None:
        raise NotFound(f"Device {canonical} is not in the Smart Metering Inventory.", code="device_not_found",
                       errors={"device_id": ["No such device in the SMI."]})
    refusal = _requester_refusal(device_id=canonical, responsible_id=device.responsible_supplier_id,
                                 prenotifier_id=device.prenotifying_supplier_id, party=party)
    if refusal is not None:
        raise refusal
    existing = _open_request(device=device, party=party)
    if existing is not None:
        return existing, False
    if device.status not in RAISABLE_DEVICE_STATUSES:
        raise _refuse_unusable_device(canonical, device.status)

    service_desk = dcc_party()
    assignee = _assignee_for(prenotifier=device.prenotifying_supplier, requester=party, service_desk=service_desk)
    now = timezone.now()
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                reference=format_reference(_next_reference_numbers(1)[0]), type=IncidentType.INSTALL_CODE_REQUEST,
                state=_state_for_assignee(assignee.pk, service_desk.pk), channel=channel, device=device,
                raised_by=party, raised_by_user=actor, assigned_party=assignee,
                due_by=_due_by_from(timezone.localdate(now)), created_at=now, updated_at=now,
            )
    except IntegrityError as error:
        # A concurrent bulk raise committed a request for this device first (the index waited for it):
        # answer with that one, as for any second request.
        existing = _open_request(device=device, party=party) if _is_open_request_conflict(error) else None
        if existing is None:
            raise
        return existing, False
    _record(incident, IncidentEventKind.CREATED, actor=actor, party=party, to_state=IncidentState.NEW,
            detail=f"Raised through {IncidentChannel(channel).label} for device {canonical}.")
    _record(incident, IncidentEventKind.ASSIGNED, actor=actor, party=party, from_state=IncidentState.NEW,
            to_state=incident.state, assigned_party=assignee, detail=_assignment_reason(device, party, assignee))
    _email_assignee(incident)
    return incident, True


#: The partial unique index that allows one open request per device, raising party and type.
OPEN_REQUEST_CONSTRAINT = "incident_one_open_per_device_and_raiser"


def _open_request(*, device: Device, party: Party) -> Incident | None:
    """The party's open install-code request for the device, if any (a new statement: sees committed rows)."""
    return (
        Incident.objects.select_related("device", "raised_by", "assigned_party")
        .filter(device=device, raised_by=party, type=IncidentType.INSTALL_CODE_REQUEST)
        .exclude(state=IncidentState.CLOSED).first()
    )


def _is_open_request_conflict(error: IntegrityError) -> bool:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) == OPEN_REQUEST_CONSTRAINT


def _assignment_reason(device: Device, requester: Party, assignee: Party) -> str:
    if not assignee.is_dcc:
        return f"Assigned automatically to the pre-notifying supplier {assignee.code}."
    if device.prenotifying_supplier_id is None:
        return "The pre-notifying supplier is not known: sent to the DCC service desk queue."
    return f"{requester.code} pre-notified the device itself: sent to the DCC service desk queue."


def _next_reference_numbers(count: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [REFERENCE_SEQUENCE, count])
        return [row[0] for row in cursor.fetchall()]


# --- notes, codes and answers (R121-5) ------------------------------------------------------

@transaction.atomic
def incident_add_note(*, incident: Incident, actor: User, body: str, install_code: str | None = None) -> IncidentNote:
    """Add a note; the assignee may attach the install code, which moves the incident to Responded."""
    party = _party_of(actor)
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
        _record(incident, IncidentEventKind.CODE_ADDED, actor=actor, party=party, from_state=previous,
                to_state=incident.state, note=note)
        _email_creator(incident, actor_party=party, what="the install code was supplied (see it in the portal)")
    else:
        _touch(incident)
        _record(incident, IncidentEventKind.NOTE, actor=actor, party=party, note=note)
        _email_creator(incident, actor_party=party, what="a note was added")
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
    party = _party_of(actor)
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
    note = None
    if body:
        note = IncidentNote.objects.create(incident=incident, author=actor, party=party, body=body, created_at=now)
    _record(incident, IncidentEventKind.NOT_INSTALLING, actor=actor, party=party, from_state=previous,
            to_state=incident.state, assigned_party=service_desk, note=note,
            detail=f"{party.code} is not the installing supplier; back to the DCC service desk queue.")
    _email_assignee(incident)
    _email_creator(incident, actor_party=party, what=f"{party.code} answered that it is not the installing supplier")
    return incident


@transaction.atomic
def incident_reassign(*, incident: Incident, actor: User, to_party: Party) -> Incident:
    """Only the DCC service desk reassigns (R121-5). The new assignee gets a fresh 10-working-day due date."""
    party = _party_of(actor)
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
    incident.due_by = _due_by_from(timezone.localdate())
    incident.breached, incident.breached_at, incident.escalated_at = False, None, None
    _touch(incident, "assigned_party", "state", "due_by", "breached", "breached_at", "escalated_at")
    _record(incident, IncidentEventKind.REASSIGNED, actor=actor, party=party, from_state=previous,
            to_state=incident.state, assigned_party=to_party,
            detail=f"Reassigned to {to_party.code}; due by {incident.due_by:%d %b %Y}.")
    _email_assignee(incident)
    _email_creator(incident, actor_party=party, what=f"the DCC service desk reassigned it to {to_party.code}")
    return incident


@transaction.atomic
def incident_close(*, incident: Incident, actor: User, reason: str = "") -> Incident:
    """R121-6: the raising party closes; the DCC service desk may close administratively (recorded as such)."""
    party = _party_of(actor)
    incident = _lock(incident)
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
    previous = incident.state
    incident.state = IncidentState.CLOSED
    incident.closed_at, incident.closed_by, incident.closure_kind = timezone.now(), actor, kind
    _touch(incident, "state", "closed_at", "closed_by", "closure_kind")
    _record(incident, IncidentEventKind.CLOSED, actor=actor, party=party, from_state=previous,
            to_state=incident.state, detail=f"{ClosureKind(kind).label}. {reason}".strip())
    _email_creator(incident, actor_party=party, what="the DCC service desk closed it administratively")
    return incident


# --- secrecy (R121-9) -----------------------------------------------------------------------

def incident_can_reveal(*, incident: Incident, party: Party | None, note: IncidentNote) -> bool:
    """Only the two parties of the incident see a code: the raiser and the supplier who supplied it."""
    return party is not None and party.pk in (incident.raised_by_id, note.party_id)


@transaction.atomic
def incident_reveal_install_code(*, incident: Incident, actor: User, note: IncidentNote | None = None) -> str:
    """Return the clear install code (the latest one unless ``note`` is given) and record who revealed it."""
    party = _party_of(actor)
    if note is None:
        note = incident.notes.exclude(install_code_ciphertext="").order_by("-created_at", "-id").first()
    elif note.incident_id != incident.pk:
        raise NotFound("That note is not part of this incident.")
    if note is None or not note.install_code_ciphertext:
        raise NotFound(f"No install code has been supplied on incident {incident.reference} yet.",
                       code="no_install_code")
    if not incident_can_reveal(incident=incident, party=party, note=note):
        raise PermissionDenied("Only the raising party and the supplier that provided it can see an install code.")
    code = decrypt_text(note.install_code_ciphertext)
    _record(incident, IncidentEventKind.CODE_REVEALED, actor=actor, party=party, note=note,
            detail=f"Install code revealed to {actor.username} ({party.code}).")
    return code


def incident_notes_reencrypt(*, batch_size: int = 1000) -> int:
    """Re-encrypt every stored install code with the newest key (key rotation). Returns the count."""
    done = 0
    last_id = 0
    while True:
        with transaction.atomic():
            batch = list(
                IncidentNote.objects.select_for_update().exclude(install_code_ciphertext="")
                .filter(pk__gt=last_id).order_by("pk").only("pk", "install_code_ciphertext")[:batch_size]
            )
            if not batch:
                return done
            for note in batch:
                note.install_code_ciphertext = reencrypt_text(note.install_code_ciphertext)
            IncidentNote.objects.bulk_update(batch, ["install_code_ciphertext"])
        done += len(batch)
        last_id = batch[-1].pk


# --- SLA (R121-7) ---------------------------------------------------------------------------

def incident_detect_sla_breaches(*, today: date | None = None, batch_size: int = 5000) -> int:
    """Mark open incidents past their due date without a response as breached and escalate them.

    Each breach is escalated exactly once: rows are locked (``SKIP LOCKED``) and only unbreached ones
    are taken, so a second run, or two runs at once, send nothing more. A run sends one escalation
    email per assignee party listing its breaches (a backlog can breach thousands on one day).
    Returns the number of incidents newly breached.
    """
    today = today or timezone.localdate()
    total = 0
    while True:
        with transaction.atomic():
            breached = list(
                Incident.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("device", "assigned_party")
                .filter(overdue_q(today), breached=False, first_response_at__isnull=True)
                .order_by("due_by", "pk")[:batch_size]
            )
            if not breached:
                return total
            now = timezone.now()
            for incident in breached:
                incident.breached, incident.breached_at, incident.escalated_at = True, now, now
            Incident.objects.bulk_update(breached, ["breached", "breached_at", "escalated_at"])
            events = []
            by_assignee: dict[int, list[Incident]] = defaultdict(list)
            for incident in breached:
                events.append(IncidentEvent(
                    incident=incident, kind=IncidentEventKind.BREACHED, at=now, from_state=incident.state,
                    to_state=incident.state, detail=f"Response was due by {incident.due_by:%d %b %Y}.",
                ))
                assignee = incident.assigned_party
                contact = assignee.escalation_email or assignee.operational_email or "nobody (no contact on file)"
                events.append(IncidentEvent(
                    incident=incident, kind=IncidentEventKind.ESCALATED, at=now, party=assignee,
                    detail=f"Escalated to {contact}.",
                ))
                by_assignee[assignee.pk].append(incident)
            IncidentEvent.objects.bulk_create(events, batch_size=5000)
            for incidents in by_assignee.values():
                _email_escalation(incidents)
            total += len(breached)


def _email_escalation(incidents: list[Incident]) -> None:
    assignee = incidents[0].assigned_party
    lines = [
        f"- {incident.reference}  device {incident.device.device_id}  due by {incident.due_by:%d %b %Y}  "
        f"{incident_url(incident)}"
        for incident in incidents[:SUMMARY_EMAIL_MAX_LINES]
    ]
    if len(incidents) > SUMMARY_EMAIL_MAX_LINES:
        lines.append(f"... and {len(incidents) - SUMMARY_EMAIL_MAX_LINES} more: see the 'Assigned to us' queue.")
    first = incidents[0]
    subject = (
        f"SLA breach: {first.reference} (device {first.device.device_id}) not answered in 10 working days"
        if len(incidents) == 1 else f"SLA breach: {len(incidents)} install code requests not answered in 10 working days"
    )
    _email(
        recipient=assignee.escalation_email or assignee.operational_email, party=assignee,
        source=f"incident-sla:{first.reference}",
        subject=subject,
        body=(
            f"Escalation for {assignee.name} ({assignee.code}). The SEC obliges the installing supplier to answer a "
            "request for an install code within 10 working days (R121-7). These requests are overdue:\n\n"
            + "\n".join(lines) + "\n\nPlease supply the install codes in the portal, or answer that you are not the "
            "installing supplier.\n"
        ),
    )


# --- bulk (R121-8) --------------------------------------------------------------------------

@dataclass
class BulkRowResult:
    device_id: str
    ok: bool
    reference: str = ""
    error: str = ""
    existing: bool = False
    assigned_party_id: int | None = None


def parse_device_id_csv(data: bytes | str) -> list[str]:
    """The ``device_id`` column of an uploaded CSV, in order (header required, BOM and blank lines tolerated).

    Reading stops past ``BULK_MAX_ROWS`` lines after the header, blank ones included (they raise nothing,
    but reading them is not free): a larger file is refused before it is all read. The upload's size was
    checked before (``BULK_UPLOAD_TOO_LARGE``)."""
    records = csv_records(data, unchanged="Nothing was raised.")
    columns = [column.strip().lower() for column in next(records, None) or []]
    if "device_id" not in columns:
        raise ValidationFailed("The CSV needs a header row with a 'device_id' column.", code="csv_no_device_id",
                               errors={"file": ["Missing the 'device_id' column."]})
    index = columns.index("device_id")
    device_ids = []
    for count, row in enumerate(records, start=1):
        if count > BULK_MAX_ROWS:
            raise ValidationFailed(f"At most {BULK_MAX_ROWS:,} rows can be raised at once; split the file.",
                                   code="too_many_rows",
                                   errors={"file": [f"More than {BULK_MAX_ROWS:,} rows (blank lines count too)."]})
        if not any(cell.strip() for cell in row):
            continue
        device_ids.append(row[index].strip() if index < len(row) else "")
    return device_ids


def _check_bulk_size(device_ids: list) -> None:
    if not device_ids:
        raise ValidationFailed("No Device IDs were given.", code="no_rows", errors={"device_ids": ["Empty."]})
    if len(device_ids) > BULK_MAX_ROWS:
        raise ValidationFailed(f"At most {BULK_MAX_ROWS:,} rows can be raised at once; split the file.",
                               code="too_many_rows", errors={"device_ids": [f"{len(device_ids):,} rows given."]})
    for number, device_id in enumerate(device_ids, start=1):
        refuse_unstorable(device_id, subject=f"Row {number}", field="device_ids", unchanged="Nothing was raised.")


def _bulk_raise_rows(*, device_ids: list[str], actor: User, party: Party, channel: IncidentChannel,
                     service_desk: Party) -> list[BulkRowResult]:
    """Validate each row on its own and create the valid ones, set-based (call inside a transaction).

    One query fetches every device, one the open duplicates, one allocates the references, and
    incidents and their history are written with ``bulk_create``: 100,000 rows take seconds.
    """
    results: list[BulkRowResult] = []
    canonical: list[str | None] = []
    for raw in device_ids:
        raw = (raw or "").strip()
        try:
            canonical.append(normalise_device_id(raw) if raw else None)
            results.append(BulkRowResult(device_id=raw, ok=False, error="" if raw else "The Device ID is required."))
        except ValidationFailed as error:
            canonical.append(None)
            results.append(BulkRowResult(device_id=raw, ok=False, error=error.detail))
    wanted = sorted({value for value in canonical if value})
    device_table = Device._meta.db_table
    devices: dict[str, tuple[int, str, int | None]] = {}
    responsible: dict[str, int | None] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, device_id, status, prenotifying_supplier_id, responsible_supplier_id FROM {device_table} "
            "WHERE device_id = ANY(%s)",
            [wanted],
        )
        for pk, device_id, status, prenotifier_id, responsible_id in cursor.fetchall():
            devices[device_id] = (pk, status, prenotifier_id)
            responsible[device_id] = responsible_id
        cursor.execute(
            f"SELECT device_id, reference, assigned_party_id FROM {Incident._meta.db_table} "
            "WHERE raised_by_id = %s AND type = %s AND state <> %s AND device_id = ANY(%s)",
            [party.pk, IncidentType.INSTALL_CODE_REQUEST, IncidentState.CLOSED,
             [pk for pk, _status, _prenotifier in devices.values()]],
        )
        open_by_device_pk = {device_pk: (reference, assignee) for device_pk, reference, assignee in cursor.fetchall()}

    to_create: list[tuple[int, BulkRowResult, int]] = []
    created_in_file: dict[str, BulkRowResult] = {}
    for result, device_id in zip(results, canonical, strict=True):
        if device_id is None:
            continue
        result.device_id = device_id
        found = devices.get(device_id)
        if found is None:
            result.error = f"Device {device_id} is not in the Smart Metering Inventory."
            continue
        device_pk, status, prenotifier_id = found
        refusal = _requester_refusal(device_id=device_id, responsible_id=responsible[device_id],
                                     prenotifier_id=prenotifier_id, party=party)
        if refusal is not None:
            result.error = refusal.detail
            continue
        if device_pk in open_by_device_pk:
            reference, assignee_id = open_by_device_pk[device_pk]
            result.ok, result.existing, result.reference, result.assigned_party_id = True, True, reference, assignee_id
            continue
        if device_id in created_in_file:
            result.ok, result.existing = True, True
            result.assigned_party_id = created_in_file[device_id].assigned_party_id
            continue
        if status not in RAISABLE_DEVICE_STATUSES:
            result.error = _refuse_unusable_device(device_id, status).detail
            continue
        assignee_id = _assignee_id_for(prenotifier_id=prenotifier_id, requester_id=party.pk,
                                       service_desk_id=service_desk.pk)
        result.ok, result.assigned_party_id = True, assignee_id
        created_in_file[device_id] = result
        to_create.append((device_pk, result, assignee_id))

    if to_create:
        numbers = _next_reference_numbers(len(to_create))
        for (_device_pk, result, _assignee_id), number in zip(to_create, numbers, strict=True):
            result.reference = format_reference(number)
        inserted = _insert_incidents_with_history(
            rows=[(result.reference, _state_for_assignee(assignee_id, service_desk.pk), device_pk, assignee_id)
                  for device_pk, result, assignee_id in to_create],
            actor=actor, party=party, channel=channel,
        )
        lost = {device_pk: result for device_pk, result, _assignee_id in to_create if device_pk not in inserted}
        if lost:
            _answer_with_concurrent_requests(lost, party=party)
    # Rows repeating a device within the file point at the request created for its first row.
    for result in results:
        if result.ok and result.existing and not result.reference and result.device_id in created_in_file:
            result.reference = created_in_file[result.device_id].reference
    return results


def _answer_with_concurrent_requests(lost: dict[int, BulkRowResult], *, party: Party) -> None:
    """Rows whose insert found an open request that a concurrent raise committed first: answer with it.

    ``lost`` maps device pks to their results. The read is a new statement, so it sees that commit.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT device_id, reference, assigned_party_id FROM {Incident._meta.db_table} "
            "WHERE raised_by_id = %s AND type = %s AND state <> %s AND device_id = ANY(%s)",
            [party.pk, IncidentType.INSTALL_CODE_REQUEST, IncidentState.CLOSED, list(lost)],
        )
        found = {device_pk: (reference, assignee_id) for device_pk, reference, assignee_id in cursor.fetchall()}
    for device_pk, result in lost.items():
        if device_pk in found:
            result.existing = True
            result.reference, result.assigned_party_id = found[device_pk]
        else:  # the concurrent request was closed again in the meantime
            result.ok, result.reference, result.assigned_party_id = False, "", None
            result.error = "Another request for this device was being raised or closed at the same time: try again."


#: From this many rows a bulk insert refreshes the tables' statistics before its commit.
BULK_ANALYZE_THRESHOLD = 5_000

# ON CONFLICT names the partial unique index ``incident_one_open_per_device_and_raiser`` (columns and
# predicate): a device whose open request a concurrent raise holds is skipped, after waiting for that
# transaction, instead of failing the whole statement. Rows go in device order, so two bulk raises
# over the same devices wait for each other instead of deadlocking.
_BULK_INSERT_SQL = """
WITH new_incidents AS (
    INSERT INTO {incident} (reference, type, state, channel, device_id, raised_by_id, raised_by_user_id,
                            assigned_party_id, due_by, created_at, updated_at, has_install_code, breached, closure_kind)
    SELECT row.reference, %(type)s, row.state, %(channel)s, row.device_id, %(party)s, %(actor)s,
           row.assigned_party_id, %(due_by)s, %(now)s, %(now)s, false, false, ''
    FROM unnest(%(references)s::text[], %(states)s::text[], %(devices)s::bigint[], %(assignees)s::bigint[])
         AS row(reference, state, device_id, assigned_party_id)
    ORDER BY row.device_id
    ON CONFLICT (device_id, raised_by_id, type) WHERE state <> '{closed}' DO NOTHING
    RETURNING id, device_id, state, assigned_party_id
), new_events AS (
    INSERT INTO {event} (incident_id, kind, at, actor_id, party_id, from_state, to_state, assigned_party_id, detail)
    SELECT new_incidents.id, step.kind, %(now)s, %(actor)s, %(party)s,
           CASE WHEN step.n = 1 THEN '' ELSE %(new)s END,
           CASE WHEN step.n = 1 THEN %(new)s ELSE new_incidents.state END,
           CASE WHEN step.n = 1 THEN NULL ELSE new_incidents.assigned_party_id END,
           CASE WHEN step.n = 1 THEN %(created_detail)s ELSE %(assigned_detail)s END
    FROM new_incidents CROSS JOIN (VALUES (1, %(created)s), (2, %(assigned)s)) AS step(n, kind)
    ORDER BY new_incidents.id, step.n
)
SELECT device_id FROM new_incidents
"""


def _insert_incidents_with_history(*, rows: list[tuple[str, str, int, int]], actor: User, party: Party,
                                   channel: IncidentChannel) -> set[int]:
    """Insert incidents and their "raised" and "assigned" history rows in ONE set-based statement.

    ``rows`` are ``(reference, state, device pk, assignee pk)``. A data-modifying CTE feeds the new
    incident ids straight into the history insert, so 100,000 requests need no per-row Python model
    objects or parameters (Django's ``bulk_create`` spent most of its time preparing values).
    Returns the device pks inserted: a device missing from it already had an open request, committed
    by a concurrent raise while this one ran.
    """
    now = timezone.now()
    sql = _BULK_INSERT_SQL.format(incident=Incident._meta.db_table, event=IncidentEvent._meta.db_table,
                                  closed=IncidentState.CLOSED.value)
    with connection.cursor() as cursor:
        cursor.execute(sql, {
            "type": IncidentType.INSTALL_CODE_REQUEST.value, "channel": IncidentChannel(channel).value,
            "party": party.pk, "actor": actor.pk, "due_by": _due_by_from(timezone.localdate(now)), "now": now,
            "references": [row[0] for row in rows], "states": [str(row[1]) for row in rows],
            "devices": [row[2] for row in rows], "assignees": [row[3] for row in rows],
            "new": IncidentState.NEW.value, "created": IncidentEventKind.CREATED.value,
            "assigned": IncidentEventKind.ASSIGNED.value,
            "created_detail": f"Raised through {IncidentChannel(channel).label}.",
            "assigned_detail": "Assigned automatically to the pre-notifying supplier (or the service desk).",
        })
        inserted = {row[0] for row in cursor.fetchall()}
        if len(rows) >= BULK_ANALYZE_THRESHOLD:
            # The deferred foreign-key checks run at COMMIT with plans this connection cached while the
            # tables were small (sequential scans): refreshing the statistics invalidates those plans.
            cursor.execute(f"ANALYZE {Incident._meta.db_table}, {IncidentEvent._meta.db_table}")
    return inserted


def _email_bulk_summaries(*, party: Party, created: Iterable[tuple[int, str, str]], label: str) -> None:
    """One summary email per assignee party for a whole bulk raise, not one email per incident.

    A backlog upload can create 100,000 requests for a handful of installing suppliers; one email per
    request would bury their inboxes (and SMTP). Each assignee gets a single message listing its new
    requests (up to ``SUMMARY_EMAIL_MAX_LINES``) and a link to its "Assigned to us" queue.
    ``created`` yields ``(assignee_id, reference, device_id)``.
    """
    by_assignee: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for assignee_id, reference, device_id in created:
        by_assignee[assignee_id].append((reference, device_id))
    if not by_assignee:
        return
    queue_url = settings.PORTAL_BASE_URL.rstrip("/") + reverse("incidents:incident-list") + "?queue=assigned"
    for assignee in Party.objects.filter(pk__in=by_assignee):
        rows = by_assignee[assignee.pk]
        lines = [f"- {reference}  device {device_id}" for reference, device_id in rows[:SUMMARY_EMAIL_MAX_LINES]]
        if len(rows) > SUMMARY_EMAIL_MAX_LINES:
            lines.append(f"... and {len(rows) - SUMMARY_EMAIL_MAX_LINES:,} more.")
        queue = "the DCC service desk queue" if assignee.is_dcc else f"{assignee.name} ({assignee.code})"
        _email(
            recipient=assignee.operational_email, party=assignee, source=f"incident-bulk:{label}",
            subject=f"{len(rows):,} install code requests from {party.code} await you",
            body=(
                f"{party.name} ({party.code}) raised {len(rows):,} requests for install codes in bulk ({label}), "
                f"assigned to {queue}. Each is due within 10 working days.\n\n" + "\n".join(lines)
                + f"\n\nOpen your queue in the portal: {queue_url}\n"
                "Supply the install codes there (they are never sent by email).\n"
            ),
        )


@transaction.atomic
def incident_bulk_raise_install_code_requests(*, device_ids: list[str], actor: User,
                                              channel: IncidentChannel = IncidentChannel.BULK_API) -> list[BulkRowResult]:
    """Raise many requests at once (REST): each row validated on its own, all written in one transaction.

    Valid rows are created even when others fail; a row never exists without its history and emails.
    """
    party = _party_of(actor)
    _require_supplier(party)
    _check_bulk_size(device_ids)
    results = _bulk_raise_rows(device_ids=device_ids, actor=actor, party=party, channel=channel,
                               service_desk=dcc_party())
    _email_bulk_summaries(
        party=party, label=f"REST request by {actor.username}",
        created=((r.assigned_party_id, r.reference, r.device_id) for r in results if r.ok and not r.existing),
    )
    return results


def incident_bulk_job_submit(*, device_ids: list[str], actor: User, file_name: str = "") -> IncidentBulkJob:
    """Record a browser upload as a job: small files run now, large ones on a Celery worker."""
    party = _party_of(actor)
    _require_supplier(party)
    _check_bulk_size(device_ids)
    with transaction.atomic():
        job = IncidentBulkJob.objects.create(
            party=party, user=actor, channel=IncidentChannel.BULK_WEB, file_name=file_name[:200],
            device_ids=device_ids, total_rows=len(device_ids),
        )
        if len(device_ids) > BULK_INLINE_MAX_ROWS:
            transaction.on_commit(lambda: _queue_bulk_job(job.pk))
    if len(device_ids) <= BULK_INLINE_MAX_ROWS:
        incident_bulk_job_run(job_id=job.pk)
        job.refresh_from_db()
    return job


def _queue_bulk_job(job_id: int) -> None:
    from incidents.tasks import run_bulk_job

    run_bulk_job.delay(job_id)


def incident_bulk_job_run(*, job_id: int) -> None:
    """Process a bulk job in chunks, each chunk atomic with the job's progress, then send the summaries.

    Resumable: a restarted run (``acks_late`` redelivery) continues after the last committed chunk,
    and the summary emails are sent once (``notified_at``).
    """
    job = IncidentBulkJob.objects.select_related("party", "user").get(pk=job_id)
    if job.is_finished:
        return
    IncidentBulkJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(status=JobStatus.RUNNING)
    service_desk = dcc_party()
    try:
        while True:
            with transaction.atomic():
                job = IncidentBulkJob.objects.select_for_update(of=("self",)).select_related("party", "user").get(pk=job_id)
                start = job.processed_rows
                if start >= job.total_rows:
                    break
                chunk = job.device_ids[start:start + BULK_CHUNK_ROWS]
                results = _bulk_raise_rows(device_ids=chunk, actor=job.user, party=job.party, channel=job.channel,
                                           service_desk=service_desk)
                IncidentBulkRow.objects.bulk_create([
                    IncidentBulkRow(job=job, row_number=start + offset + 1, device_id=r.device_id[:60], ok=r.ok,
                                    existing=r.existing, reference=r.reference, error=r.error[:300],
                                    assigned_party_id=r.assigned_party_id)
                    for offset, r in enumerate(results)
                ], batch_size=5000)
                job.processed_rows = start + len(chunk)
                job.created_count += sum(1 for r in results if r.ok and not r.existing)
                job.failed_count += sum(1 for r in results if not r.ok)
                job.save(update_fields=["processed_rows", "created_count", "failed_count"])
        with transaction.atomic():
            job = IncidentBulkJob.objects.select_for_update(of=("self",)).select_related("party").get(pk=job_id)
            if job.notified_at is None:
                _email_bulk_summaries(
                    party=job.party, label=f"upload {job.file_name or job.pk}",
                    created=job.rows.filter(ok=True, existing=False).values_list(
                        "assigned_party_id", "reference", "device_id").iterator(chunk_size=5000),
                )
                job.notified_at = timezone.now()
            job.status, job.finished_at = JobStatus.DONE, timezone.now()
            job.save(update_fields=["notified_at", "status", "finished_at"])
    except Exception as error:
        logger.exception("Bulk incident job %s failed", job_id)
        IncidentBulkJob.record_failure(job_id, error)
        raise
