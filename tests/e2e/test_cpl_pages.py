"""MP202 Central Products List in the browser: the DCC service desk adds the SMETS1 row of a dual-mode PPMID
firmware (both rows then carry the "Dual-mode" tag and the change is listed), is told clearly when an entry is
not allowed (nothing changes), and changes a row's status in place; a supplier reads the list but gets no form."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from inventory.choices import CPLStatus, DeviceType, SmetsVersion
from inventory.models import CPLChange, CPLEntry
from tests.e2e.conftest import screenshot
from tests.factories import CPLEntryFactory, SupplierFactory, UserFactory

pytestmark = pytest.mark.e2e

PPMID = {"device_type": DeviceType.PPMID, "manufacturer": "ACME", "model": "PPMID-200", "hardware_version": "2.0",
         "firmware_version": "4.1.0"}


@pytest.fixture
def ppmid_smets2():
    """The SMETS2+ row of a PPMID firmware version that is about to become dual-mode."""
    return CPLEntryFactory(smets_version=SmetsVersion.SMETS2_PLUS, **PPMID)


def _fill_entry(page, *, device_type="Pre-Payment Interface Device", manufacturer="ACME", model="PPMID-200",
                hardware="2.0", firmware="4.1.0", smets="SMETS1"):
    page.get_by_label("Device type").select_option(label=device_type)
    page.get_by_label("Manufacturer").fill(manufacturer)
    page.get_by_label("Model").fill(model)
    page.get_by_label("Hardware version").fill(hardware)
    page.get_by_label("Firmware version").fill(firmware)
    page.get_by_label("SMETS version").select_option(smets)


def _model_rows(page, model="PPMID-200"):
    return page.get_by_role("table", name="CPL entries").locator("tbody tr").filter(has_text=model)


def test_dcc_adds_the_smets1_row_of_a_dual_mode_ppmid(open_as, ppmid_smets2, dcc_party):
    page = open_as(UserFactory(party=dcc_party, username="desk"), "/inventory/cpl/")
    expect(_model_rows(page)).to_have_count(1)
    expect(_model_rows(page).locator(".tag-dual-mode")).to_have_count(0)

    page.get_by_role("button", name="Add a CPL entry").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a CPL entry")
    _fill_entry(page)
    screenshot(page, "cpl-add-form")
    page.get_by_role("button", name="Add to the CPL").click()

    expect(page.get_by_role("status")).to_contain_text("Added to the CPL: ACME PPMID-200 HW 2.0 FW 4.1.0 (SMETS1, Active)")
    rows = _model_rows(page)
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="SMETS1").locator(".tag-dual-mode")).to_have_text("Dual-mode")
    expect(rows.filter(has_text="SMETS2+").locator(".tag-dual-mode")).to_have_text("Dual-mode")
    changes = page.get_by_role("region", name="Recent CPL changes")
    expect(changes.locator("tbody tr").first).to_contain_text("Added as Active")
    expect(changes.locator("tbody tr").first).to_contain_text("desk (DCC)")
    screenshot(page, "cpl-dual-mode-added")

    # The "Dual-mode only" filter finds exactly the two rows.
    page.goto("/inventory/cpl/?dual_mode=true")
    expect(page.get_by_role("table", name="CPL entries").locator("tbody tr")).to_have_count(2)


def test_invalid_entries_are_explained_and_change_nothing(open_as, ppmid_smets2, dcc_party):
    meter = CPLEntryFactory(device_type=DeviceType.ESME, model="ESME-9", hardware_version="1.0",
                            firmware_version="9.0.0", smets_version=SmetsVersion.SMETS2_PLUS)
    entries, changes = CPLEntry.objects.count(), CPLChange.objects.count()
    page = open_as(UserFactory(party=dcc_party), "/inventory/cpl/add/")

    # The same firmware twice for the same SMETS version.
    _fill_entry(page, smets="SMETS2+")
    page.get_by_role("button", name="Add to the CPL").click()
    expect(page.get_by_role("alert")).to_contain_text("already has a SMETS2+ row for ACME PPMID-200 HW 2.0 FW 4.1.0")
    screenshot(page, "cpl-add-duplicate")

    # Only PPMIDs may be dual-mode: a SMETS1 row for an ESME firmware already listed as SMETS2+ is refused.
    _fill_entry(page, device_type="Electricity Smart Metering Equipment", model=meter.model, hardware="1.0",
                firmware="9.0.0", smets="SMETS1")
    page.get_by_role("button", name="Add to the CPL").click()
    expect(page.get_by_role("alert")).to_contain_text("only PPMIDs may have both a SMETS1 and a SMETS2+ row")

    # A missing field is shown next to it; what was typed is kept.
    _fill_entry(page, manufacturer="   ", model="PPMID-300")
    page.get_by_role("button", name="Add to the CPL").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    expect(page.get_by_label("Model")).to_have_value("PPMID-300")
    # The message sits above the field, says what to do, and is tied to it (GOV.UK error message).
    expect(page.locator("#id_manufacturer_error")).to_have_text("Error: Enter the manufacturer")
    expect(page.get_by_label("Manufacturer")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert").first.get_by_role("link", name="Enter the manufacturer")).to_have_attribute(
        "href", "#id_manufacturer")

    assert (CPLEntry.objects.count(), CPLChange.objects.count()) == (entries, changes)
    page.goto("/inventory/cpl/")
    expect(page.get_by_role("status")).to_have_count(0)
    expect(_model_rows(page)).to_have_count(1)


def test_dcc_changes_a_rows_status_in_place(open_as, ppmid_smets2, dcc_party):
    page = open_as(UserFactory(party=dcc_party, username="desk"), "/inventory/cpl/")
    row = page.locator(f"#cpl-{ppmid_smets2.pk}")
    row.get_by_label("New status for ACME PPMID-200 FW 4.1.0 SMETS2+").select_option("Withdrawn")
    row.get_by_role("button", name="Change").click()
    expect(row.get_by_role("status")).to_have_text("Status changed to Withdrawn.")
    expect(row.locator("td").nth(6)).to_have_text("Withdrawn")
    screenshot(page, "cpl-status-changed")
    ppmid_smets2.refresh_from_db()
    assert ppmid_smets2.status == CPLStatus.WITHDRAWN

    # Choosing the status it already has is refused, in the row.
    row.get_by_label("New status for ACME PPMID-200 FW 4.1.0 SMETS2+").select_option("Withdrawn")
    row.get_by_role("button", name="Change").click()
    expect(row.get_by_role("status")).to_contain_text("is already Withdrawn")
    assert CPLChange.objects.filter(cpl_entry=ppmid_smets2).count() == 1


def test_a_supplier_reads_the_cpl_but_gets_no_maintenance_form(open_as, ppmid_smets2):
    page = open_as(UserFactory(party=SupplierFactory(code="SUPA")), "/inventory/cpl/")
    expect(_model_rows(page)).to_have_count(1)
    expect(page.get_by_role("button", name="Add a CPL entry")).to_have_count(0)
    expect(page.get_by_role("columnheader", name="Change status")).to_have_count(0)
    expect(page.get_by_role("button", name="Change")).to_have_count(0)
    expect(page.get_by_role("region", name="Recent CPL changes")).to_have_count(0)

    page.goto("/inventory/cpl/add/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Only the DCC service desk maintains the CPL")
    expect(page.get_by_label("Firmware version")).to_have_count(0)
    screenshot(page, "cpl-add-refused")

    # Posting an entry anyway (with the page's own CSRF token) is refused and adds nothing.
    status = page.evaluate("""async () => {
        const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken'];
        const body = new URLSearchParams({device_type: 'PPMID', manufacturer: 'ACME', model: 'PPMID-200',
            hardware_version: '2.0', firmware_version: '4.1.0', smets_version: 'SMETS1', status: 'Active'});
        const response = await fetch('/inventory/cpl/add/', {method: 'POST', body, headers: {'X-CSRFToken': token}});
        return response.status;
    }""")
    assert status == 403
    assert CPLEntry.objects.filter(model="PPMID-200").count() == 1
    assert not CPLChange.objects.exists()
