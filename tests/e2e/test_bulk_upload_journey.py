"""Issue 19 item 7 in a real browser with a real worker, at desktop and phone size: a supplier uploads install-code
requests, checks what would happen, confirms, downloads the refused rows, fixes them and uploads that file again."""
from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import Page, expect

from incidents.models import Incident, IncidentBulkJob
from incidents.services import bulk
from inventory.choices import DeviceStatus
from portal.choices import JobStatus
from tests.e2e.conftest import _session_cookie, screenshot
from tests.factories import DeviceFactory, SupplierFactory, UserFactory

SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def _uncommissioned(gaining, installing):
    return DeviceFactory(status=DeviceStatus.INSTALLED_NOT_COMMISSIONED, date_commissioned=None,
                         responsible_supplier=gaining, prenotifying_supplier=installing)


def _no_wider_than_the_screen(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width} px wide"


@pytest.mark.parametrize("size", list(SIZES))
def test_check_confirm_then_fix_and_reupload_the_refused_rows(browser, live_server, celery_worker_process,
                                                             monkeypatch, size):
    # Uploads of more than two rows go to the worker (the real one), so the journey follows a job's progress.
    monkeypatch.setattr(bulk, "BULK_INLINE_MAX_ROWS", 2)
    gaining = SupplierFactory(code="SUPA", name="Supplier A")
    installing = SupplierFactory(code="SUPB", name="Supplier B")
    good = [_uncommissioned(gaining, installing) for _ in range(3)]
    commissioned = DeviceFactory(responsible_supplier=gaining, prenotifying_supplier=installing)
    fixes = [_uncommissioned(gaining, installing) for _ in range(2)]
    upload = ("device_id\n" + "".join(f"{d.device_id}\n" for d in good)
              + f"{commissioned.device_id}\n00-DB-12-FF\n")

    context = browser.new_context(base_url=live_server.url, viewport=SIZES[size], accept_downloads=True)
    context.add_cookies([_session_cookie(UserFactory(party=gaining), live_server.url)])
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/incidents/install-code-requests/bulk/")
        expect(page.get_by_text("the header is row 1")).to_be_visible()
        with page.expect_download() as template:
            page.get_by_role("link", name="Download a template (CSV)").click()
        assert template.value.path().read_text().startswith("device_id")
        _no_wider_than_the_screen(page)

        # 1. Check: nothing is raised; the page says what would happen, counted by reason.
        page.get_by_label("CSV file").set_input_files(
            files=[{"name": "backlog.csv", "mimeType": "text/csv", "buffer": upload.encode()}])
        page.get_by_role("button", name="Check the file").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Check your upload")
        expect(page.locator("#bulk-check-counts")).to_contain_text("Would be applied3")
        expect(page.locator("#bulk-check-counts")).to_contain_text("Would be refused2")
        reasons = page.get_by_role("table", name="Rows that would be refused, by reason")
        expect(reasons.locator("tbody tr")).to_have_count(2)
        expect(reasons).to_contain_text("Row 5")  # the commissioned meter: header row 1, first device row 2
        expect(page.get_by_role("alert")).to_contain_text("2 rows would be refused")
        assert not Incident.objects.exists()
        _no_wider_than_the_screen(page)
        screenshot(page, f"bulk-check-{size}")

        # 2. Confirm: the worker raises the rows while the page follows; partial success is amber, not green.
        page.get_by_role("button", name="Confirm and apply 3 rows").click()
        outcome = page.locator("#bulk-outcome")
        show_results = page.get_by_role("link", name="Show the results")
        expect(outcome.or_(show_results)).to_be_visible(timeout=60_000)
        if show_results.is_visible():
            show_results.click()
        expect(outcome.locator(".message.warning")).to_contain_text("3 of 5 rows applied; 2 refused.")
        expect(outcome.locator(".message.success")).to_have_count(0)
        expect(page.get_by_role("table", name="Refused rows, by reason").locator("tbody tr")).to_have_count(2)
        job = IncidentBulkJob.objects.get()
        assert (job.status, job.created_count, job.failed_count) == (JobStatus.DONE, 3, 2)
        _no_wider_than_the_screen(page)
        screenshot(page, f"bulk-partial-{size}")

        # 3. Fix: the refused rows come as a CSV with the upload's column and the reason; fix it and upload it.
        with page.expect_download() as refused:
            page.get_by_role("link", name="Download the refused rows (CSV)").click()
        rows = list(csv.reader(io.StringIO(refused.value.path().read_text())))
        assert rows[0] == ["row", "device_id", "refused_because"]
        assert [row[:2] for row in rows[1:]] == [["5", commissioned.device_id], ["6", "00-DB-12-FF"]]
        for row, device in zip(rows[1:], fixes, strict=True):
            row[1] = device.device_id
        fixed = io.StringIO()
        csv.writer(fixed).writerows(rows)
        page.goto("/incidents/install-code-requests/bulk/")
        page.get_by_label("CSV file").set_input_files(
            files=[{"name": "refused-fixed.csv", "mimeType": "text/csv", "buffer": fixed.getvalue().encode()}])
        page.get_by_role("button", name="Check the file").click()
        expect(page.locator("#bulk-check-counts")).to_contain_text("Would be refused0")
        page.get_by_role("button", name="Confirm and apply 2 rows").click()
        expect(page.locator("#bulk-outcome .message.success")).to_contain_text("2 of 2 rows applied; none refused.")
        _no_wider_than_the_screen(page)
        screenshot(page, f"bulk-fixed-{size}")
        assert Incident.objects.filter(device__in=[*good, *fixes]).count() == 5
    finally:
        context.close()
