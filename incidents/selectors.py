"""Reads for incidents, scoped to the user's party: a party sees the incidents it raised, is assigned
or answered; the DCC service desk sees all."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from incidents.choices import AWAITING_RESPONSE_STATES, IncidentState
from incidents.models import (
    ContactChange,
    Incident,
    IncidentBulkJob,
    IncidentBulkRow,
    IncidentEvent,
    IncidentNote,
    IncidentSpell,
    InstallCodeDeposit,
)
from inventory.models import Device, SupplierChange
from portal.errors import NotFound
from portal.models import DCC_PARTY_CODE, Party, User
from portal.text import unstorable_reason

SERVICE_DESK = "dcc_service_desk"


def incidents_visible_to(user: User) -> QuerySet[Incident]:
    base = Incident.objects.select_related("device", "raised_by", "assigned_party")
    party = user.party
    if party is None:
        return base.none()
    if party.is_dcc:
        return base
    return base.filter(Q(raised_by=party) | Q(assigned_party=party) | Q(responder_party=party))


def overdue_q(today: date | None = None) -> Q:
    """Open, still owing a response, and past its due date (``Incident.is_overdue`` for one row in memory)."""
    return Q(state__in=AWAITING_RESPONSE_STATES, due_by__lt=today or timezone.localdate())


def incident_attention_counts(party: Party) -> dict[str, int]:
    """Open incidents assigned to / raised by ``party``, in one aggregate over the (small) incidents table.

    The filters follow ``incident_assigned_state_idx`` / ``incident_raised_state_idx``; the DCC also
    sees every overdue incident whoever holds it (``incident_open_due_idx``).
    """
    overdue = overdue_q()
    scope = Q(assigned_party=party) | Q(raised_by=party)
    if party.is_dcc:
        scope |= overdue | Q(state=IncidentState.NOT_INSTALLING_SUPPLIER)
    return Incident.objects.exclude(state=IncidentState.CLOSED).filter(scope).aggregate(
        assigned_open=Count("id", filter=Q(assigned_party=party)),
        assigned_overdue=Count("id", filter=Q(assigned_party=party) & overdue),
        raised_open=Count("id", filter=Q(raised_by=party)),
        raised_answered=Count("id", filter=Q(raised_by=party, state=IncidentState.RESPONDED)),
        all_overdue=Count("id", filter=overdue),
        to_reassign=Count("id", filter=Q(state=IncidentState.NOT_INSTALLING_SUPPLIER)),
    )


def incident_queue(*, user: User, queue: str = "all") -> QuerySet[Incident]:
    """The incidents ``user`` may see in ``queue``: raised by its party, assigned to it, the DCC service
    desk's open queue, or all it may see (the page's tabs; the API lists ``all`` and filters)."""
    queryset = incidents_visible_to(user)
    party = user.party
    if queue == "raised" and party is not None:
        queryset = queryset.filter(raised_by=party)
    elif queue == "assigned" and party is not None:
        queryset = queryset.filter(assigned_party=party)
    elif queue == "service_desk":
        queryset = queryset.filter(assigned_party__code=DCC_PARTY_CODE).exclude(state=IncidentState.CLOSED)
    return queryset


def incident_get(*, user: User, reference: str) -> Incident:
    """One incident ``user`` may see, or ``NotFound``; a reference no incident can have (NUL) is not looked up."""
    reference = reference or ""
    incident = None if unstorable_reason(reference) else incidents_visible_to(user).select_related(
        "raised_by_user", "closed_by").filter(reference=reference.strip().upper()).first()
    if incident is None:
        raise NotFound(f"No incident {reference} that you can see.")
    return incident


def incident_notes(incident: Incident) -> QuerySet[IncidentNote]:
    return incident.notes.select_related("author", "party").order_by("created_at", "id")


def incident_history(incident: Incident) -> QuerySet[IncidentEvent]:
    return incident.events.select_related("actor", "party", "assigned_party").order_by("at", "id")


def incident_bulk_job_get(*, user: User, job_id: int) -> IncidentBulkJob:
    """One of the party's bulk jobs (upload or REST), or ``NotFound`` (another party's is not acknowledged)."""
    job = incident_bulk_jobs_for(user).filter(pk=job_id).first() if user.party_id else None
    if job is None:
        raise NotFound("No such bulk upload for your party.")
    return job


def incident_bulk_job_rows(job: IncidentBulkJob) -> QuerySet[IncidentBulkRow]:
    return job.rows.order_by("row_number")


def incident_bulk_jobs_for(user: User) -> QuerySet[IncidentBulkJob]:
    return IncidentBulkJob.objects.filter(party_id=user.party_id).defer("device_ids", "line_numbers").order_by("-id")


@dataclass
class IncidentActions:
    """What the viewing party may do on an incident page (the services enforce the same rules)."""

    add_note: bool = False
    supply_code: bool = False
    answer_not_installing: bool = False
    close: bool = False
    close_administratively: bool = False
    reassign: bool = False
    reopen: bool = False


def incident_actions(*, incident: Incident, user: User) -> IncidentActions:
    party = user.party
    if party is None or incident.state == IncidentState.CLOSED:
        return IncidentActions()
    is_assignee = party.pk == incident.assigned_party_id and not party.is_dcc
    return IncidentActions(
        add_note=party.is_dcc or party.pk in (incident.raised_by_id, incident.assigned_party_id),
        supply_code=is_assignee,
        answer_not_installing=is_assignee and incident.state == IncidentState.ASSIGNED,
        close=party.pk == incident.raised_by_id,
        close_administratively=party.is_dcc and party.pk != incident.raised_by_id,
        reassign=party.is_dcc,
        reopen=(party.pk == incident.raised_by_id and incident.state == IncidentState.RESPONDED
                and incident.reopened_at is None),
    )


@dataclass
class SupplierHistoryEntry:
    """One party in a device's supplier history (R121-12), oldest first."""

    party: Party
    role: str  #: "pre-notified (installing supplier)", "Responsible Supplier", "Responsible Supplier now"
    since: datetime | None
    until: datetime | None
    current: bool = False


