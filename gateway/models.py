"""The gateway: SRV and alert catalogues, the MP169 allow-lists (R169-8, R169-9) with their audit trail,
the service-request log and the two alert logs (SAT and diagnostics).

The service-request log is built for hundreds of millions of rows: a PostgreSQL table partitioned by
month on ``requested_at``, created by SQL in migration 0002 with primary key ``(id, requested_at)``;
migration 0001 only records the model's state (``SeparateDatabaseAndState``), so Django still flushes it
in tests and knows its fields. It has no foreign keys: a request may name an unknown device, and a
partitioned log should not pay for FK checks on every insert.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from gateway.choices import AlertLogName, AllowList, Channel, ResponseCode, SrvCategory
from portal.models import Party


class ServiceReferenceVariant(models.Model):
    """One of the 129 DUIS SRVs (``gateway/data/srv_matrix.csv``), with the gateway's derived fields
    (see ``gateway.catalogue_data``). Loaded by a data migration; read-only in the application."""

    srv = models.CharField("SRV", max_length=10, primary_key=True)
    service_reference = models.CharField(max_length=10)
    name = models.CharField(max_length=120)
    critical = models.BooleanField()
    on_demand = models.BooleanField()
    dcc_scheduled = models.BooleanField("DCC scheduled")
    non_device = models.BooleanField()
    eligible_roles = ArrayField(models.CharField(max_length=3), default=list, help_text="DUIS user role codes.")
    command_variants = ArrayField(models.PositiveSmallIntegerField(), default=list)
    targets_device = models.BooleanField(help_text="The request is addressed to a device in the SMI.")
    accepted_statuses = ArrayField(
        models.CharField(max_length=24), default=list, help_text="SMI statuses that accept the SRV (else E5).",
    )
    device_types = ArrayField(
        models.CharField(max_length=8), default=list, blank=True,
        help_text="Device types the SRV applies to (else E11); empty: not checked.",
    )
    category = models.CharField(max_length=16, choices=SrvCategory.choices)
    success_code = models.CharField(max_length=8, choices=ResponseCode.choices)

    class Meta:
        verbose_name = "service reference variant"
        ordering = ["srv"]

    def __str__(self) -> str:
        return f"{self.srv} {self.name}"


class AlertCode(models.Model):
    """A GBCS device alert code (hex, e.g. ``8F3E``) from ``gateway/data/gbcs_alert_codes.csv``."""

    code = models.CharField(max_length=4, primary_key=True)
    description = models.CharField(max_length=250)
    mp169_category = models.CharField(
        "MP169 category", max_length=16, blank=True,
        help_text="R169-9 classification (gateway/data/gbcs_alert_mp169.csv): what the alert is about.",
    )
    mp169_withheld_by_default = models.BooleanField(
        "withheld from restricted devices by default", default=False,
        help_text="Seed 004 s2.5: only alerts relating directly to the consumer's consumption are withheld.",
    )
    mp169_reason = models.CharField("MP169 reason", max_length=250, blank=True)

    class Meta:
        verbose_name = "alert code"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


class RestrictedSrvAllowance(models.Model):
    """R169-8: an SRV allowed to a restricted device. Any device SRV without a row here is refused (E72)."""

    srv = models.OneToOneField(
        ServiceReferenceVariant, on_delete=models.PROTECT, primary_key=True, related_name="restricted_allowance",
        limit_choices_to={"targets_device": True},
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "SRV allowed to restricted devices"
        verbose_name_plural = "SRVs allowed to restricted devices"
        ordering = ["srv"]

    def __str__(self) -> str:
        return str(self.srv_id)


class RestrictedAlertAllowance(models.Model):
    """R169-9: an alert code accepted from a restricted device. Others go to the diagnostics log."""

    alert = models.OneToOneField(
        AlertCode, on_delete=models.PROTECT, primary_key=True, related_name="restricted_allowance",
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "alert allowed from restricted devices"
        verbose_name_plural = "alerts allowed from restricted devices"
        ordering = ["alert"]

    def __str__(self) -> str:
        return str(self.alert_id)


class AllowListChange(models.Model):
    """One DCC edit of an MP169 allow-list. Append-only: a database trigger refuses UPDATE and DELETE."""

    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="allow_list_changes", null=True, blank=True,
        help_text="Empty for a change the portal's release made (a data migration, e.g. the R169-9 default).",
    )
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="allow_list_changes")
    allow_list = models.CharField(max_length=8, choices=AllowList.choices)
    item = models.CharField(max_length=10, help_text="The SRV or the alert code.")
    old_allowed = models.BooleanField()
    new_allowed = models.BooleanField()
    reason = models.CharField(max_length=250, blank=True)

    class Meta:
        verbose_name = "allow-list change"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["allow_list", "item", "-at"], name="allowlist_change_item_idx")]

    def __str__(self) -> str:
        verb = "allowed" if self.new_allowed else "refused"
        return f"{self.get_allow_list_display()}: {self.item} {verb} at {self.at:%Y-%m-%d %H:%M}"


class ServiceRequestLog(models.Model):
    """Every service request the gateway answered, accepted or rejected (the reports' source).

    Partitioned by month on ``requested_at`` (see migration 0001 and ``gateway.partitions``). The
    device fields are as they were at the request: ``restricted_at_request`` and ``csp_region`` do not
    follow later changes, so the monthly reports (R169-10) need no history join.
    """

    id = models.BigAutoField(primary_key=True)
    request_id = models.CharField(max_length=100)
    requested_at = models.DateTimeField(default=timezone.now)
    party = models.ForeignKey(Party, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+",
    )
    srv = models.CharField("SRV", max_length=10)
    srv_category = models.CharField("SRV category", max_length=16, choices=SrvCategory.choices)
    device_id = models.CharField("Device ID", max_length=23, blank=True)
    command_variant = models.PositiveSmallIntegerField(null=True)
    response_code = models.CharField(max_length=8, choices=ResponseCode.choices)
    detail = models.CharField(max_length=250, blank=True)
    restricted_at_request = models.BooleanField(default=False)
    csp_region = models.CharField("CSP region at request", max_length=12, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)

    class Meta:
        db_table = "gateway_servicerequestlog"
        verbose_name = "service request"
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.srv} {self.device_id} -> {self.response_code}"


class AlertLogEntry(models.Model):
    """Shared columns of the SAT log and the diagnostics log."""

    received_at = models.DateTimeField(default=timezone.now)
    device_id = models.CharField("Device ID", max_length=23)
    alert_code = models.CharField(max_length=4)
    restricted_at_receipt = models.BooleanField(default=False)
    csp_region = models.CharField("CSP region", max_length=12, blank=True)
    supplier = models.ForeignKey(
        Party, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The device's responsible supplier when the alert arrived.",
    )
    network_operator = models.ForeignKey(Party, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    submitted_by = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.alert_code} from {self.device_id} at {self.received_at:%Y-%m-%d %H:%M}"


class SatLogEntry(AlertLogEntry):
    """An alert delivered to the Service Users (the SAT log)."""

    log_name = AlertLogName.SAT

    class Meta(AlertLogEntry.Meta):
        verbose_name = "SAT log entry"
        verbose_name_plural = "SAT log"
        indexes = [
            models.Index(fields=["received_at", "id"], name="sat_log_time_idx"),
            models.Index(fields=["device_id", "received_at"], name="sat_log_device_idx"),
            models.Index(fields=["supplier", "received_at"], name="sat_log_supplier_idx"),
            models.Index(fields=["network_operator", "received_at"], name="sat_log_network_idx"),
        ]


class DiagnosticsLogEntry(AlertLogEntry):
    """R169-9: an alert from a restricted device that is not on the allow-list: kept for triage, not
    delivered and not in the SAT log."""

    log_name = AlertLogName.DIAGNOSTICS

    class Meta(AlertLogEntry.Meta):
        verbose_name = "diagnostics log entry"
        verbose_name_plural = "diagnostics log"
        indexes = [
            models.Index(fields=["received_at", "id"], name="diag_log_time_idx"),
            models.Index(fields=["device_id", "received_at"], name="diag_log_device_idx"),
        ]


# --- DUIS security (RD-1..RD-3) ------------------------------------------------------------------------

class DuisIdentity(models.Model):
    """A DUIS User ID (EUI-64) a party holds for one User Role, with its XML-signing certificate (RD-1).

    Maintained by the DCC (``gateway.services_identities``). A request's RequestID names its originator: it must
    be an active identity of the calling party, and the request is verified against this certificate (RD-2).
    A revoked or expired identity signs nothing the gateway accepts. At most one active row per User ID; a
    revoked row stays for the audit trail and the log's history.
    """

    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="duis_identities")
    user_id = models.CharField("User ID", max_length=23, help_text="EUI-64, e.g. 90-B3-D5-1F-30-01-00-00.")
    role = models.CharField(max_length=3, help_text="The DUIS User Role this User ID acts in (IS, ES, GS, ED, GT, OU, RSA).")
    certificate_pem = models.TextField("certificate (PEM)")
    serial = models.CharField("certificate serial", max_length=60, help_text="Decimal, as X509SerialNumber.")
    issuer = models.CharField("certificate issuer", max_length=250)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    class Meta:
        verbose_name = "DUIS identity"
        verbose_name_plural = "DUIS identities"
        ordering = ["party", "user_id", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user_id"], condition=models.Q(revoked_at__isnull=True),
                                    name="duis_identity_one_active_per_user_id"),
        ]
        indexes = [models.Index(fields=["party", "user_id"], name="duis_identity_party_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} ({self.role}) of {self.party_id}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.not_after > timezone.now() >= self.not_before


class DuisIdentityChange(models.Model):
    """Audit of the DCC's register and revoke of DUIS identities. Append-only (trigger) and hash-chained."""

    class Action(models.TextChoices):
        REGISTER = "register", "Registered"
        REVOKE = "revoke", "Revoked"

    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    identity = models.ForeignKey(DuisIdentity, on_delete=models.PROTECT, related_name="changes")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="duis_identity_changes")
    user_id = models.CharField("User ID", max_length=23)
    role = models.CharField(max_length=3)
    action = models.CharField(max_length=10, choices=Action.choices)
    serial = models.CharField("certificate serial", max_length=60)
    reason = models.CharField(max_length=250, blank=True)

    class Meta:
        verbose_name = "DUIS identity change"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["party", "-at"], name="duis_identity_change_party_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.user_id} at {self.at:%Y-%m-%d %H:%M}"


