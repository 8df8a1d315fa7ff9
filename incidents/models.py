"""Incidents raised in the SSI. The first type is MP121's "Request for Install Code".

An incident is assigned to a party; the DCC service desk's queue is simply the incidents assigned
to the DCC party. Every change is written to ``IncidentEvent``, an append-only history that the
database itself refuses to UPDATE or DELETE. Install codes live only on ``IncidentNote`` as
MultiFernet ciphertext (``portal.crypto``).

The monthly SLA report (R121-10) reads ``created_at``, ``due_by``, ``first_response_at``,
``responder_party`` and ``assigned_party_at_response`` straight from this table.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from incidents.choices import (
    ClosureKind,
    IncidentChannel,
    IncidentEventKind,
    IncidentState,
    IncidentType,
    SpellKind,
    SpellOutcome,
)
from inventory.models import Device
from portal.models import Party, ProgressJob

REFERENCE_SEQUENCE = "incidents_incident_reference_seq"


def format_reference(number: int) -> str:
    return f"INC{number:07d}"


class Incident(models.Model):
    """One incident: who raised it, who must answer it, by when, and how it ended."""

    reference = models.CharField(
        max_length=16, unique=True, editable=False,
        help_text="Human reference, e.g. INC0000001 (from a PostgreSQL sequence).",
    )
    type = models.CharField(max_length=32, choices=IncidentType.choices, default=IncidentType.INSTALL_CODE_REQUEST)
    state = models.CharField(max_length=32, choices=IncidentState.choices, default=IncidentState.NEW)
    channel = models.CharField(max_length=16, choices=IncidentChannel.choices, default=IncidentChannel.WEB)
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="incidents")
    raised_by = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="incidents_raised", verbose_name="raising party",
    )
    raised_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="incidents_raised",
        verbose_name="raised by (user)",
    )
    assigned_party = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="incidents_assigned",
        help_text="The party that must act; the DCC party means the service desk queue.",
    )
    due_by = models.DateField(help_text="Response due by the end of this working day (10 working days, R121-7).")
    created_at = models.DateTimeField("raised at", default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    has_install_code = models.BooleanField(default=False)
    first_response_at = models.DateTimeField(
        null=True, blank=True, help_text="First install code or 'not the installing supplier' answer.",
    )
    responder_party = models.ForeignKey(
        Party, on_delete=models.PROTECT, null=True, blank=True, related_name="incidents_responded",
    )
    assigned_party_at_response = models.ForeignKey(
        Party, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="Who the incident was assigned to when the first response came (for the SLA report).",
    )
    breached = models.BooleanField(default=False, help_text="The response due date passed without a response.")
    breached_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )
    closure_kind = models.CharField(max_length=20, choices=ClosureKind.choices, blank=True)
    reopened_at = models.DateTimeField(
        null=True, blank=True, help_text="R121-13: when the raiser reopened the answered request (once only).",
    )

    class Meta:
        verbose_name = "incident"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["assigned_party", "state", "-id"], name="incident_assigned_state_idx"),
            models.Index(fields=["raised_by", "state", "-id"], name="incident_raised_state_idx"),
            models.Index(
                fields=["due_by"], name="incident_open_due_idx",
                condition=~models.Q(state=IncidentState.CLOSED),
            ),
            models.Index(fields=["device", "raised_by"], name="incident_device_idx"),
            models.Index(fields=["created_at"], name="incident_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state=IncidentState.CLOSED, closed_at__isnull=False, closure_kind__gt="")
                | (~models.Q(state=IncidentState.CLOSED) & models.Q(closed_at__isnull=True)),
                name="incident_closed_has_closure",
            ),
            # R121: one open request per device and raising party; a second raise returns the first.
            models.UniqueConstraint(
                fields=["device", "raised_by", "type"], name="incident_one_open_per_device_and_raiser",
                condition=~models.Q(state=IncidentState.CLOSED),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.get_type_display()}, {self.get_state_display()})"

    @property
    def is_open(self) -> bool:
        return self.state != IncidentState.CLOSED

    @property
    def is_overdue(self) -> bool:
        """Open, still owing a response, and past its due date (end of the due working day)."""
        from incidents.choices import AWAITING_RESPONSE_STATES

        return self.state in AWAITING_RESPONSE_STATES and self.due_by < timezone.localdate()


class IncidentNote(models.Model):
    """A note on an incident. An install code, if any, is stored only as ciphertext."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(blank=True)
    install_code_ciphertext = models.TextField(
        blank=True, editable=False, help_text="MultiFernet token of the install code; never shown as is.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "incident note"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["incident", "created_at"], name="incident_note_idx")]

    def __str__(self) -> str:
        return f"Note {self.pk} on {self.incident_id}"

    @property
    def has_install_code(self) -> bool:
        return bool(self.install_code_ciphertext)


class IncidentEvent(models.Model):
    """Append-only history of an incident (a database trigger refuses UPDATE and DELETE)."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=24, choices=IncidentEventKind.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="Empty for the system (e.g. SLA breach detection).",
    )
    party = models.ForeignKey(Party, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32, blank=True)
    assigned_party = models.ForeignKey(
        Party, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="For assignment events: the new assignee.",
    )
    note = models.ForeignKey(IncidentNote, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "incident event"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["incident", "at"], name="incident_event_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def from_state_label(self) -> str:
        return _state_label(self.from_state)

    @property
    def to_state_label(self) -> str:
        return _state_label(self.to_state)


def _state_label(value: str) -> str:
    """The state's name as people read it; a value no longer in ``IncidentState`` is shown as stored."""
    try:
        return IncidentState(value).label
    except ValueError:
        return value


class IncidentSpell(models.Model):
    """One SLA clock (R121-10): a supplier owes an answer from ``started_at`` until ``due_by``.

    A request has one spell when raised, and a new one per hop (R121-12, the service desk reroutes it)
    and on reopening (R121-13); the SLA report counts spells, so each hop and each reopening is measured
    on its own clock. A spell ends with an answer (``responded_at``) or without one (``ended_at`` only:
    reassigned, closed, or the device changed supplier).
    """

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="spells")
    kind = models.CharField(max_length=16, choices=SpellKind.choices, default=SpellKind.RAISED)
    assigned_party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    due_by = models.DateField()
    responded_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=SpellOutcome.choices, blank=True)

    class Meta:
        verbose_name = "SLA spell"
        ordering = ["started_at", "id"]
        indexes = [models.Index(fields=["started_at"], name="incident_spell_started_idx")]
        constraints = [
            models.UniqueConstraint(fields=["incident"], condition=models.Q(ended_at__isnull=True),
                                    name="incident_one_running_spell"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} spell of {self.incident_id} for {self.assigned_party_id}"


class InstallCodeDeposit(models.Model):
    """An install code the installing supplier left ahead of any request (issue 18), stored encrypted.

    A later request for the device, assigned to the depositor, is answered at once from it (``used_by``).
    A new deposit for the device supersedes the unused one.
    """

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="install_code_deposits")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    install_code_ciphertext = models.TextField(editable=False)
    used_by = models.ForeignKey(Incident, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    used_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "install code deposit"
        ordering = ["-id"]
        indexes = [models.Index(fields=["party", "-id"], name="incident_deposit_party_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["device"], name="incident_one_live_deposit_per_device",
                condition=models.Q(used_at__isnull=True, superseded_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"Deposit {self.pk} for device {self.device_id}"


class ContactChange(models.Model):
    """Append-only audit of a supplier's MP121 contact addresses (operational, escalation)."""

    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    field = models.CharField(max_length=32)
    old_value = models.CharField(max_length=254, blank=True)
    new_value = models.CharField(max_length=254, blank=True)

    class Meta:
        verbose_name = "MP121 contact change"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["party", "-at"], name="incident_contact_change_idx")]

    def __str__(self) -> str:
        return f"{self.party_id} {self.field}: {self.old_value} -> {self.new_value}"


class IncidentBulkJob(ProgressJob):
    """A bulk raise of install-code requests (CSV upload or REST), with progress for the browser."""

    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=16, choices=IncidentChannel.choices, default=IncidentChannel.BULK_WEB)
    file_name = models.CharField(max_length=200, blank=True)
    device_ids = models.JSONField(default=list, help_text="The rows as uploaded, in order.")
    created_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    notified_at = models.DateTimeField(null=True, blank=True, help_text="When the summary emails were queued.")
    line_numbers = models.JSONField(default=list, blank=True,
                                    help_text="Each row's spreadsheet row (header = row 1); empty for a REST list.")
    preview = models.JSONField(default=dict, blank=True,
                               help_text="What the check step found: counts by outcome and by reason.")

    class Meta:
        verbose_name = "incident bulk job"
        ordering = ["-id"]
        indexes = [models.Index(fields=["party", "-id"], name="incident_bulk_party_idx")]

    def __str__(self) -> str:
        return f"Bulk job {self.pk} ({self.status}, {self.processed_rows}/{self.total_rows})"


class IncidentBulkRow(models.Model):
    """One row's result in a bulk job: the reference (new or existing) or the error."""

    job = models.ForeignKey(IncidentBulkJob, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField()
    device_id = models.CharField(max_length=60)
    ok = models.BooleanField()
    existing = models.BooleanField(default=False, help_text="An open request already existed; it is returned.")
    reference = models.CharField(max_length=16, blank=True)
    error = models.CharField(max_length=300, blank=True)
    code = models.CharField(max_length=60, blank=True, help_text="Why the row was refused, as a code.")
    assigned_party = models.ForeignKey(Party, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = "incident bulk row"
        ordering = ["job", "row_number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "row_number"], name="incident_bulk_row_unique"),
        ]

    def __str__(self) -> str:
        return f"Row {self.row_number}: {self.device_id} {'ok' if self.ok else 'error'}"
