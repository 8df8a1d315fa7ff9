"""Gateway page forms: log filters and the DCC's allow-list edits."""
from __future__ import annotations

import datetime as dt

from django import forms

from gateway.choices import AllowList, ResponseCode
from gateway.selectors import LogFilters
from portal.errors import ValidationFailed
from portal.eui64 import EUI64_EXAMPLE, normalise_device_id
from portal.models import Party

RESTRICTED_CHOICES = [("", "Any"), ("true", "Restricted"), ("false", "Not restricted")]
#: The days a log filter may name. A day is searched as [its midnight, the next midnight), so the last day of
#: the calendar (9999-12-31) has no end to search to; and the log holds nothing from before DCC go-live.
LOG_DATE_RANGE = (dt.date(2000, 1, 1), dt.date(2099, 12, 31))


class LogDateField(forms.DateField):
    """A day within ``LOG_DATE_RANGE``; outside it, a form error rather than an overflow."""

    def validate(self, value: dt.date | None) -> None:
        super().validate(value)
        earliest, latest = LOG_DATE_RANGE
        if value is not None and not earliest <= value <= latest:
            raise forms.ValidationError(f"Choose a day from {earliest:%d %b %Y} to {latest:%d %b %Y}.", code="out_of_range")


class _LogFilterBase(forms.Form):
    # Hints, not placeholders: a placeholder example reads as a value already entered (issue 19).
    device_id = forms.CharField(label="Device ID", required=False, max_length=40,
                                help_text=f"For example, {EUI64_EXAMPLE}")
    date_from = LogDateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = LogDateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    restricted = forms.ChoiceField(label="Restricted at the time", required=False, choices=RESTRICTED_CHOICES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if field.help_text:  # the hint _filters.html writes under the label
                field.widget.attrs.setdefault("aria-describedby", f"{self[name].id_for_label}-hint")

    def clean_device_id(self) -> str:
        value = self.cleaned_data["device_id"]
        if not value:
            return ""
        try:
            return normalise_device_id(value)
        except ValidationFailed as error:
            raise forms.ValidationError(error.detail) from error

    def filters(self) -> LogFilters:
        data = self.cleaned_data if self.is_valid() else {}
        restricted = {"true": True, "false": False}.get(data.get("restricted") or "")
        return LogFilters(
            srv=data.get("srv", ""), device_id=data.get("device_id", ""),
            party=data["party"].pk if data.get("party") else None, response_code=data.get("response_code", ""),
            alert_code=data.get("alert_code", ""), date_from=data.get("date_from"), date_to=data.get("date_to"),
            restricted=restricted,
        )


class ServiceRequestLogFilterForm(_LogFilterBase):
    srv = forms.CharField(label="SRV", required=False, max_length=10, help_text="For example, 4.1.1")
    response_code = forms.ChoiceField(label="Response code", required=False,
                                      choices=[("", "Any"), *ResponseCode.choices])
    party = forms.ModelChoiceField(label="Party", required=False, queryset=Party.objects.order_by("code"),
                                   empty_label="Any", to_field_name="pk")

    field_order = ["srv", "device_id", "party", "response_code", "date_from", "date_to", "restricted"]

    def __init__(self, *args, show_party: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not show_party:
            del self.fields["party"]


class AlertLogFilterForm(_LogFilterBase):
    alert_code = forms.CharField(label="Alert code", required=False, max_length=4, help_text="For example, 8F3E")

    field_order = ["alert_code", "device_id", "date_from", "date_to", "restricted"]


class AllowListEditForm(forms.Form):
    allow_list = forms.ChoiceField(choices=AllowList.choices, widget=forms.HiddenInput)
    item = forms.CharField(max_length=10, widget=forms.HiddenInput)
    allowed = forms.TypedChoiceField(choices=[("true", "Allow"), ("false", "Refuse")], coerce=lambda v: v == "true",
                                     widget=forms.HiddenInput)
    reason = forms.CharField(label="Reason", required=False, max_length=250)
