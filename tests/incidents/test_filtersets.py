"""One ``IncidentFilterSet`` for the incident list page and ``GET /api/v1/incidents/``: the same filters,
the same rules and the same messages (the API answers the first refusal; the page shows it and ignores it)."""
from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from incidents.filtersets import IncidentFilterSet
from incidents.selectors import incident_queue


@pytest.fixture
def incidents(make_device, raise_request):
    """One request assigned to the installing supplier, one in the DCC service desk queue."""
    return raise_request(make_device()), raise_request(make_device(prenotifying_supplier=None))


def references(filterset: IncidentFilterSet) -> set[str]:
    return set(filterset.checked_qs().values_list("reference", flat=True))


def test_each_filter_selects_as_documented(gaining_user, incidents):
    assigned, desk = incidents
    queryset = incident_queue(user=gaining_user)

    def filtered(**data):
        return references(IncidentFilterSet(data, queryset=queryset))

    assert filtered() == {assigned.reference, desk.reference}
    assert filtered(assigned_to="dcc_service_desk") == {desk.reference}
    assert filtered(assigned_to=assigned.assigned_party.code, state="assigned") == {assigned.reference}
    assert filtered(raised_by="SUPA", state="open") == {assigned.reference, desk.reference}
    assert filtered(state="closed") == set()
    assert filtered(device_id=desk.device.device_id.lower()) == {desk.reference}
    assert filtered(overdue="TRUE") == set() and filtered(overdue="false") == {assigned.reference, desk.reference}


def test_foreign_key_filters_are_declared_without_distinct():
    filters = IncidentFilterSet.base_filters
    assert {name: filters[name].field_name for name in ("device_id", "assigned_to", "raised_by")} == {
        "device_id": "device__device_id", "assigned_to": "assigned_party__code", "raised_by": "raised_by__code"}
    assert not any(filters[name].distinct for name in ("device_id", "assigned_to", "raised_by"))


@pytest.mark.parametrize(("query", "code", "detail"), [
    ({"state": "bogus"}, "invalid", "Unknown state 'bogus'."),
    ({"overdue": "maybe"}, "invalid", "overdue must be true or false."),
    ({"device_id": "xyz"}, "invalid_device_id", "'xyz' is not a valid Device ID"),
    ({"raised_by": "SUPA\x00"}, "bad_characters", "The raised_by filter contains a NUL character"),
    ({"overdue": "x", "device_id": "y"}, "invalid", "overdue must be true or false."),  # the first, in order
])
def test_the_api_answers_the_first_refused_filter(api_client_for, gaining, incidents, query, code, detail):
    response = api_client_for(gaining).get("/api/v1/incidents/", query)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code and body["detail"].startswith(detail) and set(body["errors"]) == {next(iter(query))}


def test_the_page_says_which_filter_it_ignored_and_applies_the_others(gaining_user, incidents):
    assigned, desk = incidents
    client = Client()
    client.force_login(gaining_user)
    page = client.get(reverse("incidents:incident-list"), {"queue": "raised", "state": "assigned", "device_id": "xyz"})
    text = page.content.decode()
    assert "is not a valid Device ID" in text
    assert [incident.pk for incident in page.context["incidents"]] == [assigned.pk]  # state=assigned still applied
