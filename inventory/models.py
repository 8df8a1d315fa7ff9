"""The Smart Metering Inventory (SMI): the Central Products List, devices and their hubs,
and the MP169 restriction audit trail.

A Smart Metering System (SMS) is a hub (a CHF device) and the devices joined to it
(``Device.hub``). Premises facts that MP169's rules need (payment mode, load management,
network-managed no-WAN site) are kept on each meter so a rule check is one row read.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from inventory.choices import (
    AttestationGivenBy,
    CPLStatus,
    CSPRegion,
    DeviceStatus,
    DeviceType,
    LoadManagement,
    PaymentMode,
    RestrictionChannel,
    SmetsVersion,
)
from portal.choices import JobStatus
from portal.models import OutboxMessage, Party, ProgressJob


class CPLEntry(models.Model):
    """A Central Products List row. Identity includes the SMETS version (MP202, R202-1): a dual-mode
    PPMID has two rows for the same firmware version, one SMETS1 and one SMETS2+."""

    device_type = models.CharField(max_length=8, choices=DeviceType.choices)
    manufacturer = models.CharField(max_length=30)
    model = models.CharField(max_length=30)
    hardware_version = models.CharField(max_length=16)
    firmware_version = models.CharField(max_length=8)
    smets_version = models.CharField("SMETS version", max_length=8, choices=SmetsVersion.choices)
    status = models.CharField(max_length=10, choices=CPLStatus.choices, default=CPLStatus.ACTIVE)
    added_on = models.DateField(default=timezone.localdate)
    # What the DSP answers in DUIS (8.2 Read Inventory); the names above stay for pages and REST.
    manufacturer_id = models.CharField(
        "manufacturer identifier", max_length=4, blank=True, help_text="Hex, as DUIS carries it (e.g. 106C).")
    model_id = models.CharField("model identifier", max_length=8, blank=True, help_text="Hex (e.g. 433100AC).")
    technical_version = models.CharField(
        "SMETS/CHTS version", max_length=20, blank=True,
        help_text="The technical specification version, as DUIS writes it (e.g. SMETS V5.0, CHTS V1.4).")
    gbcs_version = models.CharField("GBCS version", max_length=10, blank=True)
    han_variant = models.CharField("HAN variant", max_length=20, blank=True, help_text="For a hub, e.g. 2.4GHz.")

    class Meta:
        verbose_name = "CPL entry"
        verbose_name_plural = "CPL entries"
        ordering = ["manufacturer", "model", "hardware_version", "firmware_version", "smets_version"]
        constraints = [
            models.UniqueConstraint(
                fields=["manufacturer", "model", "hardware_version", "firmware_version", "smets_version"],
                name="cpl_entry_identity_unique",
            ),
        ]

    def __str__(self) -> str:
        return (f"{self.manufacturer} {self.model} HW {self.hardware_version} "
                f"FW {self.firmware_version} ({self.smets_version}, {self.status})")


class Device(models.Model):
    """A device in the SMI, with the fields of a DUIS 8.2 Read Inventory ``sr:Device``."""

    device_id = models.CharField("Device ID", max_length=23, unique=True, help_text="EUI-64, e.g. 00-DB-12-34-56-78-90-A0")
    device_type = models.CharField(max_length=8, choices=DeviceType.choices)
    status = models.CharField("SMI status", max_length=24, choices=DeviceStatus.choices, default=DeviceStatus.PENDING)
    smets_version = models.CharField("SMETS version", max_length=8, choices=SmetsVersion.choices)
    cpl_entry = models.ForeignKey(
        CPLEntry, on_delete=models.PROTECT, related_name="devices", verbose_name="CPL entry",
        help_text="Model and current firmware: the CPL row the device runs.",
    )
    hub = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="joined_devices",
        help_text="The Communications Hub Function this device is joined to (its SMS).",
        limit_choices_to={"device_type": DeviceType.CHF},
    )
    mpxn = models.CharField("MPxN", max_length=13, blank=True, help_text="MPAN (13 digits) or MPRN (up to 10).")
    uprn = models.CharField("UPRN", max_length=12, blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    address_identifier = models.CharField(max_length=60, blank=True)
    csp_region = models.CharField("CSP region", max_length=12, choices=CSPRegion.choices, default=CSPRegion.UNKNOWN)
    responsible_supplier = models.ForeignKey(
        Party, on_delete=models.PROTECT, null=True, blank=True, related_name="responsible_devices",
        help_text="The supplier registered for the MPxN now; changes on Change of Supplier.",
    )
    prenotifying_supplier = models.ForeignKey(
        Party, on_delete=models.PROTECT, null=True, blank=True, related_name="prenotified_devices",
        verbose_name="pre-notifying supplier", help_text="The party that added the device to the SMI (SRV 12.2).",
    )
    network_operator = models.ForeignKey(
        Party, on_delete=models.PROTECT, null=True, blank=True, related_name="network_devices",
        help_text="Electricity distributor or gas transporter of the supply point.",
    )
    payment_mode = models.CharField(max_length=10, choices=PaymentMode.choices, default=PaymentMode.CREDIT)
    load_management = models.CharField(max_length=16, choices=LoadManagement.choices, default=LoadManagement.NONE)
    network_managed_no_wan = models.BooleanField(
        "network-managed site without WAN", default=False,
    )
    date_commissioned = models.DateField(null=True, blank=True)
    restricted = models.BooleanField(default=False, help_text="MP169: consumption reads refused (SMETS2+ only).")
    restricted_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "device"
        ordering = ["device_id"]
        indexes = [
            # Scoped keyset lists: a party's devices in Device ID order.
            models.Index(fields=["responsible_supplier", "device_id"], name="device_resp_supplier_idx"),
            models.Index(fields=["prenotifying_supplier", "device_id"], name="device_prenotifier_idx"),
            models.Index(fields=["network_operator", "device_id"], name="device_network_op_idx"),
            models.Index(fields=["hub"], name="device_hub_idx"),
            models.Index(fields=["mpxn"], name="device_mpxn_idx"),
            models.Index(fields=["uprn"], name="device_uprn_idx"),
            models.Index(fields=["postcode", "device_id"], name="device_postcode_idx"),
            models.Index(fields=["status", "device_id"], name="device_status_idx"),
            models.Index(fields=["device_type", "device_id"], name="device_type_idx"),
            models.Index(fields=["csp_region", "device_id"], name="device_csp_region_idx"),
            models.Index(fields=["cpl_entry"], name="device_cpl_idx"),
            # The list's payment-mode filter (credit meters are the ones MP169 lets a supplier restrict).
            models.Index(fields=["payment_mode", "device_id"], name="device_payment_mode_idx"),
            models.Index(
                fields=["device_id"], name="device_restricted_idx", condition=models.Q(restricted=True),
            ),
            # "Restricted in this SMS" on every list page (restricted_in_sms_q): without it the planner hashed
            # every restricted device's row from the heap per page - 240 ms of 264 at 10M devices (issue 21).
            models.Index(fields=["hub"], name="device_hub_restricted_idx", condition=models.Q(restricted=True)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(restricted=False) | models.Q(smets_version=SmetsVersion.SMETS2_PLUS),
                name="device_restricted_only_smets2",
            ),
            models.CheckConstraint(
                condition=models.Q(restricted=False) | models.Q(restricted_since__isnull=False),
                name="device_restricted_has_since",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device_type} {self.device_id}"

    @property
    def manufacturer(self) -> str:
        return self.cpl_entry.manufacturer

    @property
    def model(self) -> str:
        return self.cpl_entry.model

    @property
    def firmware_version(self) -> str:
        return self.cpl_entry.firmware_version

    @property
    def cpl_status(self) -> str:
        return self.cpl_entry.status


class RestrictionChange(models.Model):
    """One set or clear of MP169 Restricted (R169-4). Append-only: the application offers no edit
    or delete, and a database trigger refuses UPDATE and DELETE."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="restriction_changes")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="restriction_changes",
    )
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="restriction_changes")
    old_value = models.BooleanField()
    new_value = models.BooleanField()
    reason = models.TextField()
    attested = models.BooleanField(
        "all reasonable steps taken", default=False,
        help_text="The supplier's attestation that all reasonable steps to install a fully communicating meter were taken.",
    )
    channel = models.CharField(max_length=8, choices=RestrictionChannel.choices)
    request_id = models.CharField(max_length=64, blank=True)
    cascaded_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="cascaded_changes",
        help_text="For a GPF: the GSME change that carried it (R169-1).",
    )

    class Meta:
        verbose_name = "restriction change"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["device", "-at"], name="restriction_device_at_idx")]

    def __str__(self) -> str:
        return f"{self.device.device_id}: {self.old_value} -> {self.new_value} at {self.at:%Y-%m-%d %H:%M}"


