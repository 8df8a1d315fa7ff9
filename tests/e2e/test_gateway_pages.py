"""Gateway pages in the browser: the service-request log as the DCC, a CSP and a supplier (each sees only its
scope; filters go through htmx and stay in the URL), the alert logs, and the DCC's MP169 allow-list edits
(audited, refused to anyone else, and honoured by the very next gateway decision).

The log rows are made by the gateway itself: a real DUIS request posted to ``/duis/`` and decisions of
``gateway.services`` (``service_request_submit``, ``alert_receive``), as the REST API makes them."""
from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gateway.choices import Channel
from gateway.models import AllowListChange, RestrictedSrvAllowance
from gateway.services import alert_receive, service_request_submit
from inventory.choices import CSPRegion
from portal.models import Party
from tests.duis_samples import duis
from tests.e2e.conftest import screenshot
from tests.factories import DeviceFactory, SupplierFactory, UserFactory

pytestmark = pytest.mark.e2e

#: The target of the real DUIS 4.1.1 reference request (tests/data/duis), in the North region.
NORTH_METER = "00-DB-12-34-56-78-90-A0"


@pytest.fixture
def suppliers():
    return SupplierFactory(code="SUPA", name="Supplier A"), SupplierFactory(code="SUPB", name="Supplier B")


@pytest.fixture
def traffic(suppliers, duis_sender, demo_identities):
    """Four 4.1.1 requests decided by the gateway: one accepted (real DUIS XML), two E4 (another supplier's
    meter), one E72 (a restricted meter). Supplier A's meter is in the North, Supplier B's in the South."""
    supa, supb = suppliers
    north = DeviceFactory(device_id=NORTH_METER, responsible_supplier=supa, csp_region=CSPRegion.NORTH)
    south = DeviceFactory(responsible_supplier=supb, csp_region=CSPRegion.SOUTH, restricted=True,
                          restricted_since=timezone.now())
    # Signed by the DCC Boxed tool with Supplier A's own User ID (issue 16: unsigned DUIS is refused).
    identity = demo_identities(supa, "90-B3-D5-1F-30-0A-00-01", "IS")
    response = duis_sender(supa).post(duis("4.1.1"), identity=identity)
    assert response.status_code == 200 and b"I99" in response.content

    def submit(party, device):
        return service_request_submit(party=party, user=None, srv="4.1.1", device_id=device.device_id,
                                      command_variant=1, channel=Channel.JSON).response_code

    assert [submit(supa, south), submit(supb, south), submit(supb, north)] == ["E4", "E72", "E4"]
    return north, south


def _rows(page):
    return page.locator("#log-rows tbody tr")


def test_dcc_filters_the_request_log_and_the_filters_stay_in_the_url(open_as, traffic, dcc_party):
    north, south = traffic
    page = open_as(UserFactory(party=dcc_party, username="desk"), "/gateway/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Service requests")
    expect(_rows(page)).to_have_count(4)
    expect(_rows(page).filter(has_text="I99")).to_contain_text("DUIS XML")

    # Filtering swaps the rows in place (htmx) and pushes the filters into the address bar.
    page.get_by_label("Response code").select_option("E4")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"response_code=E4"))
    expect(_rows(page)).to_have_count(2)
    page.get_by_label("Party").select_option(label="Supplier A (SUPA)")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"party=\d+"))
    expect(_rows(page)).to_have_count(1)
    expect(_rows(page)).to_contain_text(south.device_id)
    expect(_rows(page)).to_contain_text("not the Responsible Supplier")

    # A reload (or a shared link) shows the same filtered log, with the form still filled in.
    page.reload()
    expect(page.get_by_label("Response code")).to_have_value("E4")
    expect(_rows(page)).to_have_count(1)
    expect(_rows(page)).to_contain_text(south.device_id)
    screenshot(page, "gateway-log-dcc-filtered")

    # Both requests to Supplier B's meter came while it was restricted: E4 (wrong supplier) and E72 (MP169).
    page.goto("/gateway/?restricted=true")
    expect(_rows(page)).to_have_count(2)
    expect(_rows(page).locator(".tag-restricted")).to_have_text(["Restricted", "Restricted"])
    expect(_rows(page).filter(has_text="E72")).to_contain_text("SUPB")

    # A filter that matches nothing says so; a malformed Device ID is explained next to the field.
    page.goto("/gateway/?srv=11.1")
    expect(page.get_by_text("Nothing matches these filters")).to_be_visible()
    page.goto("/gateway/?device_id=nonsense")
    expect(page.get_by_role("alert")).to_contain_text("EUI-64")
    # Corrected through htmx, the rows come back and the error beside the field goes away.
    page.get_by_label("Device ID").fill("")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#log-rows tbody tr").first).to_be_visible()
    expect(page.locator("#filter-errors-device_id")).to_be_empty()
    # Through htmx too (only the rows are swapped): the rows say the filters were not applied, and why.
    page.goto("/gateway/")
    page.get_by_label("Device ID").fill("nonsense")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile("device_id=nonsense"))
    expect(page.locator("#log-rows").get_by_role("alert")).to_contain_text("the filters were not applied")
    expect(page.locator("#log-rows").get_by_role("alert")).to_contain_text("Device ID")


