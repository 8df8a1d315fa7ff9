"""R121-7: the 10-working-day response deadline, breach detection and escalation."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db import transaction
from django.utils import timezone

from incidents.choices import IncidentEventKind
from incidents.models import Incident, IncidentEvent
from incidents.selectors import overdue_q
from incidents.services.notifications import email_escalation, email_escalation_to_requesters
from incidents.working_days import add_working_days

#: R121-7: the installing supplier must respond within ten working days (the legal text's final figure).
SLA_WORKING_DAYS = 10


def due_by_from(day: date) -> date:
    """The response due date for a request received on ``day``: ten working days later (England & Wales)."""
    return add_working_days(day, SLA_WORKING_DAYS)


def incident_detect_sla_breaches(*, today: date | None = None, batch_size: int = 5000) -> int:
    """Mark open incidents past their due date without a response as breached and escalate them.

    A request awaits an answer in ``AWAITING_RESPONSE_STATES`` only, so a rerouted or reopened request
    (a new due date, ``breached`` reset) can breach again on its new clock. The requester is told too.
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
                .select_related("device", "assigned_party", "raised_by")
                .filter(overdue_q(today), breached=False)
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
                email_escalation(incidents)
            email_escalation_to_requesters(breached)
            total += len(breached)
