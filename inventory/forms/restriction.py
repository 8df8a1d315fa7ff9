"""Forms for the MP169 pages (set or clear one meter, bulk upload). They only shape input; every rule is
checked by the services."""
from __future__ import annotations

from django import forms

from inventory.services.restriction import BULK_COLUMNS, REASON_CHOICES, restriction_request_errors
from portal.csv_upload import upload_too_large
from portal.forms import PortalForm

#: The "Other" reason: the details say what it is.
OTHER_REASON = "other"


class RestrictionForm(PortalForm):
    """Set or clear Restricted on one meter: the wanted state, a reason and the attestation.

    Nothing is pre-selected (GOV.UK radios): the supplier says which state the meter is to be in. Every
    problem with the answers is reported at once (``restriction_request_errors``, the service's own list),
    so a supplier never finds the reason and the attestation missing one submit after the other.
    """

    restricted = forms.TypedChoiceField(
        label="Restricted mode", widget=forms.RadioSelect, coerce=lambda value: value == "true",
        choices=[("true", "Restricted: consumption reads refused"), ("false", "Not restricted")],
        error_messages={"required": "Select whether the meter is to be restricted or not restricted"},
    )
    reason_choice = forms.ChoiceField(
        label="Reason", widget=forms.RadioSelect, choices=[*REASON_CHOICES, (OTHER_REASON, "Other reason")],
        error_messages={"required": "Select the reason for the change, or choose Other reason and describe it"},
    )
    reason_detail = forms.CharField(
        label="Details", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Anything the record should say beyond the reason above. Required if you chose Other reason.",
    )
    all_reasonable_steps_taken = forms.BooleanField(
        label="All reasonable steps to install a fully communicating smart meter were taken", required=False,
        help_text="Required to set Restricted mode (MP169).",
    )

    def __init__(self, *args, currently_restricted: bool = False, **kwargs) -> None:
        self.currently_restricted = currently_restricted
        super().__init__(*args, **kwargs)

    def clean(self) -> dict:
        data = super().clean()
        choice, detail = data.get("reason_choice", ""), (data.get("reason_detail") or "").strip()
        other_without_detail = choice == OTHER_REASON and not detail
        if other_without_detail and "reason_detail" not in self.errors:
            self.add_error("reason_detail", "Describe the reason in Details, as you chose Other reason")
        problems = restriction_request_errors(restricted=data.get("restricted"), reason=self.reason(),
                                              attested=bool(data.get("all_reasonable_steps_taken")))
        if "reason" in problems and not (other_without_detail or "reason_choice" in self.errors):
            self.add_error("reason_choice", self.fields["reason_choice"].error_messages["required"])
        if "all_reasonable_steps_taken" in problems:
            self.add_error("all_reasonable_steps_taken", "Confirm that all reasonable steps to install a fully "
                                                         "communicating smart meter were taken, to set Restricted mode")
        return data

    def reason(self) -> str:
        """The reason recorded in the audit trail: the chosen reason and the details, either may be blank."""
        choice = self.cleaned_data.get("reason_choice", "")
        parts = ["" if choice == OTHER_REASON else choice, (self.cleaned_data.get("reason_detail") or "").strip()]
        return ": ".join(part for part in parts if part)


class RestrictionBulkUploadForm(PortalForm):
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
