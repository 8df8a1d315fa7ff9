"""Issue 19 items 4 and 5 in real Chromium at 1366x900 and on a 390x844 phone: the inventory list (count,
payment-mode filter, Restricted beside the Device ID and on screen, columns chosen and kept, an exact search
opening the device) and a report page (headline above the chart, no label cut, chart text >= 12 px); neither
page is wider than a 320 px screen."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from gateway.models import ServiceRequestLog
from inventory.choices import PaymentMode
from reporting.months import add_months, previous_month
from tests.e2e.conftest import SCREENSHOTS, PageProblems, _session_cookie
from tests.factories import SupplierFactory, UserFactory, make_sms

pytestmark = pytest.mark.e2e

SIZES = {"desktop": (1366, 900), "phone": (390, 844)}


@pytest.fixture
def open_sized(browser, live_server) -> Iterator[Callable[..., Page]]:
    """``open_sized(user, path, (width, height))``: a signed-in page at that viewport, watched for CSP and JS errors."""
    contexts = []
    problems = PageProblems()

    def _open(user, path: str, size: tuple[int, int]) -> Page:
        context = browser.new_context(base_url=live_server.url, viewport={"width": size[0], "height": size[1]})
        contexts.append(context)
        context.add_cookies([_session_cookie(user, live_server.url)])
        page = context.new_page()
        page.set_default_timeout(10_000)
        problems.watch(page)
        page.goto(path)
        return page

    yield _open
    for context in contexts:
        context.close()
    assert not problems.csp and not problems.errors, "\n".join(problems.csp + problems.errors)


def screenshot(page: Page, name: str) -> None:
    """A full-page PNG under test-artifacts/screenshots/, leaving the caret alone: Playwright's caret hiding
    leaves ``style=""`` on inputs, which htmx's history snapshot then re-parses against the CSP."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, caret="initial")


