"""CPL maintenance forms (DCC service desk). Rules live in ``inventory.services.cpl``."""
from __future__ import annotations

from django import forms

from inventory.choices import CPLStatus, DeviceType, SmetsVersion
from portal.forms import PortalForm


class CPLEntryAddForm(PortalForm):
    device_type = forms.ChoiceField(choices=DeviceType.choices, label="Device type")
    manufacturer = forms.CharField(max_length=30, label="Manufacturer")
    model = forms.CharField(max_length=30, label="Model")
    hardware_version = forms.CharField(max_length=16, label="Hardware version")
    firmware_version = forms.CharField(
        max_length=8, label="Firmware version",
        help_text="A dual-mode PPMID is listed twice with the same firmware version: once per SMETS version.",
    )
    smets_version = forms.ChoiceField(choices=SmetsVersion.choices, label="SMETS version")
    status = forms.ChoiceField(choices=CPLStatus.choices, initial=CPLStatus.ACTIVE, label="Status")


class CPLStatusForm(PortalForm):
    status = forms.ChoiceField(choices=CPLStatus.choices, label="New status")
