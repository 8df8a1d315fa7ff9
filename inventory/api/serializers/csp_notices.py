"""Serializers of the CSP restriction-notice desk (R169-17) and the hub replacement (R169-12)."""
from __future__ import annotations

import datetime

from rest_framework import serializers

from inventory.models import HubReplacement, RestrictionNotice
from inventory.services.csp_notices import ACKNOWLEDGE_MAX


class RestrictionNoticeSerializer(serializers.ModelSerializer):
    """A restriction notice: what the CSP was told, whether it was delivered and acknowledged."""

    device_id = serializers.CharField(source="device.device_id", read_only=True)
    device_type = serializers.CharField(source="device.device_type", read_only=True)
    hub_id = serializers.CharField(source="hub.device_id", read_only=True, allow_null=True, default=None)
    change = serializers.SerializerMethodField(help_text="set or cleared")
    change_id = serializers.IntegerField(read_only=True, help_text="The restriction change (audit row) reported.")
    at = serializers.DateTimeField(read_only=True, default_timezone=datetime.UTC)
    delivery = serializers.CharField(source="outbox.status", read_only=True, allow_null=True, default=None,
                                     help_text="The outbox status: pending, delivered, failed...")
    delivered_at = serializers.DateTimeField(source="outbox.delivered_at", read_only=True, allow_null=True,
                                             default=None, default_timezone=datetime.UTC)
    acknowledged_at = serializers.DateTimeField(read_only=True, allow_null=True, default_timezone=datetime.UTC)
    acknowledged_by = serializers.CharField(source="acknowledged_by.username", read_only=True, allow_null=True,
                                            default=None)

    class Meta:
        model = RestrictionNotice
        fields = ["id", "device_id", "device_type", "hub_id", "mpxn", "device_ids", "change", "change_id", "restricted",
                  "at", "csp_region", "delivery", "delivered_at", "acknowledged_at", "acknowledged_by"]
        read_only_fields = fields

    def get_change(self, notice: RestrictionNotice) -> str:
        return "set" if notice.restricted else "cleared"


class NoticeAcknowledgeSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1,
                                max_length=ACKNOWLEDGE_MAX, help_text="The notices to acknowledge (all or none).")


class HubReplaceRequestSerializer(serializers.Serializer):
    new_hub_id = serializers.CharField(max_length=60, help_text="The replacement hub's Device ID.")
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class HubReplacementSerializer(serializers.ModelSerializer):
    old_hub_id = serializers.CharField(source="old_hub.device_id", read_only=True)
    new_hub_id = serializers.CharField(source="new_hub.device_id", read_only=True)
    old_gpf_id = serializers.CharField(source="old_gpf.device_id", read_only=True, allow_null=True, default=None)
    new_gpf_id = serializers.CharField(source="new_gpf.device_id", read_only=True, allow_null=True, default=None)
    party = serializers.CharField(source="party.code", read_only=True)
    at = serializers.DateTimeField(read_only=True, default_timezone=datetime.UTC)

    class Meta:
        model = HubReplacement
        fields = ["id", "at", "party", "old_hub_id", "new_hub_id", "old_gpf_id", "new_gpf_id", "moved_device_ids",
                  "old_gpf_change", "new_gpf_change", "reason", "request_id"]
        read_only_fields = fields
