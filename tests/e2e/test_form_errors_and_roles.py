"""Issue #19 journeys, at the desktop size and on a phone (1366x900 and 390x844), in real Chromium:

- a supplier's restriction refused then fixed: the device page comes back with the answers kept, an error
  summary at the form (focused, every error at once, a link to each field), inline messages,
  ``aria-invalid`` and ``aria-describedby``, and a title starting "Error: "; once fixed, the change is
  made and the real Celery worker delivers its CSP notification;
- a network operator's home and navigation: only what it may do (no Incidents, CPL or Admin, no "0 open"
  cards), a menu button on the phone, and supplier-only URLs answering with a page that says why - not a
  form it cannot submit.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from inventory.models import Device, RestrictionChange
from portal.models import Party
from tests.e2e.conftest import DESKTOP, PHONE, screenshot
from tests.factories import NetworkOperatorFactory, SupplierFactory, UserFactory, make_sms
from tests.services import wait_for

pytestmark = pytest.mark.e2e

SIZES = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
DETAILS = "Consumer phoned on 1 December: refuses remote reads"
ATTESTATION = "All reasonable steps to install a fully communicating smart meter were taken"


def _size(viewport: dict) -> str:
    return "phone" if viewport["width"] < 600 else "desktop"


def _focused(page: Page) -> dict:
    return page.evaluate("""() => { const el = document.activeElement;
        return {id: el.id, summary: el.hasAttribute('data-error-summary'), tag: el.tagName}; }""")


def _outline(locator) -> list[str]:
    return locator.evaluate(
        "el => { const s = getComputedStyle(el); return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }")


def _page_width(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@SIZES
def test_supplier_fixes_a_refused_restriction_with_the_answers_kept(open_as, csp_endpoint, celery_worker_process,
                                                                     viewport):
    csp = Party.objects.get(code="CSPN")
    csp.notification_endpoint = csp_endpoint.url
    csp.save(update_fields=["notification_endpoint"])
    supplier = SupplierFactory(code="SUPA", name="Supplier A")
    meter = make_sms(supplier=supplier, gas=False)["ESME"]
    page = open_as(UserFactory(party=supplier), f"/inventory/devices/{meter.device_id}/", viewport=viewport)

    panel = page.get_by_role("region", name="Restricted mode (MP169)")
    expect(panel.get_by_role("radio", checked=True)).to_have_count(0)  # nothing pre-selected
    panel.get_by_label("Restricted: consumption reads refused").check()
    panel.get_by_label("Details").fill(DETAILS)
    panel.get_by_role("button", name="Save restriction").click()  # no reason chosen, no attestation

    # The same page, the answers kept, every error at once in a summary at the form, which has the focus.
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    assert _focused(page)["summary"]
    expect(summary).to_be_in_viewport()
    assert page.locator("form#restriction-form [data-error-summary]").count() == 1, "the summary is at the form"
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    links = summary.get_by_role("link")
    expect(links).to_have_count(2)
    expect(links.nth(0)).to_have_attribute("href", "#id_reason_choice_0")
    expect(links.nth(1)).to_have_attribute("href", "#id_all_reasonable_steps_taken")
    expect(summary).to_contain_text("Nothing was changed.")
    expect(panel.get_by_label("Restricted: consumption reads refused")).to_be_checked()
    expect(panel.get_by_label("Details")).to_have_value(DETAILS)

    # Inline messages above their fields, tied to them for assistive technology.
    attestation = panel.get_by_label(ATTESTATION)
    expect(attestation).to_have_attribute("aria-invalid", "true")
    described = attestation.get_attribute("aria-describedby").split()
    assert "id_all_reasonable_steps_taken_error" in described
    expect(page.locator("#id_all_reasonable_steps_taken_error")).to_contain_text("Error: Confirm that all reasonable steps")
    reasons = panel.get_by_role("group", name="Why is it changing?")
    expect(reasons).to_have_attribute("aria-describedby", re.compile(r"\bid_reason_choice_error\b"))
    expect(page.locator("#id_reason_choice_error")).to_contain_text("Select the reason for the change")
    expect(panel.get_by_label("Change of tenancy")).to_have_attribute("aria-invalid", "true")
    color = page.locator("#id_reason_choice_error").evaluate("el => getComputedStyle(el).color")
    assert color == "rgb(179, 38, 30)", color  # the one error style: red, #b3261e
    assert _page_width(page) <= viewport["width"]
    screenshot(page, f"restriction-errors-{_size(viewport)}")

    # A summary link takes the keyboard to the field, which shows the one focus outline (3 px, #0b4f8a).
    links.nth(1).focus()
    page.keyboard.press("Enter")
    expect(attestation).to_be_focused()
    assert _outline(attestation) == ["solid", "3px", "rgb(11, 79, 138)"]
    page.keyboard.press("Shift+Tab")  # back to the Details text area: the same outline on a text control
    expect(panel.get_by_label("Details")).to_be_focused()
    assert _outline(panel.get_by_label("Details")) == ["solid", "3px", "rgb(11, 79, 138)"]
    page.keyboard.press("Shift+Tab")  # the last reason radio: the same outline, not Pico's faint ring
    expect(panel.get_by_label("Other reason")).to_be_focused()
    assert _outline(panel.get_by_label("Other reason")) == ["solid", "3px", "rgb(11, 79, 138)"]

    assert not RestrictionChange.objects.exists() and not Device.objects.get(pk=meter.pk).restricted

    # Fixed: the change is made, the page says so, and the worker tells the region's CSP.
    panel.get_by_label("Consumer refused remote collection of consumption data").check()
    attestation.check()
    panel.get_by_role("button", name="Save restriction").click()
    expect(page.get_by_role("status")).to_contain_text("The CSP will be notified")
    expect(page).not_to_have_title(re.compile(r"^Error: "))
    expect(page.locator("[data-error-summary]")).to_have_count(0)
    change = RestrictionChange.objects.get()
    assert change.reason == f"Consumer refused remote collection of consumption data: {DETAILS}"
    wait_for(lambda: len(csp_endpoint.received) == 1, message="the CSP notification, by the real worker")
    assert csp_endpoint.received[0]["device_ids"] == [meter.device_id]
    screenshot(page, f"restriction-fixed-{_size(viewport)}")


SUPPLIER_ONLY = {
    "/incidents/install-code-requests/new/": "Only energy suppliers request install codes",
    "/incidents/install-code-requests/bulk/": "Only energy suppliers request install codes",
    "/inventory/restrictions/bulk/": "Only energy suppliers change Restricted mode",
    "/inventory/prenotify/": "Only suppliers pre-notify devices",
    "/incidents/": "Your role has no incidents",
}


@SIZES
def test_network_operator_sees_only_what_it_may_do(open_as, viewport):
    operator = NetworkOperatorFactory(code="DNOA", name="Network Operator A")
    supplier = SupplierFactory(code="SUPA", name="Supplier A")
    meter = make_sms(supplier=supplier, network_operator=operator, gas=False)["ESME"]
    page = open_as(UserFactory(party=operator), "/", viewport=viewport)

    nav = page.get_by_role("navigation", name="Main")
    if viewport is PHONE:
        menu = nav.get_by_role("button", name="Menu")
        expect(menu).to_have_attribute("aria-expanded", "false")
        expect(nav.get_by_role("link", name="Inventory")).to_be_hidden()
        header = page.locator("header.site-header").bounding_box()
        assert header["height"] <= 160, f"the header takes {header['height']} of 844 px"
        menu.click()
        expect(menu).to_have_attribute("aria-expanded", "true")
    sections = nav.locator("#nav-sections a")
    expect(sections).to_have_text(["Inventory", "Reports", "Gateway logs"])
    expect(page.get_by_test_id("party-badge")).to_be_in_viewport()

    main = page.locator("main")
    expect(main.get_by_test_id("incidents-assigned")).to_have_count(0)  # no "0 open" cards it can never act on
    expect(main.get_by_test_id("incidents-raised")).to_have_count(0)
    for label in ("Raise an install-code request", "Bulk install-code requests", "Bulk restriction changes",
                  "Pre-notify a device", "Allow-lists", "Central Products List"):
        expect(main.get_by_role("link", name=label)).to_have_count(0)
    expect(main.get_by_role("link", name="Search the inventory (read only)")).to_be_visible()
    assert _page_width(page) <= viewport["width"]
    screenshot(page, f"home-network-operator-{_size(viewport)}")

    for path, heading in SUPPLIER_ONLY.items():
        response = page.goto(path)
        assert response.status == 403, path
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        expect(page.get_by_test_id("refusal-reason")).not_to_be_empty()
        # An explanation, not a form the role cannot submit: the only form is the header's "Log out".
        assert page.locator("main form").count() == 0, path
    screenshot(page, f"not-allowed-network-operator-{_size(viewport)}")

    # Its meter's page is read-only, and fits the screen (the SMS table scrolls in its own region).
    page.goto(f"/inventory/devices/{meter.device_id}/")
    panel = page.get_by_role("region", name="Restricted mode (MP169)")
    expect(panel.get_by_role("button", name="Save restriction")).to_have_count(0)
    expect(page.get_by_role("link", name="Join this device to a hub (SSMI)")).to_have_count(0)
    assert _page_width(page) <= viewport["width"]