class DuisCounter(models.Model):
    """Anti-replay (RD-3): the highest RequestID counter accepted from one originator User ID. Advanced by one
    atomic ``INSERT ... ON CONFLICT DO UPDATE ... WHERE last_counter < new`` in the request's transaction."""

    originator = models.CharField("originator User ID", max_length=23, primary_key=True)
    last_counter = models.DecimalField(max_digits=20, decimal_places=0, help_text="DUIS counters are 64-bit unsigned.")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "DUIS originator counter"

    def __str__(self) -> str:
        return f"{self.originator}: {self.last_counter}"


class DspSchedule(models.Model):
    """A DSP schedule (SRV 5.1 Create Schedule): the DSP sends ``scheduled_srv`` to ``device`` at
    ``frequency`` from ``start_date``. Its id is the ``DSPScheduleID`` the User reads (5.2) and deletes (5.3)
    it by. Removed, never deleted: ``removed_at`` with the reason (a User's 5.3, or MP169 R169-13 when the device
    becomes Restricted and the scheduled SRV is not on the allow-list)."""

    class Removal(models.TextChoices):
        DELETED = "deleted", "Deleted by the User (5.3)"
        RESTRICTED = "restricted", "Device became Restricted (MP169)"

    device = models.ForeignKey("inventory.Device", on_delete=models.PROTECT, related_name="dsp_schedules")
    scheduled_srv = models.CharField("scheduled SRV", max_length=10)
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="dsp_schedules")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    request_id = models.CharField(max_length=100, blank=True)
    frequency = models.CharField(max_length=12, help_text="DUIS ScheduleFrequency: Daily, Weekly, ... Yearly.")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    details_xml = models.TextField(help_text="The schedule as created (sr:CreateSchedule), echoed by 5.2.")
    created_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    removal_reason = models.CharField(max_length=12, choices=Removal.choices, blank=True)

    class Meta:
        verbose_name = "DSP schedule"
        ordering = ["id"]
        indexes = [
            models.Index(fields=["device", "scheduled_srv"], name="dsp_schedule_device_idx",
                         condition=models.Q(removed_at__isnull=True)),
            models.Index(fields=["party", "device"], name="dsp_schedule_party_idx"),
        ]

    def __str__(self) -> str:
        return f"Schedule {self.pk}: {self.scheduled_srv} on {self.device_id} ({self.frequency})"


