"""Filters of the CPL page and ``GET /api/v1/cpl/`` (one definition for both)."""
from __future__ import annotations

import django_filters
from django import forms

from inventory.choices import CPLStatus, DeviceType, SmetsVersion
from inventory.models import CPLEntry


class CPLEntryFilterSet(django_filters.FilterSet):
    device_type = django_filters.ChoiceFilter(choices=DeviceType.choices, label="Device type", empty_label="Any")
    manufacturer = django_filters.CharFilter(lookup_expr="iexact", label="Manufacturer")
    model = django_filters.CharFilter(lookup_expr="iexact", label="Model")
    status = django_filters.ChoiceFilter(choices=CPLStatus.choices, label="Status", empty_label="Any")
    smets_version = django_filters.ChoiceFilter(choices=SmetsVersion.choices, label="SMETS version", empty_label="Any")
    dual_mode = django_filters.BooleanFilter(
        label="Dual-mode only", method="filter_dual_mode",
        widget=forms.Select(choices=[("", "Any"), ("true", "Yes"), ("false", "No")]),
    )

    class Meta:
        model = CPLEntry
        fields = ["device_type", "manufacturer", "model", "status", "smets_version", "dual_mode"]

    def filter_dual_mode(self, queryset, name, value):
        # ``dual_mode`` is the annotation of ``cpl_entry_list()``.
        return queryset if value is None else queryset.filter(dual_mode=value)