def device_supplier_history(device: Device) -> list[SupplierHistoryEntry]:
    """The pre-notifier, then each Responsible Supplier with its dates (from the CoS records)."""
    changes = list(SupplierChange.objects.filter(device=device).select_related("old_supplier", "new_supplier")
                   .order_by("at", "id"))
    entries: list[SupplierHistoryEntry] = []
    if device.prenotifying_supplier_id:
        entries.append(SupplierHistoryEntry(party=device.prenotifying_supplier, role="Pre-notified the device",
                                            since=device.created_at, until=None))
    start = device.created_at
    if changes and changes[0].old_supplier is not None:
        entries.append(SupplierHistoryEntry(party=changes[0].old_supplier, role="Responsible Supplier",
                                            since=start, until=changes[0].at))
    for change, following in zip(changes, [*changes[1:], None], strict=False):
        entries.append(SupplierHistoryEntry(party=change.new_supplier, role="Responsible Supplier",
                                            since=change.at, until=following.at if following else None))
    if not changes and device.responsible_supplier_id:
        entries.append(SupplierHistoryEntry(party=device.responsible_supplier, role="Responsible Supplier",
                                            since=start, until=None))
    for entry in entries:
        if entry.role == "Responsible Supplier" and entry.until is None:
            entry.current, entry.role = True, "Responsible Supplier now"
    return entries


def incident_asked_party_ids(incident: Incident) -> set[int]:
    """The parties this request has been with (one SLA spell each)."""
    return set(IncidentSpell.objects.filter(incident=incident).values_list("assigned_party_id", flat=True))


def incident_suggested_assignee(incident: Incident, history: list[SupplierHistoryEntry] | None = None) -> Party | None:
    """R121-12: the next former supplier to ask, after a "not the installing supplier" answer.

    Seed 002 Annex B 4.16(a) names the losing supplier first, then "one or more former suppliers": walk
    the history newest first (the pre-notifier, asked first of all, last), skipping the raiser, the
    current supplier, the DCC and every party already asked on this request.
    """
    if incident.state != IncidentState.NOT_INSTALLING_SUPPLIER:
        return None
    history = device_supplier_history(incident.device) if history is None else history
    asked = incident_asked_party_ids(incident)
    for entry in reversed(history):
        party = entry.party
        if entry.current or party.pk in asked or party.pk == incident.raised_by_id or party.is_dcc:
            continue
        if party.is_supplier:
            return party
    return None


def incident_spells(incident: Incident) -> QuerySet[IncidentSpell]:
    return incident.spells.select_related("assigned_party").order_by("started_at", "id")


def deposits_for(user: User) -> QuerySet[InstallCodeDeposit]:
    """The party's deposits (never the code), newest first."""
    return (InstallCodeDeposit.objects.filter(party_id=user.party_id).select_related("device", "used_by")
            .defer("install_code_ciphertext").order_by("-id"))


def contact_changes_for(party: Party) -> QuerySet[ContactChange]:
    return ContactChange.objects.filter(party=party).select_related("actor").order_by("-at", "-id")
