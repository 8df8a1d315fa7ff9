"""Device filters shared by the SSI list page, the REST list and the streamed extract.

Every filter is an indexed equality (see ``Device.Meta.indexes``); ``q`` matches a Device ID,
an MPxN, a UPRN or a postcode exactly, so a search never scans the inventory.
"""
from __future__ import annotations

import re

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from inventory.choices import CSPRegion, DeviceStatus, DeviceType, PaymentMode, SmetsVersion
from inventory.models import Device
from inventory.postcodes import normalise_postcode
from portal.errors import ValidationFailed
from portal.eui64 import is_device_id, normalise_device_id
from portal.models import Party

BARE_EUI64 = re.compile(r"^[0-9A-Fa-f]{16}$")


def search_device_id(text: str) -> str | None:
    """The canonical Device ID a search names (any case, with or without dashes), else None."""
    text = text.strip()
    if BARE_EUI64.match(text):
        text = "-".join(text[i:i + 2] for i in range(0, 16, 2))
    return normalise_device_id(text) if is_device_id(text) else None


def device_search_q(text: str) -> Q:
    """One search box: a Device ID (any case, with or without dashes), else MPxN, UPRN or postcode."""
    device_id = search_device_id(text)
    if device_id is not None:
        return Q(device_id=device_id)
    text = text.strip()
    return Q(mpxn=text) | Q(uprn=text) | Q(postcode=normalise_postcode(text))


def supplier_parties() -> QuerySet[Party]:
    return Party.objects.filter(roles__overlap=["IS", "ES", "GS"]).order_by("name")



class DeviceFilterForm(forms.Form):
    """The base form of ``DeviceFilterSet``: the same validation serves the SSI list page (errors beside the
    field) and the REST API (400 with the error shape)."""

    def clean_device_id(self) -> str:
        value = self.cleaned_data.get("device_id") or ""
        if not value:
            return ""
        try:
            return normalise_device_id(value)
        except ValidationFailed as error:
            raise forms.ValidationError(error.detail, code=error.code) from error

class DeviceFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search", method="filter_q", help_text="Device ID, MPxN, UPRN or postcode (exact).",
    )
    device_id = django_filters.CharFilter(label="Device ID", help_text="EUI-64, e.g. 00-DB-12-34-56-78-90-A0.")
    device_type = django_filters.ChoiceFilter(label="Device type", choices=DeviceType.choices, empty_label="Any")
    status = django_filters.ChoiceFilter(label="SMI status", choices=DeviceStatus.choices, empty_label="Any")
    smets_version = django_filters.ChoiceFilter(label="SMETS version", choices=SmetsVersion.choices, empty_label="Any")
    csp_region = django_filters.ChoiceFilter(label="CSP region", choices=CSPRegion.choices, empty_label="Any")
    restricted = django_filters.ChoiceFilter(
        label="Restricted", choices=[("true", "Yes"), ("false", "No")], empty_label="Any", method="filter_restricted",
        help_text="MP169: consumption reads refused (true or false).",
    )
    payment_mode = django_filters.ChoiceFilter(
        label="Payment mode", choices=PaymentMode.choices, empty_label="Any",
        help_text="Only credit meters can be restricted (MP169).",
    )
    responsible_supplier = django_filters.ModelChoiceFilter(
        label="Responsible supplier", queryset=supplier_parties(), empty_label="Any", distinct=False,
        help_text="The supplier registered for the MPxN now (the API takes its party id).",
    )
    mpxn = django_filters.CharFilter(label="MPxN")
    uprn = django_filters.CharFilter(label="UPRN")

    class Meta:
        model = Device
        form = DeviceFilterForm
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Device], name: str, value: str) -> QuerySet[Device]:
        return queryset.filter(device_search_q(value)) if value.strip() else queryset

    def filter_restricted(self, queryset: QuerySet[Device], name: str, value: str) -> QuerySet[Device]:
        return queryset.filter(restricted=(value == "true"))