def test_supplier_sees_only_its_own_requests_and_a_csp_only_its_region(open_as, traffic, suppliers):
    north, south = traffic
    supa, _supb = suppliers

    page = open_as(UserFactory(party=supa), "/gateway/")
    expect(page.get_by_text("The requests your party sent.")).to_be_visible()
    expect(_rows(page)).to_have_count(2)
    for row in _rows(page).all():
        expect(row.locator("td").nth(2)).to_have_text("SUPA")
    expect(page.get_by_label("Party")).to_have_count(0)
    tabs = page.get_by_role("navigation", name="Gateway logs")
    expect(tabs.get_by_role("link", name="Diagnostics log (MP169)")).to_have_count(0)
    expect(tabs.get_by_role("link", name="Allow-lists")).to_have_count(0)
    screenshot(page, "gateway-log-supplier")

    page = open_as(UserFactory(party=Party.objects.get(code="CSPN")), "/gateway/")
    expect(page.get_by_text("Requests to devices in your region.")).to_be_visible()
    expect(_rows(page)).to_have_count(2)
    expect(_rows(page).filter(has_text=south.device_id)).to_have_count(0)
    expect(_rows(page).filter(has_text="SUPA")).to_contain_text("I99")
    expect(_rows(page).filter(has_text="SUPB")).to_contain_text("E4")
    page.get_by_label("Device ID").fill(south.device_id.lower())
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile("device_id="))
    expect(page.get_by_text("Nothing matches these filters")).to_be_visible()
    screenshot(page, "gateway-log-csp")


def test_alerts_from_a_restricted_meter_go_to_the_diagnostics_log_seen_by_dcc_and_csp_only(
        open_as, traffic, suppliers, dcc_party):
    north, south = traffic
    _supa, supb = suppliers
    assert alert_receive(party=dcc_party, device_id=south.device_id, alert_code="8F0A").log == "diagnostics"
    assert alert_receive(party=dcc_party, device_id=north.device_id, alert_code="8002").log == "sat"

    page = open_as(UserFactory(party=Party.objects.get(code="CSPS")), "/gateway/")
    page.get_by_role("navigation", name="Gateway logs").get_by_role("link", name="Diagnostics log (MP169)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Diagnostics log")
    expect(_rows(page)).to_have_count(1)
    expect(_rows(page)).to_contain_text(south.device_id)
    expect(_rows(page).locator(".tag-restricted")).to_have_text("Restricted")
    screenshot(page, "gateway-diagnostics-csp")

    # Supplier B gets no diagnostics log, and its SAT log does not hold the diverted alert.
    page = open_as(UserFactory(party=supb), "/gateway/alerts/diagnostics/")
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot do this")
    page.goto("/gateway/alerts/sat/")
    expect(page.get_by_text("No alerts in this log yet.")).to_be_visible()


