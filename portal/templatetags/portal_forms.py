"""The portal's one error pattern for forms (GOV.UK Design System: error summary + error message).

    {% load portal_forms %}
    {% error_summary form %}                      at the top of the form (or of the page's main column)
    {% form_field form.reason %}                  label, hint, error message, then the control
    {% form_field form.restricted legend_class="..." %}   radios are a fieldset with a legend
    <title>{% page_error_prefix %}...</title>      "Error: " when any form on the page has errors (base.html)

What the pattern guarantees, for every form that uses it:

- the summary (``role="alert"``, ``tabindex="-1"``, focused on load by ``static/portal/portal.js``)
  lists every error at once, each a link to its field (the first radio of a group); a form-wide
  refusal (a service's ``DomainError`` detail) is its description;
- each field with an error shows its message above the control, red, with a visually hidden "Error:"
  prefix and a red left border on the group; the control gets ``aria-invalid="true"`` and
  ``aria-describedby`` naming its hint and its error;
- the control keeps what the user typed (it is the bound form that is rendered again).
"""
from __future__ import annotations

from dataclasses import dataclass

from django import forms, template
from django.forms.boundfield import BoundField

register = template.Library()


@dataclass(frozen=True)
class SummaryItem:
    message: str
    href: str


def field_anchor(field: BoundField) -> str:
    """The id a summary link points at: the control itself, or the first option of a radio/checkbox group."""
    widget = field.field.widget
    if isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
        return f"{field.auto_id}_0"
    return field.auto_id or field.html_name


def _forms_with_errors(*candidates) -> list[forms.BaseForm]:
    found = []
    for candidate in candidates:
        if isinstance(candidate, (list, tuple)):
            found += _forms_with_errors(*candidate)
        elif isinstance(candidate, forms.BaseForm) and candidate.is_bound and candidate.errors:
            found.append(candidate)
    return found


@register.inclusion_tag("portal/_error_summary.html")
def error_summary(*forms_on_page, title: str = "There is a problem") -> dict:
    """Every error of the given forms at once: form-wide refusals as the description, field errors as links."""
    description: list[str] = []
    items: list[SummaryItem] = []
    for form in _forms_with_errors(*forms_on_page):
        description += [str(error) for error in form.non_field_errors()]
        for field in form:
            if field.is_hidden:
                description += [str(error) for error in field.errors]
                continue
            items += [SummaryItem(message=str(error), href=f"#{field_anchor(field)}") for error in field.errors]
    return {"title": title, "description": description, "items": items, "show": bool(description or items)}


def _describedby(field: BoundField, hint: str) -> tuple[str, str, str]:
    # Django's own ids for a field's help text and error (BoundField.aria_describedby), so both agree.
    base = field.auto_id or field.html_name
    hint_id = f"{base}_helptext" if hint else ""
    error_id = f"{base}_error" if field.errors else ""
    return hint_id, error_id, " ".join(part for part in (hint_id, error_id) if part)


def _widget_kind(field: BoundField) -> str:
    widget = field.field.widget
    if isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
        return "choices"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    return "control"


@register.inclusion_tag("portal/_field.html")
def form_field(field: BoundField, hint: str | None = None, label: str | None = None, extra_hint: str = "",
               legend_class: str = "", input_class: str = "", autocomplete: str = "",
               optional: bool | None = None) -> dict:
    """One question: label (legend for a group), hint, error message above the control, then the control.

    A field that is not required says "(optional)" after its label (GOV.UK: mark the optional questions, not
    the required ones); ``optional=False`` for one the form's ``clean`` requires in some cases.
    """
    hint_text = str(field.help_text if hint is None else hint)
    if extra_hint:
        hint_text = f"{hint_text} {extra_hint}".strip()
    hint_id, error_id, describedby = _describedby(field, hint_text)
    kind = _widget_kind(field)
    attrs = dict(field.field.widget.attrs)
    if describedby and kind != "choices":  # a radio group is described on its fieldset
        attrs["aria-describedby"] = describedby
    else:
        attrs.pop("aria-describedby", None)
    if field.errors:
        attrs["aria-invalid"] = "true"
    else:
        attrs.pop("aria-invalid", None)
    if input_class:
        attrs["class"] = f"{attrs.get('class', '')} {input_class}".strip()
    if autocomplete:
        attrs["autocomplete"] = autocomplete
    # The form instance owns a deep copy of its fields, so changing this widget's attrs touches no other form.
    field.field.widget.attrs = attrs
    text = str(field.label if label is None else label)
    if optional is None:
        optional = not field.field.required and kind != "checkbox"
    if optional and "(optional)" not in text:
        text = f"{text} (optional)"
    return {
        "field": field, "kind": kind, "label": text, "hint": hint_text,
        "hint_id": hint_id, "error_id": error_id, "errors": [str(error) for error in field.errors],
        "legend_class": legend_class, "required": field.field.required,
    }


@register.simple_tag(takes_context=True)
def page_error_prefix(context) -> str:
    """"Error: " when a form in the page's context was submitted with errors (GOV.UK: the title says so first)."""
    if context.get("page_has_errors"):
        return "Error: "
    for layer in context.dicts:
        for value in layer.values():
            if _forms_with_errors(value):
                return "Error: "
    return ""
