"""Serializers of the CPL API (MP202). Rules live in the services; these only shape input and output."""
from __future__ import annotations

from rest_framework import serializers

from inventory.choices import CPLStatus, DeviceType, SmetsVersion
from inventory.models import CPLEntry


class CPLEntrySerializer(serializers.ModelSerializer):
    dual_mode = serializers.BooleanField(
        read_only=True, help_text="The CPL lists this model and firmware for both SMETS1 and SMETS2+ (MP202).",
    )

    class Meta:
        model = CPLEntry
        fields = ["id", "device_type", "manufacturer", "model", "hardware_version", "firmware_version",
                  "smets_version", "status", "dual_mode", "added_on"]


class CPLEntryAddSerializer(serializers.Serializer):
    device_type = serializers.ChoiceField(choices=DeviceType.choices)
    manufacturer = serializers.CharField(max_length=30)
    model = serializers.CharField(max_length=30)
    hardware_version = serializers.CharField(max_length=16)
    firmware_version = serializers.CharField(max_length=8)
    smets_version = serializers.ChoiceField(choices=SmetsVersion.choices)
    status = serializers.ChoiceField(choices=CPLStatus.choices, default=CPLStatus.ACTIVE)


class CPLStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CPLStatus.choices)
