"""R121-10 with issue 18: the SLA figures for one month checked exactly, over requests that were answered in
time, answered late, are still open in time, were rerouted to a former supplier and were reopened.

The requests go through the real services (raise, answer, "not the installing supplier", the service desk's
reroute, reopen); only their clocks' times are then moved into April 2025, with "today" pinned to Friday 25
April 2025, so every figure is known. Good Friday (18) and Easter Monday (21 April) are bank holidays; so is
5 May.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from incidents.choices import SpellKind, SpellOutcome
from incidents.models import IncidentSpell
from incidents.services import (
    incident_add_note,
    incident_answer_not_installing_supplier,
    incident_raise_install_code_request,
    incident_reassign,
    incident_reopen,
)
from incidents.working_days import add_working_days
from inventory.choices import DeviceStatus
from reporting import queries
from reporting.selectors import install_code_sla_report_for
from tests.factories import DeviceFactory, SupplierFactory, UserFactory

APRIL = dt.date(2025, 4, 1)
TODAY = dt.date(2025, 4, 25)
LONDON = dt.timezone(dt.timedelta(hours=1))
CODE = "30313233343536373839414243444546"


def at(day: int, month: int = 4) -> dt.datetime:
    return dt.datetime(2025, month, day, 10, 0, tzinfo=LONDON)


def _move(spell: IncidentSpell, *, started: int, answered: int | None) -> None:
    spell.started_at = at(started)
    spell.due_by = add_working_days(at(started).date(), 10)
    spell.responded_at = at(answered) if answered else None
    spell.ended_at = spell.responded_at  # the unanswered ones are still running
    spell.save()


@pytest.fixture
def april(monkeypatch, dcc_party):
    """Returns the two installing suppliers; the requests are raised by SUPA through the services."""
    monkeypatch.setattr(queries, "timezone", SimpleNamespace(
        localdate=lambda *args: TODAY, get_current_timezone_name=timezone.get_current_timezone_name))
    gaining = SupplierFactory(code="SUPA")
    installer, former = SupplierFactory(code="SUPB"), SupplierFactory(code="SUPF")
    raiser, answerer, former_user = UserFactory(party=gaining), UserFactory(party=installer), UserFactory(party=former)
    desk = UserFactory(party=dcc_party)

    def request():
        device = DeviceFactory(status=DeviceStatus.INSTALLED_NOT_COMMISSIONED, responsible_supplier=gaining,
                               prenotifying_supplier=installer, date_commissioned=None)
        incident, _ = incident_raise_install_code_request(device_id=device.device_id, actor=raiser)
        return incident

    def clocks(incident):
        return list(incident.spells.order_by("pk"))

    a, b, c, d, e, f = (request() for _ in range(6))
    for incident in (a, b, e):
        incident_add_note(incident=incident, actor=answerer, body="", install_code=CODE)
    incident_answer_not_installing_supplier(incident=d, actor=answerer)
    incident_reassign(incident=d, actor=desk, to_party=former)
    incident_add_note(incident=d, actor=former_user, body="", install_code=CODE)
    incident_reopen(incident=e, actor=raiser, reason="The code did not work.")
    incident_add_note(incident=e, actor=answerer, body="", install_code=CODE)

    assert [(s.kind, s.assigned_party.code, s.outcome) for s in clocks(d)] == [
        (SpellKind.RAISED, "SUPB", SpellOutcome.NOT_INSTALLING), (SpellKind.REROUTED, "SUPF", SpellOutcome.CODE)]
    assert [(s.kind, s.outcome) for s in clocks(e)] == [
        (SpellKind.RAISED, SpellOutcome.CODE), (SpellKind.REOPENED, SpellOutcome.CODE)]
    _move(clocks(a)[0], started=1, answered=3)     # in SLA, 2 working days
    _move(clocks(b)[0], started=2, answered=30)    # late: due 16 April, 18 working days
    _move(clocks(c)[0], started=22, answered=None)  # open, in time: due 7 May
    _move(clocks(d)[0], started=7, answered=8)     # "not the installing supplier" in 1 working day...
    _move(clocks(d)[1], started=9, answered=11)    # ...the hop to SUPF answered in 2
    _move(clocks(e)[0], started=1, answered=2)     # answered in 1...
    _move(clocks(e)[1], started=10, answered=24)   # ...reopened on the 10th, answered again in 8 (due 28 April)
    _move(clocks(f)[0], started=3, answered=None)  # unanswered, due 17 April: breached
    return installer, former


def _figures(row: dict) -> dict:
    return {key: row[key] for key in (
        "requests", "raised", "rerouted", "reopened", "counted", "answered_in_sla", "breached", "open_within_sla",
        "ended_not_due", "in_sla_rate", "median_response_working_days", "median_reopened_response_working_days")}


def test_the_month_figures_exactly(april, dcc_party):
    rows = {row["installing_supplier"]: row for row in install_code_sla_report_for(dcc_party, APRIL).rows}
    assert _figures(rows["SUPB"]) == {
        "requests": 7, "raised": 6, "rerouted": 0, "reopened": 1, "counted": 6, "answered_in_sla": 4, "breached": 2,
        "open_within_sla": 1, "ended_not_due": 0, "in_sla_rate": 66.67, "median_response_working_days": 2.0,
        "median_reopened_response_working_days": 8.0}
    assert rows["SUPB"]["p90_response_working_days"] == pytest.approx(14.0)  # [1, 1, 2, 8, 18]
    assert _figures(rows["SUPF"]) == {
        "requests": 1, "raised": 0, "rerouted": 1, "reopened": 0, "counted": 1, "answered_in_sla": 1, "breached": 0,
        "open_within_sla": 0, "ended_not_due": 0, "in_sla_rate": 100.0, "median_response_working_days": 2.0,
        "median_reopened_response_working_days": None}
    assert _figures(rows[None]) == {
        "requests": 8, "raised": 6, "rerouted": 1, "reopened": 1, "counted": 7, "answered_in_sla": 5, "breached": 2,
        "open_within_sla": 1, "ended_not_due": 0, "in_sla_rate": 71.43, "median_response_working_days": 2.0,
        "median_reopened_response_working_days": 8.0}
    assert rows[None]["p90_response_working_days"] == pytest.approx(13.0)  # [1, 1, 2, 2, 8, 18]
    assert set(rows) == {"SUPB", "SUPF", None}  # the service desk queue is never counted


def test_page_chart_csv_and_api_agree(april, dcc_party):
    user = UserFactory(party=dcc_party)
    client = Client()
    client.force_login(user)
    page = client.get("/reports/install-code-sla/2025-04/")
    national = next(line for line in page.context["table"] if line[0] == "All installing suppliers")
    headers = page.context["headers"]
    rate_at = headers.index("In SLA (%)")
    assert national[rate_at] == 71.43 and national[headers.index("Open, in time (not counted)")] == 1
    chart = page.context["chart"]
    assert chart["table"][-1][0] == "Apr 2025" and chart["table"][-1][1] == 71.43  # the chart's point is the row
    assert chart["table"][-1][3] == 1
    rows = list(csv.reader(io.StringIO(client.get("/reports/install-code-sla/csv/?month=2025-04").content.decode())))
    assert rows[0] == headers
    assert [row[rate_at] for row in rows[1:]] == [str(line[rate_at]) for line in page.context["table"]]
    api = APIClient()
    api.force_authenticate(user)
    body = api.get("/api/v1/reports/install-code-sla/2025-04/").json()
    assert [(row["installing_supplier"], row["in_sla_rate"], row["open_within_sla"]) for row in body["rows"]] == [
        (None, 71.43, 1), ("SUPB", 66.67, 1), ("SUPF", 100.0, 0)]
