"""Device forms: the inventory list's filters, and the SSMI forms for MP202: pre-notify a device (SRV 12.2)
and join a device to a hub (SRV 8.11). Rules live in ``inventory.services.devices``; these only shape the input.

``DeviceFilterForm``, the base form of ``DeviceFilterSet``, lives beside it in ``inventory.filtersets.devices``
(re-exported here), so filter sets never import the forms package, which reads the services' choices.
"""
from __future__ import annotations

from django import forms

from inventory.choices import CSPRegion, DeviceType, SmetsVersion
from inventory.filtersets.devices import DeviceFilterForm  # noqa: F401 (re-exported)
from portal.eui64 import EUI64_EXAMPLE
from portal.forms import PortalForm


class DevicePrenotifyForm(PortalForm):
    device_id = forms.CharField(max_length=23, label="Device ID", help_text=f"EUI-64, e.g. {EUI64_EXAMPLE}.")
    device_type = forms.ChoiceField(choices=DeviceType.choices, label="Device type")
    manufacturer = forms.CharField(max_length=30, label="Manufacturer")
    model = forms.CharField(max_length=30, label="Model")
    hardware_version = forms.CharField(
        max_length=16, required=False, label="Hardware version",
        help_text="Optional: narrows the CPL match when the model has several hardware versions.",
    )
    firmware_version = forms.CharField(max_length=8, label="Firmware version")
    smets_version = forms.ChoiceField(
        choices=SmetsVersion.choices, label="SMETS version",
        help_text="A dual-mode PPMID takes its hub's SMETS version when it joins, whatever is pre-notified here.",
    )
    mpxn = forms.CharField(max_length=13, required=False, label="MPxN", help_text="MPAN (13 digits) or MPRN.")
    uprn = forms.CharField(max_length=12, required=False, label="UPRN")
    postcode = forms.CharField(max_length=8, required=False, label="Postcode")
    csp_region = forms.ChoiceField(
        choices=[("", "Not known yet"), *CSPRegion.choices], required=False, label="CSP region",
    )


class DeviceJoinForm(PortalForm):
    hub_id = forms.CharField(
        max_length=23, label="Hub (CHF) Device ID", help_text=f"The Communications Hub Function, e.g. {EUI64_EXAMPLE}.",
    )