def page_overflow(page: Page) -> int:
    """How many CSS px the page is wider than the viewport (0: it reflows)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


def assert_reflows_at_320(page: Page) -> None:
    page.set_viewport_size({"width": 320, "height": 800})
    assert page_overflow(page) <= 0, f"{page.url} is {page_overflow(page)} px wider than a 320 px screen"


@pytest.mark.parametrize("size", SIZES, ids=list(SIZES))
def test_inventory_list_counts_filters_keeps_columns_and_opens_an_exact_match(open_sized, size):
    supplier = SupplierFactory(code="SUPA", name="Supplier A")
    systems = [make_sms(supplier=supplier) for _ in range(3)]
    prepay = systems[0]["ESME"]
    prepay.payment_mode = PaymentMode.PREPAYMENT
    prepay.save()
    user = UserFactory(party=supplier)
    page = open_sized(user, "/inventory/", SIZES[size])

    expect(page.locator("#device-count")).to_contain_text("12 devices")
    headers = page.locator(".device-table thead th")
    expect(headers.nth(0)).to_have_text("Device ID")
    expect(headers.nth(1)).to_have_text("Restricted")
    if size == "desktop":  # beside the Device ID, on screen, not cut off at the right
        box = headers.nth(1).bounding_box()
        assert box is not None and box["x"] + box["width"] <= SIZES[size][0]
        assert page_overflow(page) <= 0
    screenshot(page, f"inventory-list-{size}")

    # The payment-mode filter finds the credit meters (the ones MP169 lets a supplier restrict).
    page.get_by_role("combobox", name="Payment mode").select_option("Prepayment")
    expect(page).to_have_url(re.compile(r"payment_mode=Prepayment"))
    expect(page.locator("#device-count")).to_contain_text("1 device")
    expect(page.locator("#device-rows tbody tr")).to_have_count(1)

    # Columns: show UPRN, hide Postcode; kept for the account in a new browser.
    page.goto("/inventory/")
    page.get_by_text("Choose columns").click()
    page.get_by_role("checkbox", name="UPRN").check()
    page.get_by_role("checkbox", name="Postcode").uncheck()
    page.get_by_role("button", name="Save columns").click()
    expect(page.get_by_role("status").filter(has_text="Columns saved")).to_be_visible()
    expect(page.locator(".device-table thead")).to_contain_text("UPRN")
    expect(page.locator(".device-table thead")).not_to_contain_text("Postcode")
    again = open_sized(user, "/inventory/", SIZES[size])
    expect(again.locator(".device-table thead")).to_contain_text("UPRN")
    expect(again.locator(".device-table thead")).not_to_contain_text("Postcode")

    # An exact Device ID opens the device (through htmx as well as a plain GET).
    meter = systems[1]["GSME"]
    again.get_by_label("Search by Device ID, MPxN, UPRN or postcode").fill(meter.device_id.lower())
    again.get_by_role("button", name="Search", exact=True).click()
    expect(again).to_have_url(re.compile(rf"/inventory/devices/{meter.device_id}/$"))
    expect(again.get_by_role("heading", level=1)).to_contain_text(meter.device_id)

    list_page = open_sized(user, "/inventory/", SIZES[size])
    assert_reflows_at_320(list_page)


def _traffic(supplier, months: list[dt.date]) -> None:
    rows = []
    for number, month in enumerate(months):
        at = dt.datetime(month.year, month.month, 10, 10, tzinfo=dt.UTC)
        for index in range(4 + number):
            rows.append(ServiceRequestLog(
                request_id=f"E2E-{month:%Y%m}-{index}", requested_at=at + dt.timedelta(minutes=index), party=supplier,
                srv="4.1.1", srv_category="consumption", device_id="00-DB-12-00-00-00-00-01",
                response_code="I99" if index % 4 else "E21", restricted_at_request=False, csp_region="North",
                channel="json"))
    ServiceRequestLog.objects.bulk_create(rows)


CHART_TEXT = """() => {
  const svg = [...document.querySelectorAll('svg.report-chart')].find(s => s.getBoundingClientRect().width > 0);
  const box = svg.getBoundingClientRect();
  const scale = svg.getScreenCTM().a;
  return [...svg.querySelectorAll('text')].map(t => {
    const r = t.getBoundingClientRect();
    return {text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * scale,
            inside: r.left >= box.left - 0.5 && r.right <= box.right + 0.5 && r.top >= box.top - 0.5
                    && r.bottom <= box.bottom + 0.5};
  });
}"""


@pytest.mark.parametrize("size", SIZES, ids=list(SIZES))
def test_report_page_headline_above_a_chart_whose_labels_fit_and_read(open_sized, size):
    supplier = SupplierFactory(code="SUPA", name="Supplier A")
    month = previous_month()
    _traffic(supplier, [add_months(month, -offset) for offset in (11, 6, 2, 1, 0)])
    user = UserFactory(party=supplier)
    page = open_sized(user, f"/reports/performance/{month:%Y-%m}/", SIZES[size])

    headline = page.get_by_role("region", name=re.compile("In figures"))
    expect(headline).to_contain_text("Requests")
    chart = page.locator("svg.report-chart:visible")
    expect(chart).to_have_count(1)
    assert headline.bounding_box()["y"] < chart.bounding_box()["y"]
    texts = page.evaluate(CHART_TEXT)
    assert texts, "the chart has no text"
    cut = [t["text"] for t in texts if not t["inside"]]
    assert not cut, f"labels cut at the chart's edge: {cut}"
    small = [(t["text"], round(t["px"], 1)) for t in texts if t["px"] < 12]
    assert not small, f"chart text below 12 px: {small}"
    month_labels = [t["text"] for t in texts]
    assert f"{month:%b}" in month_labels  # the last month is labelled, whole
    screenshot(page, f"report-performance-{size}")
    assert_reflows_at_320(page)


def test_an_empty_report_month_says_why_and_index_month_links_look_like_links(open_sized):
    supplier = SupplierFactory(code="SUPA", name="Supplier A")
    user = UserFactory(party=supplier)
    page = open_sized(user, f"/reports/performance/{previous_month():%Y-%m}/", SIZES["phone"])
    expect(page.get_by_text("No chart: nothing to draw yet.")).to_be_visible()
    expect(page.locator("svg.report-chart")).to_have_count(0)
    screenshot(page, "report-performance-empty-phone")
    index = open_sized(user, "/reports/", SIZES["desktop"])
    link = index.locator(".report-month-list a").first
    assert "underline" in link.evaluate("a => getComputedStyle(a).textDecorationLine")
