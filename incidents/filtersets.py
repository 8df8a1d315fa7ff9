"""Incident filters shared by the incident list page and the REST list (``GET /api/v1/incidents/``).

One set of rules for both (``IncidentFilterForm`` holds the checks): the API answers the first refused
filter with its ``DomainError`` (400); the page shows each refusal as a message and ignores that filter.
The queue (raised by us, assigned to us, service desk) is the page's scope, chosen before filtering
(``incidents.selectors.incident_queue``). Every filter follows an index of ``Incident.Meta.indexes``.
"""
from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet

from incidents.choices import IncidentState
from incidents.forms import OVERDUE_FILTER_CHOICES, STATE_FILTER_CHOICES, IncidentFilterForm
from incidents.models import Incident
from incidents.selectors import SERVICE_DESK, overdue_q
from portal.errors import DomainError
from portal.eui64 import EUI64_EXAMPLE
from portal.models import DCC_PARTY_CODE


class ValueAsGivenField(forms.CharField):
    """The value as the client sent it - not stripped, no field-level validators (such as Django's "Null
    characters are not allowed."): ``IncidentFilterForm`` checks it, with the message the API documents."""

    def __init__(self, **kwargs):
        kwargs.setdefault("strip", False)
        super().__init__(**kwargs)
        self.validators = []


class ValueAsGivenFilter(django_filters.CharFilter):
    field_class = ValueAsGivenField


class IncidentFilterSet(django_filters.FilterSet):
    """``state`` (an ``IncidentState`` or ``open``), ``overdue`` (true/false, ``incidents.selectors.overdue_q``),
    ``device_id`` (EUI-64, any case), ``assigned_to`` (a party code or ``dcc_service_desk``), ``raised_by``
    (a party code). Declared in the order the API checks them: the first refusal is its answer."""

    state = ValueAsGivenFilter(label="State", method="filter_state", widget=forms.Select(choices=STATE_FILTER_CHOICES))
    overdue = ValueAsGivenFilter(label="Due", method="filter_overdue",
                                 widget=forms.Select(choices=OVERDUE_FILTER_CHOICES))
    device_id = ValueAsGivenFilter(
        label="Device ID", field_name="device__device_id", distinct=False,
        widget=forms.TextInput(attrs={"placeholder": EUI64_EXAMPLE, "class": "mono", "maxlength": "40"}),
    )
    assigned_to = ValueAsGivenFilter(label="Assigned to", field_name="assigned_party__code", distinct=False,
                                     method="filter_assigned_to")
    raised_by = ValueAsGivenFilter(label="Raised by", field_name="raised_by__code", distinct=False)

    class Meta:
        model = Incident
        form = IncidentFilterForm
        fields: list[str] = []

    @property
    def refusals(self) -> list[DomainError]:
        """Why each refused filter is refused, in the API's order (empty when all are valid or none given)."""
        self.errors  # noqa: B018 - validates the form
        return list(self.form.refusals.values())

    def checked_qs(self) -> QuerySet[Incident]:
        """The filtered incidents, or the first refusal raised (what the API answers: 400)."""
        for refusal in self.refusals:
            raise refusal
        return self.qs

    def filter_state(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        if value == "open":
            return queryset.exclude(state=IncidentState.CLOSED)
        return queryset.filter(state=value)

    def filter_overdue(self, queryset: QuerySet[Incident], name: str, value: bool) -> QuerySet[Incident]:
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())

    def filter_assigned_to(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        return queryset.filter(assigned_party__code=DCC_PARTY_CODE if value == SERVICE_DESK else value)
