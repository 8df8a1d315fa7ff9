"""Portal-wide forms, and the error wording every form in the portal uses.

``PortalForm`` (or ``ErrorMessagesMixin`` on a form with another base) replaces Django's generic messages
("This field is required.") with ones that say what to do, as the GOV.UK Design System's error-message
guidance asks: "Enter the manufacturer", "Select the device type", "Model must be 30 characters or fewer".
A field's own ``error_messages`` (set on the field) win over these defaults.
"""
from __future__ import annotations

from django import forms
from django.core.validators import MaxLengthValidator, MinLengthValidator

#: Names of things that keep their capitals inside a sentence ("Enter the Device ID").
KEEP_CAPITALS = ("Device ID", "Hub", "MPxN", "UPRN", "CSP", "SMETS", "CSV", "DUIS", "SRV", "User ID")


def _lower_first(text: str) -> str:
    """'Device type' -> 'device type', but 'SMETS version', 'CSV file' and 'Device ID' keep their capitals."""
    if text.startswith(KEEP_CAPITALS) or (len(text) > 1 and text[:2].isupper()):
        return text
    return text[:1].lower() + text[1:]


def _name(field: forms.Field, name: str) -> str:
    label = str(field.label or name.replace("_", " ").capitalize())
    return label.rstrip(" :").removesuffix(" (optional)")


def field_error_messages(field: forms.Field, name: str) -> dict[str, str]:
    """The default messages for one field, from its label and kind."""
    label = _name(field, name)
    what = _lower_first(label)
    messages: dict[str, str] = {}
    if isinstance(field, forms.FileField):
        messages["required"] = f"Choose the {what} to upload"
        messages["empty"] = f"The {what} you chose is empty: choose a file with rows in it"
        messages["invalid"] = f"The {what} could not be read: choose the file again"
    elif isinstance(field, forms.BooleanField):
        messages["required"] = f"Confirm that {what[:1].lower() + what[1:]}"
    elif isinstance(field, (forms.ChoiceField, forms.ModelChoiceField)):
        messages["required"] = f"Select the {what}"
        messages["invalid_choice"] = f"Select the {what} from the list"
    else:
        messages["required"] = f"Enter the {what}"
    if getattr(field, "max_length", None):
        messages["max_length"] = f"{label} must be {field.max_length} characters or fewer"
    if getattr(field, "min_length", None):
        messages["min_length"] = f"{label} must be {field.min_length} characters or more"
    return messages


class ErrorMessagesMixin:
    """Put messages that say what to do on every field of the form (see the module docstring)."""

    #: Per-field messages a form wants instead of the defaults: ``{"field": {"required": "..."}}``.
    custom_error_messages: dict[str, dict[str, str]] = {}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            defaults = field_error_messages(field, name)
            declared = type(self).base_fields.get(name)
            # Keep the messages a field declares itself (those that differ from Django's own defaults).
            django_defaults: dict = {}
            for cls in reversed(type(field).__mro__):
                django_defaults.update(getattr(cls, "default_error_messages", {}))
            own = {key: value for key, value in (declared.error_messages if declared else {}).items()
                   if django_defaults.get(key) != value}
            field.error_messages = {**field.error_messages, **defaults, **own,
                                    **self.custom_error_messages.get(name, {})}
            _relabel_length_validators(field, defaults)


def _relabel_length_validators(field: forms.Field, messages: dict[str, str]) -> None:
    """Django's length validators carry their own message; give this field's copies the field's wording."""
    relabelled = []
    for validator in field.validators:
        if type(validator) is MaxLengthValidator and "max_length" in messages:
            validator = MaxLengthValidator(validator.limit_value, message=messages["max_length"])
        elif type(validator) is MinLengthValidator and "min_length" in messages:
            validator = MinLengthValidator(validator.limit_value, message=messages["min_length"])
        relabelled.append(validator)
    field.validators = relabelled


class PortalForm(ErrorMessagesMixin, forms.Form):
    """A form whose errors say what to do."""


class ApiTokenForm(PortalForm):
    name = forms.CharField(
        max_length=80, required=False, label="Token name",
        help_text="What the token is for, e.g. 'billing system'.",
    )
