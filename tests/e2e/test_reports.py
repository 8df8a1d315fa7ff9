"""Reports in the browser: an installing supplier opens last month's install-code SLA report from its home page,
reads its own row and downloads the same rows as CSV."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidents.choices import IncidentState, SpellOutcome
from incidents.services import incident_raise_install_code_request
from inventory.choices import DeviceStatus
from tests.e2e.conftest import screenshot
from tests.factories import DeviceFactory, SupplierFactory, UserFactory

pytestmark = pytest.mark.e2e


def test_installing_supplier_reads_last_months_sla_report_and_downloads_its_csv(open_as):
    gaining = SupplierFactory(code="SUPA", name="Supplier A")
    installing = SupplierFactory(code="SUPB", name="Supplier B")
    device = DeviceFactory(status=DeviceStatus.INSTALLED_NOT_COMMISSIONED, date_commissioned=None,
                           responsible_supplier=gaining, prenotifying_supplier=installing)
    incident, _created = incident_raise_install_code_request(device_id=device.device_id,
                                                             actor=UserFactory(party=gaining))
    # Move the request into last month, answered two days after it was raised.
    last_month = timezone.localdate().replace(day=1) - timedelta(days=1)
    raised = timezone.make_aware(datetime.combine(last_month.replace(day=10), time(10, 0)))
    incident.created_at, incident.first_response_at = raised, raised + timedelta(days=2)
    incident.due_by = (raised + timedelta(days=14)).date()
    incident.state, incident.has_install_code = IncidentState.RESPONDED, True
    incident.responder_party = incident.assigned_party_at_response = installing
    incident.save()
    # The report counts SLA clocks (R121-10): move the one the raise started, and answer it, with the request.
    answered = incident.first_response_at
    assert incident.spells.update(started_at=raised, due_by=incident.due_by, responded_at=answered,
                                  ended_at=answered, outcome=SpellOutcome.CODE) == 1

    page = open_as(UserFactory(party=installing), "/")
    page.get_by_test_id("reports").get_by_role("link", name=f"Install-code request SLA, {last_month:%B %Y}").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{last_month:%B %Y}")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports")).to_have_attribute(
        "aria-current", "page")
    figures = page.get_by_role("region", name="Figures")
    # One request, answered two working days after it was raised: 1 of 1 counted in SLA, in its own column.
    row = figures.get_by_role("row").filter(has_text="Supplier B")
    expect(row).to_have_count(1)
    headers = figures.get_by_role("row").first.locator("th, td").all_inner_texts()
    cells = row.locator("th, td")
    expect(cells.nth(headers.index("Counted (answered or past due)"))).to_have_text("1")
    expect(cells.nth(headers.index("In SLA (%)"))).to_have_text("100.0")
    screenshot(page, "report-install-code-sla")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download these rows as CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text()
    header, *rows = text.strip().splitlines()
    assert "," in header
    assert any("SUPB" in row or "Supplier B" in row for row in rows)
