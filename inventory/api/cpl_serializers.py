"""Serializers of the CPL API and the MP202 device endpoints (pre-notify, join). Rules live in the
services; these only shape input and output."""
from __future__ import annotations

from rest_framework import serializers

from inventory.choices import CPLStatus, CSPRegion, DeviceType, SmetsVersion
from inventory.models import CPLEntry, Device
from portal.eui64 import EUI64_EXAMPLE


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


class DevicePrenotifySerializer(serializers.Serializer):
    device_id = serializers.CharField(max_length=40, help_text=f"EUI-64, e.g. {EUI64_EXAMPLE}.")
    device_type = serializers.ChoiceField(choices=DeviceType.choices)
    manufacturer = serializers.CharField(max_length=30)
    model = serializers.CharField(max_length=30)
    hardware_version = serializers.CharField(max_length=16, required=False, default="", allow_blank=True)
    firmware_version = serializers.CharField(max_length=8)
    smets_version = serializers.ChoiceField(choices=SmetsVersion.choices)
    mpxn = serializers.CharField(max_length=13, required=False, default="", allow_blank=True)
    uprn = serializers.CharField(max_length=12, required=False, default="", allow_blank=True)
    postcode = serializers.CharField(max_length=8, required=False, default="", allow_blank=True)
    csp_region = serializers.ChoiceField(choices=CSPRegion.choices, required=False, default="", allow_blank=True)


class DeviceJoinSerializer(serializers.Serializer):
    hub_id = serializers.CharField(max_length=40, help_text="Device ID of the hub (CHF) to join.")


class Mp202DeviceSerializer(serializers.ModelSerializer):
    """A device after pre-notification or joining: its SMETS version and the CPL row it resolved to."""

    manufacturer = serializers.CharField(source="cpl_entry.manufacturer", read_only=True)
    model = serializers.CharField(source="cpl_entry.model", read_only=True)
    hardware_version = serializers.CharField(source="cpl_entry.hardware_version", read_only=True)
    firmware_version = serializers.CharField(source="cpl_entry.firmware_version", read_only=True)
    cpl_status = serializers.CharField(source="cpl_entry.status", read_only=True)
    hub = serializers.SlugRelatedField(slug_field="device_id", read_only=True)

    class Meta:
        model = Device
        fields = ["device_id", "device_type", "status", "smets_version", "manufacturer", "model",
                  "hardware_version", "firmware_version", "cpl_status", "hub", "prenotifying_supplier",
                  "responsible_supplier", "mpxn", "uprn", "csp_region"]
