"""The emails of MP121 (R121-4, R121-7), queued through the outbox in the caller's transaction.

Emails never contain an install code: they carry the reference, the Device ID and a link to the portal.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse

from incidents.models import Incident
from portal.choices import OutboxKind
from portal.models import Party
from portal.services import outbox_enqueue

logger = logging.getLogger(__name__)

#: Summary emails list at most this many requests; the rest are in the portal queue.
SUMMARY_EMAIL_MAX_LINES = 200


def incident_url(incident: Incident) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse("incidents:incident-detail", args=[incident.reference])


def _email(*, recipient: str, subject: str, body: str, party: Party | None, incident: Incident | None = None,
           source: str = "") -> None:
    if not recipient:
        logger.info("No email address for %s; notification about %s not sent", party, source)
        return
    outbox_enqueue(
        kind=OutboxKind.EMAIL, recipient=recipient, subject=subject[:200], body=body, party=party,
        source=(source or (f"incident:{incident.reference}" if incident else ""))[:80],
    )


def email_assignee(incident: Incident) -> None:
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


def email_creator(incident: Incident, *, actor_party: Party, what: str) -> None:
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


def email_bulk_summaries(*, party: Party, created: Iterable[tuple[int, str, str]], label: str) -> None:
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


def email_escalation(incidents: list[Incident]) -> None:
    """R121-7: one escalation email to the assignee's escalation contact, listing its newly breached requests."""
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


def email_reopened(incident: Incident, *, reason: str) -> None:
    """R121-13: the assignee learns that the raiser reopened the request it answered."""
    assignee = incident.assigned_party
    _email(
        recipient=assignee.operational_email, party=assignee, incident=incident,
        subject=f"{incident.reference}: reopened by {incident.raised_by.code} (device {incident.device.device_id})",
        body=(
            f"{incident.raised_by.name} ({incident.raised_by.code}) reopened incident {incident.reference} for device "
            f"{incident.device.device_id}, which you answered. Their reason: {reason}\n"
            f"A new response is due by {incident.due_by:%A %d %B %Y} (10 working days from today).\n\n"
            f"Open it in the portal: {incident_url(incident)}\n"
            "Supply the install code there (it is never sent by email).\n"
        ),
    )


def email_escalation_to_requesters(incidents: list[Incident]) -> None:
    """Escalation reaches the requester too: one email per raising party, listing its overdue requests."""
    by_raiser: dict[int, list[Incident]] = defaultdict(list)
    for incident in incidents:
        by_raiser[incident.raised_by_id].append(incident)
    for raised in by_raiser.values():
        raiser = raised[0].raised_by
        lines = [
            f"- {incident.reference}  device {incident.device.device_id}  assigned to {incident.assigned_party.code}  "
            f"due by {incident.due_by:%d %b %Y}"
            for incident in raised[:SUMMARY_EMAIL_MAX_LINES]
        ]
        if len(raised) > SUMMARY_EMAIL_MAX_LINES:
            lines.append(f"... and {len(raised) - SUMMARY_EMAIL_MAX_LINES} more: see the 'Raised by us' queue.")
        subject = (f"SLA breach escalated: {raised[0].reference} (device {raised[0].device.device_id})"
                   if len(raised) == 1 else f"SLA breach escalated: {len(raised)} of your install code requests")
        _email(
            recipient=raiser.operational_email, party=raiser, source=f"incident-sla-raiser:{raised[0].reference}",
            subject=subject,
            body=(
                f"For {raiser.name} ({raiser.code}). These requests you raised were not answered within 10 working "
                "days; each has been escalated to the assignee's escalation contact:\n\n" + "\n".join(lines)
                + "\n\nFollow them in the portal. Install codes are shown only there, never by email.\n"
            ),
        )


def email_supplier_changed(incident: Incident, *, old_supplier: Party, new_supplier: Party) -> None:
    """R121-11: the requester and the assignee learn that the request closed on a change of supplier."""
    body = (
        f"Device {incident.device.device_id} changed supplier from {old_supplier.code} to {new_supplier.code} "
        f"while install code request {incident.reference} was open. {old_supplier.code} is no longer its "
        f"Responsible Supplier, so the request is closed with that reason; nothing more is owed on it.\n"
        f"{new_supplier.code}, the new Responsible Supplier, may raise its own request.\n\n"
        f"Open it in the portal: {incident_url(incident)}\n"
    )
    subject = f"{incident.reference}: closed - device {incident.device.device_id} changed supplier"
    raiser = incident.raised_by
    recipients = ", ".join(dict.fromkeys(a for a in (incident.raised_by_user.email, raiser.operational_email) if a))
    _email(recipient=recipients, party=raiser, incident=incident, subject=subject, body=body)
    assignee = incident.assigned_party
    if assignee.pk != raiser.pk:
        _email(recipient=assignee.operational_email, party=assignee, incident=incident, subject=subject, body=body)
