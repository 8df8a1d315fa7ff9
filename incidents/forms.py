"""Forms for the incident pages. They only shape input; the rules are in ``incidents.services``."""
from __future__ import annotations

from django import forms

from incidents.choices import IncidentState
from incidents.services import BULK_UPLOAD_TOO_LARGE
from portal.csv_upload import MAX_UPLOAD_MB, upload_too_large
from portal.errors import DomainError, ValidationFailed
from portal.eui64 import EUI64_EXAMPLE, normalise_device_id
from portal.forms import PortalForm
from portal.models import Party
from portal.text import unstorable_reason


class UniqueIdsForm(PortalForm):
    """Field ids start with ``id_prefix`` (``answer_body``, ``note_body``): one page holds several forms whose
    fields share names, and two elements with one id send a label to the wrong box (#19.8). Names stay."""

    id_prefix = "id"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class RaiseInstallCodeRequestForm(PortalForm):
    device_id = forms.CharField(
        label="Device ID", max_length=40,
        help_text=f"EUI-64: 8 hex pairs separated by dashes, e.g. {EUI64_EXAMPLE}. "
                  "The device must be Pending, Whitelisted or Installed not commissioned.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "class": "mono"}),
    )


class NoteForm(UniqueIdsForm):
    id_prefix = "note"
    body = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    install_code = forms.CharField(
        label="Install code", required=False, max_length=64,
        help_text="Assignee only. 12 to 32 hexadecimal characters (6 to 16 bytes, as in SRV 8.11). "
                  "Stored encrypted; shown only to the two parties.",
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "class": "mono"}),
    )


class AnswerForm(UniqueIdsForm):
    """#19.8: the assignee's one question, "Are you the installing supplier?", revealing the right field.

    GOV.UK question page with conditionally revealed radios; every problem is reported at once.
    """

    id_prefix = "answer"
    is_installer = forms.ChoiceField(
        label="Are you the installing supplier?", choices=[("yes", "Yes, we installed it"),
                                                           ("no", "No, we are not the installing supplier")],
        widget=forms.RadioSelect, required=False,
    )
    install_code = forms.CharField(
        label="Install code", required=False, max_length=200,
        help_text="12 to 32 hexadecimal characters (6 to 16 bytes, as in SRV 8.11), spaces or dashes allowed. "
                  "Stored encrypted; shown only to the two parties.",
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false", "class": "mono",
                                          "autocapitalize": "none"}, render_value=True),
    )
    body = forms.CharField(label="Comment for the requester (optional)", required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        data = super().clean()
        choice = data.get("is_installer")
        if choice not in ("yes", "no"):
            self.add_error("is_installer", "Select yes if you are the installing supplier, or no if you are not")
        elif choice == "yes" and not (data.get("install_code") or "").strip():
            self.add_error("install_code", "Enter the install code")
        return data


class ReopenForm(UniqueIdsForm):
    id_prefix = "reopen"
    reason = forms.CharField(label="Why are you reopening the request?", required=False,
                             help_text="For example, \"the code did not work\". You can reopen a request once.",
                             widget=forms.Textarea(attrs={"rows": 2}))


class NotInstallingForm(UniqueIdsForm):
    id_prefix = "not_installing"
    body = forms.CharField(label="Comment (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CloseForm(UniqueIdsForm):
    id_prefix = "close"
    reason = forms.CharField(label="Reason (optional)", required=False, max_length=250)


class ReassignForm(UniqueIdsForm):
    id_prefix = "reassign"
    to_party = forms.ModelChoiceField(
        label="Assign to supplier", queryset=Party.objects.none(), to_field_name="code",
        empty_label="Choose a supplier",
        error_messages={"required": "Select the supplier to assign the incident to",
                        "invalid_choice": "Select the supplier to assign the incident to from the list"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_party"].queryset = Party.objects.filter(
            roles__overlap=["IS", "ES", "GS"]).order_by("code").only("id", "code", "name")


class BulkUploadForm(PortalForm):
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


#: What ``?state=`` accepts: an ``IncidentState`` or ``open`` (any state but closed).
STATE_FILTER_VALUES = ("open", *IncidentState.values)
STATE_FILTER_CHOICES = [("", "Any state"), ("open", "Open (not closed)"), *IncidentState.choices]
OVERDUE_FILTER_CHOICES = [("", "Any"), ("true", "Overdue only"), ("false", "Not overdue")]


class IncidentFilterForm(forms.Form):
    """The checks of the incident list's filters, for the page and the API alike (the fields are declared
    by ``incidents.filtersets.IncidentFilterSet``, as ``DeviceFilterForm`` does for devices).

    A refused value is kept as the ``DomainError`` the API answers (``refusals``, in the order the API
    has always checked them); the page shows its ``detail`` and ignores that filter.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.refusals: dict[str, DomainError] = {}

    def _refuse(self, name: str, error: DomainError) -> forms.ValidationError:
        self.refusals[name] = error
        return forms.ValidationError(error.detail, code=error.code)

    def clean_state(self) -> str:
        value = self.cleaned_data.get("state") or ""
        if value and value not in STATE_FILTER_VALUES:
            raise self._refuse("state", ValidationFailed(f"Unknown state '{value[:40]}'.", errors={"state": [
                f"One of: open, {', '.join(IncidentState.values)}."]}))
        return value

    def clean_overdue(self) -> bool | None:
        value = (self.cleaned_data.get("overdue") or "").lower()
        if value not in ("", "true", "false"):
            raise self._refuse("overdue", ValidationFailed("overdue must be true or false.",
                                                           errors={"overdue": ["true or false."]}))
        return {"true": True, "false": False}.get(value)

    def clean_device_id(self) -> str:
        value = self.cleaned_data.get("device_id") or ""
        if not value:
            return ""
        try:
            return normalise_device_id(value)
        except ValidationFailed as error:
            raise self._refuse("device_id", error) from error

    def _clean_party_code(self, name: str) -> str:
        value = self.cleaned_data.get(name) or ""
        reason = unstorable_reason(value)
        if reason:  # the database would refuse the query
            raise self._refuse(name, ValidationFailed(
                f"The {name} filter {reason}: no incident can match it.", code="bad_characters",
                errors={name: [f"Remove the character: the filter {reason}."]}))
        return value

    def clean_assigned_to(self) -> str:
        return self._clean_party_code("assigned_to")

    def clean_raised_by(self) -> str:
        return self._clean_party_code("raised_by")


class DepositForm(PortalForm):
    device_id = forms.CharField(label="Device ID", max_length=60, help_text=f"For example {EUI64_EXAMPLE}.",
                                widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false",
                                                              "class": "mono"}))
    install_code = forms.CharField(label="Install code", max_length=200,
                                   help_text="12 to 32 hexadecimal characters. Stored encrypted.",
                                   widget=forms.PasswordInput(attrs={"autocomplete": "off", "class": "mono"},
                                                              render_value=True))


class DepositUploadForm(PortalForm):
    file = forms.FileField(label="CSV file", help_text="A header row device_id,install_code, then one device per row.",
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))


class ContactsForm(PortalForm):
    operational_email = forms.CharField(label="MP121 contact address", required=False, max_length=400,
                                        help_text="Install code requests assigned to you are emailed here.",
                                        widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    escalation_email = forms.CharField(label="Escalation address", required=False, max_length=400,
                                       help_text="Requests not answered in 10 working days are escalated here.",
                                       widget=forms.EmailInput(attrs={"autocomplete": "email"}))