class DccAlert(models.Model):
    """A DCC alert (DUIS ``sr:DCCAlertMessage``) sent to a User: its alert log. The DSP raises these itself, e.g.
    MP169 R169-13's ``DSPScheduleRemoval`` when a device becomes Restricted and its schedules of restricted SRVs
    are removed. ``message_xml`` is the DUIS 5.4 ``sr:Response`` document as sent (schema-valid)."""

    created_at = models.DateTimeField(default=timezone.now)
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="dcc_alerts",
                              help_text="The User the alert is for.")
    dcc_alert_code = models.CharField("DCC alert code", max_length=8)
    alert_type = models.CharField(max_length=40, help_text="The sr:DCCAlert choice, e.g. DSPScheduleRemoval.")
    device_id = models.CharField("Device ID", max_length=23)
    schedule = models.ForeignKey(DspSchedule, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    detail = models.CharField(max_length=250, blank=True)
    message_xml = models.TextField()

    class Meta:
        verbose_name = "DCC alert"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["party", "created_at", "id"], name="dcc_alert_party_idx"),
                   models.Index(fields=["created_at", "id"], name="dcc_alert_time_idx")]

    def __str__(self) -> str:
        return f"{self.dcc_alert_code} {self.alert_type} for {self.party_id}: {self.device_id}"
