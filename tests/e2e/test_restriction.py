"""MP169 in the browser: the responsible supplier restricts and unrestricts a meter on its page, sees the
Restricted column and the history; anyone else gets no form; a bulk CSV gives a result per row."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from inventory.models import Device
from tests.e2e.conftest import screenshot
from tests.factories import NetworkOperatorFactory, SupplierFactory, UserFactory, make_sms

pytestmark = pytest.mark.e2e

REFUSED_READS = "Restricted: consumption reads refused"


@pytest.fixture
def supplier():
    return SupplierFactory(code="SUPA", name="Supplier A")


def test_responsible_supplier_restricts_and_unrestricts_a_meter_from_its_page(open_as, supplier):
    meter = make_sms(supplier=supplier, gas=False)["ESME"]
    page = open_as(UserFactory(party=supplier, username="alice"), f"/inventory/devices/{meter.device_id}/")

    panel = page.get_by_role("region", name="Restricted mode (MP169)")
    expect(panel).to_contain_text("Not restricted")
    panel.get_by_label(REFUSED_READS).check()
    panel.get_by_label("Consumer refused remote collection of consumption data").check()
    panel.get_by_label("All reasonable steps to install a fully communicating smart meter were taken").check()
    panel.get_by_role("button", name="Save restriction").click()

    expect(page.get_by_role("status")).to_contain_text("The CSP will be notified")
    panel = page.get_by_role("region", name="Restricted mode (MP169)")
    expect(panel.locator(".tag-restricted")).to_have_text("Restricted")
    history = panel.get_by_role("table", name="History")
    expect(history.locator("tbody tr")).to_have_count(1)
    expect(history.locator("tbody tr").first).to_contain_text("Not restricted → Restricted")
    expect(history.locator("tbody tr").first).to_contain_text("alice")
    screenshot(page, "device-restricted")

    # The inventory shows it in the Restricted column, and the Restricted filter finds it.
    page.goto("/inventory/?restricted=true")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=meter.device_id))
    expect(row).to_contain_text("Restricted")
    screenshot(page, "inventory-restricted-filter")

    page.goto(f"/inventory/devices/{meter.device_id}/")
    panel = page.get_by_role("region", name="Restricted mode (MP169)")
    panel.get_by_label("Not restricted").check()
    panel.get_by_label("Consumer withdrew their refusal").check()
    panel.get_by_role("button", name="Save restriction").click()

    expect(page.get_by_role("status")).to_contain_text("The CSP will be notified")
    history = page.get_by_role("region", name="Restricted mode (MP169)").get_by_role("table", name="History")
    expect(history.locator("tbody tr")).to_have_count(2)
    expect(history.locator("tbody tr").first).to_contain_text("Restricted → Not restricted")
    page.goto("/inventory/?restricted=true")
    expect(page.get_by_role("link", name=meter.device_id)).to_have_count(0)


def test_setting_restricted_without_the_attestation_is_refused_and_changes_nothing(open_as, supplier):
    meter = make_sms(supplier=supplier, gas=False)["ESME"]
    page = open_as(UserFactory(party=supplier), f"/inventory/devices/{meter.device_id}/")
    panel = page.get_by_role("region", name="Restricted mode (MP169)")
    panel.get_by_label(REFUSED_READS).check()
    panel.get_by_label("Change of tenancy").check()
    panel.get_by_role("button", name="Save restriction").click()

    expect(page.get_by_role("alert")).to_contain_text("Nothing was changed")
    expect(page.get_by_role("alert")).to_contain_text("Confirm that all reasonable steps")
    expect(page.get_by_role("region", name="Restricted mode (MP169)")).to_contain_text("Not restricted")
    meter.refresh_from_db()
    assert meter.restricted is False


def test_other_supplier_and_network_operator_see_the_meter_read_only(open_as, supplier):
    installer = SupplierFactory(code="SUPB", name="Supplier B")
    operator = NetworkOperatorFactory(code="DNOA", name="Network Operator A")
    meter = make_sms(supplier=supplier, gas=False, prenotifying_supplier=installer, network_operator=operator)["ESME"]

    page = open_as(UserFactory(party=operator), f"/inventory/devices/{meter.device_id}/")
    panel = page.get_by_role("region", name="Restricted mode (MP169)")
    expect(panel).to_contain_text("only the device's Responsible Supplier can set or clear Restricted mode")
    expect(panel.get_by_role("button", name="Save restriction")).to_have_count(0)
    screenshot(page, "device-read-only-network-operator")

    # A supplier with no part in the device does not see it at all; nor, since issue 14's privacy rule, does the
    # supplier that pre-notified it once it is commissioned under another supplier (DOMAIN.md, "Privacy").
    stranger = SupplierFactory(code="SUPC", name="Supplier C")
    for party in (stranger, installer):
        page = open_as(UserFactory(party=party), f"/inventory/devices/{meter.device_id}/")
        expect(page.get_by_role("region", name="Restricted mode (MP169)")).to_have_count(0)


def test_bulk_restriction_csv_gives_a_result_for_every_row(open_as, supplier):
    ours = make_sms(supplier=supplier, gas=False)["ESME"]
    theirs = make_sms(supplier=SupplierFactory(code="SUPB"), gas=False)["ESME"]
    csv = (
        "device_id,restricted,reason,all_reasonable_steps_taken\n"
        f"{ours.device_id},true,Consumer refused remote collection of consumption data,true\n"
        f"{theirs.device_id},true,Consumer refused remote collection of consumption data,true\n"
        "not-a-device,true,Change of tenancy,true\n"
    )
    page = open_as(UserFactory(party=supplier), "/")
    page.get_by_role("link", name="Bulk restriction changes").click()
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "restrictions.csv", "mimeType": "text/csv", "buffer": csv.encode()}])
    page.get_by_role("button", name="Check the file").click()
    page.get_by_role("button", name="Confirm and apply 1 row").click()

    expect(page.locator("#bulk-outcome")).to_contain_text("1 of 3 rows applied; 2 refused.")
    results = page.get_by_role("table", name="Result per row")
    rows = results.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Applied")
    expect(rows.nth(1)).to_contain_text("Refused")
    expect(rows.nth(2)).to_contain_text("Refused")
    screenshot(page, "restriction-bulk-results")
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.restricted and not theirs.restricted

    page.get_by_role("link", name="Show only refused rows").click()
    expect(page.get_by_role("table", name="Refused rows", exact=True).locator("tbody tr")).to_have_count(2)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download every row's result (CSV)").click()
    lines = download.value.path().read_text().splitlines()
    assert lines[0] == "row,device_id,restricted,ok,code,detail,change_ids" and len(lines) == 4

    # The upload is listed on the upload page for the supplier's colleagues too.
    page.get_by_role("link", name="Bulk restriction changes").first.click()
    expect(page.get_by_role("table").filter(has_text="restrictions.csv")).to_contain_text("Done")


def test_a_large_bulk_file_runs_on_the_worker_and_the_page_follows_its_progress(
    open_as, supplier, celery_worker_process,
):
    meters = [make_sms(supplier=supplier, gas=False)["ESME"] for _ in range(120)]
    csv = "device_id,restricted,reason,all_reasonable_steps_taken\n" + "".join(
        f"{meter.device_id},true,Consumer refused remote collection of consumption data,true\n" for meter in meters)
    page = open_as(UserFactory(party=supplier), "/inventory/restrictions/bulk/")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "large.csv", "mimeType": "text/csv", "buffer": csv.encode()}])
    page.get_by_role("button", name="Check the file").click()
    page.get_by_role("button", name="Confirm and apply 120 rows").click()

    expect(page.get_by_role("status")).to_contain_text("120 rows are being applied")
    # htmx polls the progress and reloads the page with every row's outcome when the worker is done.
    expect(page.get_by_role("table", name="Result per row")).to_be_visible(timeout=60_000)
    expect(page.locator("dl.facts")).to_contain_text("Applied120")
    screenshot(page, "restriction-bulk-job-done")
    assert Device.objects.filter(pk__in=[meter.pk for meter in meters], restricted=True).count() == 120
