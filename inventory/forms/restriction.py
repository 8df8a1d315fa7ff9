"""Forms for the MP169 pages (set or clear one meter, bulk upload). They only shape input; every rule is
checked by the services."""
from __future__ import annotations

from django import forms

from inventory.services.restriction import BULK_COLUMNS, REASON_CHOICES
from portal.csv_upload import upload_too_large

OTHER_REASON = ""


class RestrictionForm(forms.Form):
    """Set or clear Restricted on one meter: the wanted state, a reason and the attestation."""

    restricted = forms.TypedChoiceField(
        label="Restricted mode", widget=forms.RadioSelect, coerce=lambda value: value == "true",
        choices=[("true", "Restricted: consumption reads refused"), ("false", "Not restricted")],
    )
    reason_choice = forms.ChoiceField(
        label="Reason", required=False, choices=[*REASON_CHOICES, (OTHER_REASON, "Other (describe below)")],
    )
    reason_detail = forms.CharField(
        label="Details", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Anything the record should say beyond the reason above (required for 'Other').",
    )
    all_reasonable_steps_taken = forms.BooleanField(
        label="All reasonable steps to install a fully communicating smart meter were taken", required=False,
        help_text="Required to set Restricted mode.",
    )

    def __init__(self, *args, currently_restricted: bool = False, **kwargs) -> None:
        kwargs.setdefault("initial", {"restricted": "false" if currently_restricted else "true"})
        super().__init__(*args, **kwargs)

    def reason(self) -> str:
        """The reason recorded in the audit trail: the chosen reason and the details, either may be blank."""
        parts = [self.cleaned_data.get("reason_choice", ""), self.cleaned_data.get("reason_detail", "").strip()]
        return ": ".join(part for part in parts if part)


class RestrictionBulkUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=f"UTF-8 CSV with the header row {','.join(BULK_COLUMNS)}; one meter per row.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        refusal = upload_too_large(upload.size, advice="Nothing was changed.")
        if refusal:
            raise forms.ValidationError(refusal)
        return upload


class RestrictionServiceCentreForm(forms.Form):
    """R169-15: the DCC Service Centre records a supplier's request (question page; the rules are the service's)."""

    supplier = forms.CharField(
        label="Supplier you act for", max_length=20,
        help_text="The party code of the supplier that asked, e.g. SUPA. It must be the Responsible Supplier.",
        error_messages={"required": "Enter the party code of the supplier you act for."},
    )
    supplier_reference = forms.CharField(
        label="Supplier's request reference", max_length=64,
        error_messages={"required": "Enter the supplier's request reference."},
    )
    restricted = forms.TypedChoiceField(
        label="What did the supplier ask for?", widget=forms.RadioSelect, coerce=lambda value: value == "true",
        choices=[("true", "Set Restricted mode"), ("false", "Clear Restricted mode")],
        error_messages={"required": "Select whether the supplier asked to set or to clear Restricted mode."},
    )
    reason = forms.CharField(
        label="Reason the supplier gave", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Enter the reason the supplier gave."},
    )
    all_reasonable_steps_taken = forms.BooleanField(
        label="The supplier attests that all reasonable steps to install a fully communicating smart meter were taken",
        required=False, help_text="Required to set Restricted mode. The attestation is the supplier's, not the DCC's.",
    )
    attestation_given_by = forms.ChoiceField(
        label="How did the supplier give it?", widget=forms.RadioSelect, required=False,
        choices=[("phone", "By phone"), ("email", "By email")],
    )