class RestrictionServiceCentreRequest(models.Model):
    """R169-15: a restriction change the DCC Service Centre made on a supplier's behalf - the supplier's own request
    reference and how it gave its attestation. The change's ``actor`` is the DCC user and its ``party`` the supplier
    acted for (channel "Service Centre"). Append-only, like the change it belongs to."""

    change = models.OneToOneField(RestrictionChange, on_delete=models.PROTECT, primary_key=True,
                                  related_name="service_centre_request")
    supplier_reference = models.CharField(max_length=64, help_text="The supplier's own reference for its request.")
    attestation_given_by = models.CharField(max_length=8, choices=AttestationGivenBy.choices, blank=True,
                                            help_text="How the supplier gave its attestation (required to set).")

    class Meta:
        verbose_name = "Service Centre restriction request"

    def __str__(self) -> str:
        return f"Service Centre {self.supplier_reference} for change {self.change_id}"


class SupplierChange(models.Model):
    """A Change of Supplier on a device (R169-5: Restricted is kept). Append-only."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="supplier_changes")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supplier_changes")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="supplier_changes_made")
    old_supplier = models.ForeignKey(
        Party, on_delete=models.PROTECT, null=True, blank=True, related_name="supplier_changes_lost",
    )
    new_supplier = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="supplier_changes_gained")
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = "change of supplier"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["device", "-at"], name="supplier_change_device_idx")]

    def __str__(self) -> str:
        return f"{self.device.device_id}: CoS to {self.new_supplier.code} at {self.at:%Y-%m-%d %H:%M}"


class CPLChange(models.Model):
    """An addition to the CPL or a change of a CPL row's status, by DCC (MP202). Append-only."""

    cpl_entry = models.ForeignKey(CPLEntry, on_delete=models.PROTECT, related_name="changes")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cpl_changes")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="cpl_changes")
    action = models.CharField(max_length=16, help_text="'added' or 'status'.")
    old_status = models.CharField(max_length=10, blank=True)
    new_status = models.CharField(max_length=10)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = "CPL change"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.cpl_entry}: {self.action} {self.old_status} -> {self.new_status}"


