"""Forms for the incident pages. They only shape input; the rules are in ``incidents.services``."""
from __future__ import annotations

from django import forms

from incidents.choices import IncidentState
from incidents.services import BULK_UPLOAD_TOO_LARGE
from portal.csv_upload import MAX_UPLOAD_MB, upload_too_large
from portal.eui64 import EUI64_EXAMPLE
from portal.models import Party


class RaiseInstallCodeRequestForm(forms.Form):
    device_id = forms.CharField(
        label="Device ID", max_length=40,
        help_text=f"EUI-64: 8 hex pairs separated by dashes, e.g. {EUI64_EXAMPLE}. "
                  "The device must be Pending, Whitelisted or Installed not commissioned.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "class": "mono"}),
    )


class NoteForm(forms.Form):
    body = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    install_code = forms.CharField(
        label="Install code", required=False, max_length=64,
        help_text="Assignee only. 12 to 32 hexadecimal characters (6 to 16 bytes, as in SRV 8.11). "
                  "Stored encrypted; shown only to the two parties.",
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "class": "mono"}),
    )


class NotInstallingForm(forms.Form):
    body = forms.CharField(label="Comment (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CloseForm(forms.Form):
    reason = forms.CharField(label="Reason (optional)", required=False, max_length=250)


class ReassignForm(forms.Form):
    to_party = forms.ModelChoiceField(
        label="Assign to supplier", queryset=Party.objects.none(), to_field_name="code",
        empty_label="Choose a supplier",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_party"].queryset = Party.objects.filter(
            roles__overlap=["IS", "ES", "GS"]).order_by("code").only("id", "code", "name")


class BulkUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file", help_text=f"A header row with a device_id column, then one Device ID per row "
                                    f"(e.g. {EUI64_EXAMPLE}). Up to 100,000 rows and {MAX_UPLOAD_MB} MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        refusal = upload_too_large(upload.size, advice=BULK_UPLOAD_TOO_LARGE)
        if refusal:
            raise forms.ValidationError(refusal)
        return upload


STATE_FILTER_CHOICES = [("", "Any state"), ("open", "Open (not closed)"), *IncidentState.choices]


class IncidentFilterForm(forms.Form):
    state = forms.ChoiceField(label="State", choices=STATE_FILTER_CHOICES, required=False)
    overdue = forms.ChoiceField(
        label="Due", required=False, choices=[("", "Any"), ("true", "Overdue only"), ("false", "Not overdue")],
    )
    device_id = forms.CharField(label="Device ID", required=False, max_length=40,
                                widget=forms.TextInput(attrs={"placeholder": EUI64_EXAMPLE, "class": "mono"}))
