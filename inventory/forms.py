"""Forms of the inventory pages.

``DeviceFilterForm`` is the base form of ``DeviceFilterSet``: the same validation serves the
SSI list page (errors shown next to the field) and the REST API (400 with the error shape).
"""
from __future__ import annotations

from django import forms

from portal.errors import ValidationFailed
from portal.eui64 import normalise_device_id


class DeviceFilterForm(forms.Form):
    def clean_device_id(self) -> str:
        value = self.cleaned_data.get("device_id") or ""
        if not value:
            return ""
        try:
            return normalise_device_id(value)
        except ValidationFailed as error:
            raise forms.ValidationError(error.detail, code=error.code) from error