@pytest.mark.parametrize("viewport", [None, {"width": 390, "height": 844}], ids=["desktop", "phone"])
def test_dcc_edits_the_allow_list_through_the_confirmation_step(open_as, traffic, suppliers, dcc_party, viewport):
    """#19 item 9: find the row, ask to change it, be asked the question naming the effect, give the required reason
    (an empty one is an error summary, focused), confirm; the message is at the changed row and the very next
    gateway decision follows the list. Then a bulk edit of two alerts. At desktop size and on a 390 px phone."""
    _north, south = traffic
    _supa, supb = suppliers

    def read():
        return service_request_submit(party=supb, user=None, srv="4.1.1", device_id=south.device_id,
                                      command_variant=1, channel=Channel.JSON).response_code

    page = open_as(UserFactory(party=dcc_party, username="desk"), "/gateway/")
    if viewport:
        page.set_viewport_size(viewport)
    page.get_by_role("navigation", name="Gateway logs").get_by_role("link", name="Allow-lists").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("MP169 allow-lists")
    # On the phone the nav is folded behind "Menu": the current section is marked all the same.
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin", include_hidden=True)
           ).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_contain_text("Admin: MP169 allow-lists")
    page.get_by_label("Search code or name").fill("4.1.1")
    page.get_by_role("button", name="Filter").click()
    row = page.locator("#row-srv-4-1-1")
    expect(row.locator(".tag-restricted")).to_have_text("Refused")
    row.get_by_role("link", name="Allow 4.1.1").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Allow 4.1.1 for every restricted device?")
    expect(page.locator("#effect")).to_contain_text("1 device is Restricted now")
    page.get_by_role("button", name="Yes, allow 4.1.1").click()
    expect(page).to_have_title(re.compile("^Error: Allow 4.1.1"))
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="Enter the reason for the change.")).to_be_visible()
    expect(page.get_by_label("Reason for the change")).to_have_attribute("aria-invalid", "true")
    assert read() == "E72"  # nothing changed yet
    screenshot(page, f"gateway-allow-list-reason-missing-{'phone' if viewport else 'desktop'}")
    page.get_by_label("Reason for the change").fill("Trial of remote reads")
    page.get_by_role("button", name="Yes, allow 4.1.1").click()

    expect(page).to_have_url(re.compile(r"/gateway/allow-lists/\?list=srv&q=4.1.1#row-srv-4-1-1$"))
    notice = page.locator("#row-srv-4-1-1 + tr.row-notice [role=status]")
    expect(notice).to_contain_text("4.1.1 is now allowed for restricted devices")
    expect(page.locator("#row-srv-4-1-1 .tag-ok")).to_have_text("Allowed")
    expect(page.locator("#row-srv-4-1-1 .tag-warn")).to_have_text("Not the MP169 default")
    expect(page.locator("#history tbody tr").first).to_contain_text("desk (DCC)")
    expect(page.locator("#history tbody tr").first).to_contain_text("Trial of remote reads")
    if viewport:
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    screenshot(page, f"gateway-allow-list-edited-{'phone' if viewport else 'desktop'}")
    change = AllowListChange.objects.get(actor__isnull=False)
    assert (change.item, change.old_allowed, change.new_allowed, change.party) == ("4.1.1", False, True, dcc_party)
    assert read() == "I99"  # the very next request

    # Bulk: two voltage alerts withheld at once, after the question.
    page.goto("/gateway/allow-lists/?list=alert&category=voltage")
    page.get_by_label("Select 8002").check()
    page.get_by_label("Select 8003").check()
    page.get_by_role("button", name="Withhold selected").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Withhold 2 alerts from every restricted device?")
    expect(page.get_by_role("note")).to_contain_text("This departs from the MP169 default")
    page.get_by_label("Reason for the change").fill("Network trial")
    page.get_by_role("button", name="Yes, withhold 2 alerts").click()
    expect(page.locator("#row-alert-8002 + tr.row-notice [role=status]")).to_contain_text(
        "8002, 8003 are now withheld")
    assert AllowListChange.objects.filter(actor__isnull=False, item__in=["8002", "8003"], new_allowed=False).count() == 2
    assert alert_receive(party=dcc_party, device_id=south.device_id, alert_code="8002").log == "diagnostics"


def test_a_supplier_gets_no_allow_list_form_and_cannot_post_one(open_as, suppliers):
    supa, _supb = suppliers
    page = open_as(UserFactory(party=supa), "/gateway/allow-lists/")
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot do this")
    expect(page.get_by_text("Only the DCC service desk may change the MP169 allow-lists.")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^(Allow|Refuse) "))).to_have_count(0)
    screenshot(page, "gateway-allow-list-refused")

    # Posting the form anyway (with the page's own CSRF token) is refused and changes nothing.
    status = page.evaluate("""async () => {
        const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken'];
        const body = new URLSearchParams({allow_list: 'srv', item: '4.1.1', allowed: 'true', reason: 'sneaky'});
        const response = await fetch('/gateway/allow-lists/', {method: 'POST', body, headers: {'X-CSRFToken': token}});
        return response.status;
    }""")
    assert status == 403
    assert not RestrictedSrvAllowance.objects.filter(srv_id="4.1.1").exists()
    assert not AllowListChange.objects.filter(actor__isnull=False).exists()

