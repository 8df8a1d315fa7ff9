"""Incident API shapes (docs/API.md, Incidents). Install codes never appear here: only ``has_install_code``."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.models import Incident, IncidentEvent, IncidentNote
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


class IncidentDetailSerializer(IncidentSerializer):
    notes = IncidentNoteSerializer(many=True, read_only=True, source="note_list")
    history = IncidentEventSerializer(many=True, read_only=True, source="event_list")

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "notes", "history"]


class RaiseRequestSerializer(serializers.Serializer):
    device_id = serializers.CharField(allow_blank=True, help_text="EUI-64, e.g. 00-DB-12-34-56-78-90-A0.")


class BulkRequestSerializer(serializers.Serializer):
    device_ids = serializers.ListField(child=serializers.CharField(allow_blank=True), allow_empty=False, required=False)
    file = serializers.FileField(required=False, help_text="Alternatively a CSV with a 'device_id' column "
                                                           f"(up to {MAX_UPLOAD_MB} MB).")

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