class RestrictionBulkJob(ProgressJob):
    """A bulk set/clear of Restricted (CSV upload or REST), processed in chunks with progress (R169-1..6).

    ``rows`` holds the rows as uploaded; each is applied by ``restriction_set`` like a single change.
    """

    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=8, choices=RestrictionChannel.choices, default=RestrictionChannel.BULK)
    file_name = models.CharField(max_length=200, blank=True)
    request_id = models.CharField(max_length=64, blank=True, help_text="The upload's request, kept on each audit row.")
    rows = models.JSONField(default=list, help_text="The rows as uploaded, in order.")
    applied_count = models.PositiveIntegerField(default=0)
    refused_count = models.PositiveIntegerField(default=0)
    preview = models.JSONField(default=dict, blank=True,
                               help_text="What the check step found: counts by outcome and by reason.")

    class Meta:
        verbose_name = "restriction bulk job"
        ordering = ["-id"]
        indexes = [models.Index(fields=["party", "-id"], name="restriction_bulk_party_idx")]

    def __str__(self) -> str:
        return f"Restriction bulk job {self.pk} ({self.status}, {self.processed_rows}/{self.total_rows})"


class RestrictionBulkRow(models.Model):
    """One row's outcome in a bulk job: applied (with its audit rows) or refused (with the code and why)."""

    job = models.ForeignKey(RestrictionBulkJob, on_delete=models.CASCADE, related_name="results")
    row_number = models.PositiveIntegerField()
    device_id = models.CharField(max_length=60, blank=True)
    restricted = models.BooleanField(null=True, help_text="What the row asked for; empty when it could not be read.")
    ok = models.BooleanField()
    code = models.CharField(max_length=60, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    change_ids = ArrayField(models.BigIntegerField(), default=list, blank=True,
                            help_text="The RestrictionChange rows written (the meter's, then its GPF's).")

    class Meta:
        verbose_name = "restriction bulk row"
        ordering = ["job", "row_number"]
        constraints = [models.UniqueConstraint(fields=["job", "row_number"], name="restriction_bulk_row_unique")]

    def __str__(self) -> str:
        return f"Row {self.row_number}: {'applied' if self.ok else self.code}"


class DeviceExtractJob(ProgressJob):
    """A CSV extract of the devices a party sees, written to a file by a worker, with progress.

    ``filters`` is the inventory list's query string; the worker applies it to the requesting
    party's scope, so a file holds exactly what the list showed. Files expire (``expires_at``).
    """

    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filters = models.TextField(blank=True, help_text="The device list's query string (e.g. status=Commissioned).")
    total_rows = models.PositiveIntegerField(default=0, help_text="Devices matching when the job started.")
    file = models.FileField(upload_to="extracts/", blank=True)
    size_bytes = models.BigIntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="When the file is deleted.")

    class Meta:
        verbose_name = "device extract job"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["user", "-id"], name="extract_job_user_idx"),
            models.Index(fields=["expires_at"], name="extract_job_expires_idx"),
        ]

    def __str__(self) -> str:
        return f"Extract {self.pk} ({self.status}, {self.processed_rows}/{self.total_rows})"

    @property
    def is_downloadable(self) -> bool:
        return self.status == JobStatus.DONE and bool(self.file)


