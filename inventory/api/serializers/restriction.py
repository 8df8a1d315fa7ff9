"""Serializers for the MP169 restriction endpoints (docs/API.md "Devices")."""
from __future__ import annotations

import datetime

from rest_framework import serializers

from inventory.api.serializers.devices import DeviceSerializer
from inventory.models import RestrictionBulkJob, RestrictionBulkRow, RestrictionChange
from inventory.services.restriction import BULK_JOB_MAX_ROWS, BULK_MAX_ROWS


class RestrictionRequestSerializer(serializers.Serializer):
    """The body of ``POST /devices/<device_id>/restriction/``: only its shape; the rules are the service's."""

    restricted = serializers.BooleanField(help_text="true to set Restricted, false to clear it.")
    reason = serializers.CharField(max_length=2000, help_text="Why (e.g. 'Change of tenancy'); required.")
    all_reasonable_steps_taken = serializers.BooleanField(
        default=False, help_text="Attestation that all reasonable steps to install a fully communicating meter "
                                 "were taken; required (true) to set.",
    )


class RestrictionChangeSerializer(serializers.ModelSerializer):
    """One audit row of the restriction history."""

    device_id = serializers.CharField(source="device.device_id", read_only=True)
    at = serializers.DateTimeField(read_only=True, default_timezone=datetime.UTC)
    actor = serializers.CharField(source="actor.username", read_only=True)
    party = serializers.CharField(source="party.code", read_only=True)
    cascaded_from = serializers.IntegerField(source="cascaded_from_id", read_only=True, allow_null=True,
                                             help_text="For a GPF: the id of the GSME change that carried it.")

    class Meta:
        model = RestrictionChange
        fields = ["id", "device_id", "at", "actor", "party", "old_value", "new_value", "reason", "attested",
                  "channel", "request_id", "cascaded_from"]
        read_only_fields = fields


class RestrictionStateSerializer(DeviceSerializer):
    """The device's new state after a change, with the audit rows the change wrote."""

    changes = RestrictionChangeSerializer(many=True, read_only=True, source="restriction_changes_written")

    class Meta(DeviceSerializer.Meta):
        fields = [*DeviceSerializer.Meta.fields, "changes"]
        read_only_fields = fields


class RestrictionBulkRequestSerializer(serializers.Serializer):
    """``{"changes": [{"device_id", "restricted", "reason", "all_reasonable_steps_taken"}, ...]}``.

    Rows are kept as given and checked one by one, so one bad row never fails the others.
    """

    changes = serializers.ListField(
        child=serializers.DictField(), allow_empty=False, max_length=BULK_MAX_ROWS,
        help_text=f"Up to {BULK_MAX_ROWS} rows; each is applied on its own.",
    )


class RestrictionBulkRowSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    device_id = serializers.CharField()
    restricted = serializers.BooleanField(allow_null=True)
    ok = serializers.BooleanField()
    code = serializers.CharField(help_text="Refusal code when not ok.")
    detail = serializers.CharField()
    change_ids = serializers.ListField(child=serializers.IntegerField())


class RestrictionBulkJobRequestSerializer(serializers.Serializer):
    """``{"changes": [...]}`` as for the synchronous call, up to ``BULK_JOB_MAX_ROWS`` rows, applied by a worker."""

    changes = serializers.ListField(
        child=serializers.DictField(), allow_empty=False, max_length=BULK_JOB_MAX_ROWS,
        help_text=f"Up to {BULK_JOB_MAX_ROWS} rows (and 8 MB); each is applied on its own.",
    )
    check = serializers.BooleanField(
        default=False, help_text="true: only check the rows (nothing is changed); the job is answered with "
                                 "'preview' (counts by outcome and reason) and starts on POST to its 'confirm' URL.")


class RestrictionBulkJobSerializer(serializers.ModelSerializer):
    """A bulk job's progress and counts; ``results`` is where the per-row outcomes are read."""

    url = serializers.HyperlinkedIdentityField(view_name="api-restriction-bulk-job", lookup_url_kwarg="job_id")
    results = serializers.HyperlinkedIdentityField(view_name="api-restriction-bulk-job-results",
                                                   lookup_url_kwarg="job_id")
    confirm = serializers.HyperlinkedIdentityField(view_name="api-restriction-bulk-job-confirm",
                                                   lookup_url_kwarg="job_id")
    user = serializers.CharField(source="user.username", read_only=True)
    created_at = serializers.DateTimeField(read_only=True, default_timezone=datetime.UTC)
    finished_at = serializers.DateTimeField(read_only=True, default_timezone=datetime.UTC, allow_null=True)
    preview = serializers.JSONField(read_only=True, help_text="What the check found: counts by outcome "
                                                              "(set, clear, refused) and by reason, nothing changed.")

    class Meta:
        model = RestrictionBulkJob
        fields = ["id", "url", "status", "channel", "file_name", "user", "total_rows", "processed_rows",
                  "applied_count", "refused_count", "created_at", "finished_at", "preview", "confirm", "results"]
        read_only_fields = fields


class RestrictionBulkJobRowSerializer(serializers.ModelSerializer):
    row = serializers.IntegerField(source="row_number", read_only=True)

    class Meta:
        model = RestrictionBulkRow
        fields = ["row", "device_id", "restricted", "ok", "code", "detail", "change_ids"]
        read_only_fields = fields


class RestrictionServiceCentreRequestSerializer(RestrictionRequestSerializer):
    """R169-15: the DCC Service Centre's body; the rules (and which fields are required when) are the service's."""

    supplier = serializers.CharField(max_length=20, help_text="Party code of the supplier the DCC acts for.")
    supplier_reference = serializers.CharField(max_length=64, allow_blank=True,
                                               help_text="The supplier's own request reference; required.")
    attestation_given_by = serializers.ChoiceField(
        choices=["phone", "email"], required=False, allow_blank=True,
        help_text="How the supplier gave its attestation; required to set.")
