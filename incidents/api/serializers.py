"""Incident API shapes (docs/API.md, Incidents). Install codes never appear here: only ``has_install_code``."""
from __future__ import annotations

import datetime

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.models import Incident, IncidentBulkJob, IncidentBulkRow, IncidentEvent, IncidentNote
from incidents.selectors import SERVICE_DESK
from incidents.services import BULK_UPLOAD_TOO_LARGE
from portal.csv_upload import MAX_UPLOAD_MB, upload_too_large


class IncidentSerializer(serializers.ModelSerializer):
    device_id = serializers.CharField(source="device.device_id")
    raised_by = serializers.CharField(source="raised_by.code", help_text="Party code of the raising party.")
    assigned_to = serializers.SerializerMethodField(help_text="Party code, or 'dcc_service_desk'.")
    overdue = serializers.BooleanField(source="is_overdue")

    class Meta:
        model = Incident
        fields = ["reference", "type", "state", "device_id", "raised_by", "assigned_to", "due_by", "created_at",
                  "updated_at", "overdue", "breached", "has_install_code", "first_response_at", "closed_at",
                  "closure_kind"]

    @extend_schema_field(serializers.CharField())
    def get_assigned_to(self, incident: Incident) -> str:
        return SERVICE_DESK if incident.assigned_party.is_dcc else incident.assigned_party.code


class IncidentNoteSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username")
    party = serializers.CharField(source="party.code")
    has_install_code = serializers.BooleanField()

    class Meta:
        model = IncidentNote
        fields = ["id", "author", "party", "body", "has_install_code", "created_at"]


class IncidentEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None)
    party = serializers.CharField(source="party.code", default=None)
    assigned_to = serializers.CharField(source="assigned_party.code", default=None)

    class Meta:
        model = IncidentEvent
        fields = ["kind", "at", "actor", "party", "from_state", "to_state", "assigned_to", "detail"]


class SupplierHistorySerializer(serializers.Serializer):
    party = serializers.CharField(source="party.code")
    name = serializers.CharField(source="party.name")
    role = serializers.CharField()
    since = serializers.DateTimeField(allow_null=True)
    until = serializers.DateTimeField(allow_null=True)
    current = serializers.BooleanField()


class SlaClockSerializer(serializers.Serializer):
    kind = serializers.CharField()
    assigned_to = serializers.SerializerMethodField()
    started_at = serializers.DateTimeField()
    due_by = serializers.DateField()
    responded_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    outcome = serializers.CharField()

    @extend_schema_field(serializers.CharField())
    def get_assigned_to(self, spell) -> str:
        return SERVICE_DESK if spell.assigned_party.is_dcc else spell.assigned_party.code


class IncidentDetailSerializer(IncidentSerializer):
    notes = IncidentNoteSerializer(many=True, read_only=True, source="note_list")
    history = IncidentEventSerializer(many=True, read_only=True, source="event_list")
    supplier_history = SupplierHistorySerializer(
        many=True, read_only=True, source="supplier_history_list",
        help_text="R121-12: the pre-notifier and each Responsible Supplier of the device, oldest first.")
    suggested_assignee = serializers.CharField(
        source="suggested_assignee_code", allow_null=True, read_only=True,
        help_text="After 'not the installing supplier': the next former supplier to route to (DCC only).")
    sla_clocks = SlaClockSerializer(many=True, read_only=True, source="spell_list",
                                    help_text="One SLA clock per raise, hop and reopening (R121-10).")

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "reopened_at", "notes", "history", "supplier_history",
                  "suggested_assignee", "sla_clocks"]


class ReopenRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False,
                                   max_length=2000, help_text="Why: e.g. 'the code did not work'. Required.")


class DepositRequestSerializer(serializers.Serializer):
    device_id = serializers.CharField(max_length=60, trim_whitespace=False)
    install_code = serializers.CharField(max_length=200, trim_whitespace=False)


class DepositSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    device_id = serializers.CharField(source="device.device_id")
    created_at = serializers.DateTimeField()
    used_by = serializers.CharField(source="used_by.reference", default=None)
    used_at = serializers.DateTimeField(allow_null=True)
    superseded_at = serializers.DateTimeField(allow_null=True)


class DepositBulkRequestSerializer(serializers.Serializer):
    rows = DepositRequestSerializer(many=True, required=False)
    file = serializers.FileField(required=False, help_text="CSV with device_id,install_code columns.")


class DepositBulkRowSerializer(serializers.Serializer):
    row_number = serializers.IntegerField(help_text="As in a spreadsheet: the header is row 1.")
    device_id = serializers.CharField()
    ok = serializers.BooleanField()
    error = serializers.CharField()


