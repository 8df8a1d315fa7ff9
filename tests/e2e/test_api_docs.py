"""The interactive API documentation (Swagger UI at /api/docs/) in a real browser, under the portal's
Content-Security-Policy: it must render the operations with no CSP violation and no JavaScript error
(``open_as`` fails the test on either)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.factories import DeviceFactory, SupplierFactory, UserFactory

pytestmark = pytest.mark.e2e


def test_swagger_ui_renders_the_operations_under_the_csp(open_as):
    supplier = SupplierFactory(code="SUPA", name="Supplier A")
    device = DeviceFactory(responsible_supplier=supplier)
    page = open_as(UserFactory(party=supplier), "/api/docs/")

    expect(page.get_by_role("heading", name=re.compile("DCC Self-Service Portal API"))).to_be_visible()
    devices = page.locator("#operations-api-api_v1_devices_list")
    expect(devices.get_by_role("link", name="/api/v1/devices/", exact=True)).to_be_visible()
    expect(page.locator(".opblock")).not_to_have_count(0)

    # The operation opens with the view's description, and "Try it out" calls the API with the session.
    devices.get_by_role("button", name="GET /api/v1/devices/", exact=True).click()
    expect(devices).to_contain_text("Devices you may see in the SSI inventory")
    devices.get_by_role("button", name="Try it out").click()
    devices.get_by_role("button", name="Execute").click()
    live = devices.locator(".live-responses-table")
    expect(live.locator("tbody .response-col_status")).to_have_text("200")
    expect(live).to_contain_text(device.device_id)
    screenshot(page, "api-docs")