class ListColumnPreference(models.Model):
    """The columns a user chose for a list page (NetBox keeps the same in ``UserConfig``): one row per user and
    list, the column names in display order. Unknown names are ignored when read (``inventory.tables``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="list_column_preferences")
    list_name = models.CharField(max_length=32)
    columns = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "list column preference"
        constraints = [
            models.UniqueConstraint(fields=["user", "list_name"], name="list_column_preference_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.list_name}: {', '.join(self.columns)}"


class HubReplacement(models.Model):
    """A Trust Centre swap-out / Communications Hub replacement as the DSP sees it (R169-12, seed 001).

    The Smart Metering System moves to ``new_hub``: every device joined to ``old_hub`` except its Gas Proxy
    Function joins the new hub; the GPF lives in the hub, so the new hub's GPF takes over from the old one.
    A restricted gas meter's flag moves to the new GPF and the old GPF is cleared: those two
    ``RestrictionChange`` rows are named here (``new_gpf_change``, ``old_gpf_change``) and carry the GSME's
    row as ``cascaded_from``. The old hub and its GPF are then Withdrawn. Append-only.
    """

    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="hub_replacements")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="hub_replacements")
    old_hub = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="replaced_as_old_hub")
    new_hub = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="replaced_as_new_hub")
    old_gpf = models.ForeignKey(Device, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    new_gpf = models.ForeignKey(Device, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    moved_device_ids = ArrayField(models.CharField(max_length=23), default=list,
                                  help_text="The devices that moved to the new hub (Device IDs).")
    old_gpf_change = models.ForeignKey(RestrictionChange, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+", help_text="The old GPF's clear, when the flag moved.")
    new_gpf_change = models.ForeignKey(RestrictionChange, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+", help_text="The new GPF's set, when the flag moved.")
    reason = models.CharField(max_length=200, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = "hub replacement"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["old_hub", "-at"], name="hub_replacement_old_idx"),
            models.Index(fields=["new_hub", "-at"], name="hub_replacement_new_idx"),
        ]

    def __str__(self) -> str:
        return f"Hub {self.old_hub_id} -> {self.new_hub_id} at {self.at:%Y-%m-%d %H:%M}"


class RestrictionNotice(models.Model):
    """One restriction notice to a CSP (R169-6, R169-17): what the CSP was told, how far delivery got
    (``outbox``) and whether the CSP's desk acknowledged it (seed 000 s6.1.3: the CSP recognises that a hub
    has reduced smart functionality, so a quiet hub is not triaged as a fault).

    Written with the outbox row in the change's transaction. Acknowledgement is the one later write.
    """

    csp = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="restriction_notices")
    change = models.OneToOneField(RestrictionChange, on_delete=models.PROTECT, related_name="notice",
                                  help_text="The meter's change (a GPF's cascaded change travels with it).")
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="restriction_notices")
    hub = models.ForeignKey(Device, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                            help_text="The device's hub when the notice was written.")
    mpxn = models.CharField("MPxN", max_length=13, blank=True)
    device_ids = ArrayField(models.CharField(max_length=23), default=list)
    restricted = models.BooleanField(help_text="True: set; False: cleared.")
    at = models.DateTimeField()
    csp_region = models.CharField("CSP region", max_length=12, blank=True)
    outbox = models.ForeignKey(OutboxMessage, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+")

    class Meta:
        verbose_name = "restriction notice"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["csp", "-at", "-id"], name="restriction_notice_csp_idx"),
            models.Index(fields=["csp", "-at", "-id"], name="restriction_notice_open_idx",
                         condition=models.Q(acknowledged_at__isnull=True)),
            models.Index(fields=["hub", "-at"], name="restriction_notice_hub_idx"),
        ]

    def __str__(self) -> str:
        return f"Notice to {self.csp_id}: {self.device_id} {'set' if self.restricted else 'cleared'}"