class ContactsSerializer(serializers.Serializer):
    operational_email = serializers.CharField(max_length=400, allow_blank=True, trim_whitespace=False)
    escalation_email = serializers.CharField(max_length=400, allow_blank=True, trim_whitespace=False)


class RaiseRequestSerializer(serializers.Serializer):
    device_id = serializers.CharField(allow_blank=True, help_text="EUI-64, e.g. 00-DB-12-34-56-78-90-A0.")


class BulkRequestSerializer(serializers.Serializer):
    device_ids = serializers.ListField(child=serializers.CharField(allow_blank=True), allow_empty=False, required=False)
    file = serializers.FileField(required=False, help_text="Alternatively a CSV with a 'device_id' column "
                                                           f"(up to {MAX_UPLOAD_MB} MB).")
    check = serializers.BooleanField(
        default=False, help_text="true: only check the rows (nothing is raised); answered 201 with the job in "
                                 "status 'checked' and its 'preview' (counts by outcome and reason); POST to its "
                                 "'confirm' URL to raise them.")

    def validate_file(self, upload):
        refusal = upload_too_large(upload.size, advice=BULK_UPLOAD_TOO_LARGE)
        if refusal:
            raise serializers.ValidationError(refusal)
        return upload

    def validate(self, attrs):
        if not attrs.get("device_ids") and not attrs.get("file"):
            raise serializers.ValidationError("Send 'device_ids' (a JSON list) or a CSV 'file' with a device_id column.")
        return attrs


class BulkRowSerializer(serializers.Serializer):
    device_id = serializers.CharField()
    ok = serializers.BooleanField()
    reference = serializers.CharField(allow_null=True)
    existing = serializers.BooleanField(help_text="True when an open request already existed and is returned.")
    error = serializers.CharField(allow_null=True)


class BulkResponseSerializer(serializers.Serializer):
    results = BulkRowSerializer(many=True)


def bulk_row_data(row: IncidentBulkRow) -> dict:
    """One row's result as ``POST .../bulk/`` answers it (``BulkRowSerializer``): no reference/error is null."""
    return {"device_id": row.device_id, "ok": row.ok, "reference": row.reference or None, "existing": row.existing,
            "error": row.error or None}


class IncidentBulkJobSerializer(serializers.ModelSerializer):
    """A bulk raise's progress and counts; ``results`` is where the per-row outcomes are read."""

    url = serializers.HyperlinkedIdentityField(view_name="api-install-code-request-bulk-job", lookup_url_kwarg="job_id")
    results = serializers.HyperlinkedIdentityField(view_name="api-install-code-request-bulk-job-results",
                                                   lookup_url_kwarg="job_id")
    confirm = serializers.HyperlinkedIdentityField(view_name="api-install-code-request-bulk-job-confirm",
                                                   lookup_url_kwarg="job_id")
    user = serializers.CharField(source="user.username", read_only=True)
    percent = serializers.IntegerField(read_only=True, help_text="100 only once the job is done.")
    created_at = serializers.DateTimeField(read_only=True, default_timezone=datetime.UTC)
    finished_at = serializers.DateTimeField(read_only=True, default_timezone=datetime.UTC, allow_null=True)
    preview = serializers.JSONField(read_only=True, help_text="What the check found: counts by outcome "
                                                              "(raise, existing, refused) and by reason.")

    class Meta:
        model = IncidentBulkJob
        fields = ["id", "url", "status", "channel", "file_name", "user", "total_rows", "processed_rows", "percent",
                  "created_count", "failed_count", "created_at", "finished_at", "preview", "confirm", "results"]
        read_only_fields = fields


class IncidentBulkJobRowSerializer(serializers.ModelSerializer):
    """One processed row: what ``POST .../bulk/`` answers for it, with its row number."""

    row = serializers.IntegerField(source="row_number", read_only=True)
    reference = serializers.CharField(read_only=True, allow_null=True)
    error = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = IncidentBulkRow
        fields = ["row", "device_id", "ok", "reference", "existing", "error"]
        read_only_fields = fields

    def to_representation(self, row: IncidentBulkRow) -> dict:
        return {"row": row.row_number, **bulk_row_data(row)}


class NoteRequestSerializer(serializers.Serializer):
    body = serializers.CharField(required=False, allow_blank=True, default="")
    install_code = serializers.CharField(required=False, allow_blank=True, allow_null=True, default=None,
                                         help_text="Assignee only: 12 to 32 hex characters (SRV 8.11 InstallCode).")
    not_installing_supplier = serializers.BooleanField(required=False, default=False)


class CloseRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ReassignRequestSerializer(serializers.Serializer):
    to_party = serializers.CharField(help_text="Party code of the supplier to assign to.")


class RevealResponseSerializer(serializers.Serializer):
    reference = serializers.CharField()
    install_code = serializers.CharField()
