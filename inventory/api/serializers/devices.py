"""Serializers of the REST devices API: a device in the list, one device with its SMS, and the MP202
device endpoints (pre-notify, join). Rules live in the services; these only shape input and output."""
from __future__ import annotations

import datetime

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inventory.choices import CSPRegion, DeviceType, SmetsVersion
from inventory.models import Device
from portal.eui64 import EUI64_EXAMPLE


class DeviceSerializer(serializers.ModelSerializer):
    """A device as in the SSI inventory (API.md fields plus postcode, hub, payment mode)."""

    manufacturer = serializers.CharField(source="cpl_entry.manufacturer", read_only=True)
    model = serializers.CharField(source="cpl_entry.model", read_only=True)
    hardware_version = serializers.CharField(source="cpl_entry.hardware_version", read_only=True)
    firmware_version = serializers.CharField(source="cpl_entry.firmware_version", read_only=True)
    cpl_status = serializers.CharField(source="cpl_entry.status", read_only=True)
    responsible_supplier = serializers.IntegerField(
        source="responsible_supplier_id", read_only=True, allow_null=True, help_text="Party id.",
    )
    responsible_supplier_code = serializers.SerializerMethodField(help_text="Party code of the responsible supplier.")
    restricted_since = serializers.DateTimeField(read_only=True, allow_null=True, default_timezone=datetime.UTC)
    hub_id = serializers.SerializerMethodField(help_text="Device ID of the hub (CHF) this device is joined to.")

    class Meta:
        model = Device
        fields = [
            "device_id", "device_type", "status", "smets_version", "manufacturer", "model", "hardware_version",
            "firmware_version", "cpl_status", "mpxn", "uprn", "postcode", "csp_region", "responsible_supplier",
            "responsible_supplier_code", "restricted", "restricted_since", "date_commissioned", "hub_id",
            "payment_mode",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_responsible_supplier_code(self, device: Device) -> str | None:
        return device.responsible_supplier.code if device.responsible_supplier_id else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_hub_id(self, device: Device) -> str | None:
        if hasattr(device, "hub_device_id"):  # annotated by list queries (no per-row lookup)
            return device.hub_device_id
        return device.hub.device_id if device.hub_id else None


class SmsMemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = ["device_id", "device_type", "status", "smets_version", "restricted"]
        read_only_fields = fields


class SmsSerializer(serializers.Serializer):
    hub = SmsMemberSerializer(allow_null=True, help_text="The Communications Hub Function, if visible to you.")
    devices = SmsMemberSerializer(many=True, help_text="Devices joined to the hub that you may see.")
    restricted_in_sms = serializers.BooleanField(
        help_text="A device joined to the hub that you may see is Restricted (R169-17): a quiet hub is not a fault.")


class DeviceDetailSerializer(DeviceSerializer):
    """One device with the hub and devices of its Smart Metering System."""

    prenotifying_supplier = serializers.IntegerField(source="prenotifying_supplier_id", read_only=True, allow_null=True)
    network_operator = serializers.IntegerField(source="network_operator_id", read_only=True, allow_null=True)
    sms = serializers.SerializerMethodField()

    class Meta(DeviceSerializer.Meta):
        fields = [
            *DeviceSerializer.Meta.fields, "prenotifying_supplier", "network_operator", "load_management",
            "network_managed_no_wan", "address_identifier", "sms",
        ]
        read_only_fields = fields

    @extend_schema_field(SmsSerializer)
    def get_sms(self, device: Device) -> dict:
        hub, members = self.context["sms"]
        restricted = any(member.restricted for member in members)
        return SmsSerializer({"hub": hub, "devices": members, "restricted_in_sms": restricted}).data


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
