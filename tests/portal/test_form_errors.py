"""The one error pattern (portal.forms, portal_forms tags): messages that say what to do, a summary that
links every error to its field, fields tied to their hint and error, and "Error: " in the title."""
from __future__ import annotations

import re

from django import forms
from django.template import Context, Template

from incidents.forms import ReassignForm
from inventory.forms import CPLEntryAddForm
from portal.forms import PortalForm


class _Question(PortalForm):
    device_id = forms.CharField(label="Device ID", max_length=23, help_text="EUI-64, e.g. 00-DB-12-34-56-78-90-A0.")
    kind = forms.ChoiceField(label="Device type", choices=[("ESME", "ESME"), ("GSME", "GSME")], widget=forms.RadioSelect)
    file = forms.FileField(label="CSV file", required=False)
    agreed = forms.BooleanField(label="The consumer agreed")
    note = forms.CharField(label="Note", required=False, error_messages={"max_length": "Keep the note short"},
                           max_length=5)


def _render(source: str, **context) -> str:
    return Template("{% load portal_forms %}" + source).render(Context(context))


def test_messages_say_what_to_do_from_the_label():
    form = _Question({"device_id": "x" * 30, "note": "too long"})
    assert not form.is_valid()
    assert form.errors["device_id"] == ["Device ID must be 23 characters or fewer"]  # the term keeps its capitals
    assert form.errors["kind"] == ["Select the device type"]
    assert form.errors["agreed"] == ["Confirm that the consumer agreed"]
    assert form.errors["note"] == ["Keep the note short"]  # a field's own message wins


def test_the_portals_forms_use_the_wording():
    cpl = CPLEntryAddForm({})
    cpl.is_valid()
    assert cpl.errors["manufacturer"] == ["Enter the manufacturer"]
    assert cpl.errors["device_type"] == ["Select the device type"]
    reassign = ReassignForm({})
    reassign.is_valid()
    assert reassign.errors["to_party"] == ["Select the supplier to assign the incident to"]


def test_summary_links_every_error_to_its_field_and_states_form_wide_refusals():
    form = _Question({})
    form.is_valid()
    form.add_error(None, "Nothing was changed.")
    html = _render("{% error_summary form %}", form=form)
    assert 'data-error-summary tabindex="-1"' in html and 'role="alert"' in html
    assert re.findall(r'<a href="#([a-z_0-9]+)">', html) == ["id_device_id", "id_kind_0", "id_agreed"]
    assert '<p class="error-summary-description">Nothing was changed.</p>' in html


def test_no_summary_for_an_unbound_or_valid_form():
    assert "error-summary" not in _render("{% error_summary form %}", form=_Question())


def test_a_field_with_an_error_has_its_message_above_it_and_aria_attributes():
    form = _Question({"device_id": ""})
    form.is_valid()
    html = _render("{% form_field form.device_id %}", form=form)
    message = html.index('<p class="error-message" id="id_device_id_error">')
    control = html.index("<input")
    assert message < control and 'class="hint" id="id_device_id_helptext"' in html
    assert 'aria-invalid="true"' in html[control:]
    assert 'aria-describedby="id_device_id_helptext id_device_id_error"' in html[control:]
    assert '<span class="visually-hidden">Error:</span> Enter the Device ID' in html
    assert "form-group-error" in html


def test_radios_are_a_fieldset_described_by_its_hint_and_error():
    form = _Question({})
    form.is_valid()
    html = _render('{% form_field form.kind hint="Pick one." %}', form=form)
    assert re.search(r'<fieldset aria-describedby="id_kind_helptext id_kind_error">\s*<legend>Device type</legend>', html)
    assert html.count('aria-invalid="true"') == 2  # each radio


def test_optional_questions_say_so_and_a_valid_field_has_no_error_attributes():
    form = _Question({"device_id": "00-DB-12-34-56-78-90-A0", "kind": "ESME", "agreed": "on"})
    assert form.is_valid()
    html = _render("{% form_field form.note %}{% form_field form.device_id %}", form=form)
    assert "Note (optional)" in html and "aria-invalid" not in html and "error-message" not in html


def test_title_starts_with_error_when_a_form_on_the_page_has_errors():
    bad = _Question({})
    bad.is_valid()
    assert _render("{% page_error_prefix %}", form=_Question(), other=bad) == "Error: "
    assert _render("{% page_error_prefix %}", form=_Question()) == ""
