"""MP169 journeys in a real Chromium, with a real Celery worker delivering the outbox to a real SMTP sink:

- the DCC changes a restricted meter's supplier; the gaining supplier is emailed (R169-16), logs in with the
  form, sees the "needs your attention" card, opens the meter, sees its flag and its premises timeline;
- the CSP opens its restriction notices from its home page and acknowledges two of them (R169-17).
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from inventory.choices import RestrictionChannel
from inventory.models import Device, RestrictionNotice, SupplierChange
from inventory.services.restriction import restriction_set
from portal.choices import OutboxStatus
from portal.models import Party
from tests.e2e.conftest import screenshot
from tests.factories import SupplierFactory, UserFactory, make_sms
from tests.services import wait_for

pytestmark = pytest.mark.e2e

SET = {"restricted": True, "reason": "Consumer refused", "attested": True, "channel": RestrictionChannel.WEB}


def test_the_gaining_supplier_is_told_of_the_restricted_meter_and_reads_its_timeline(
        open_as, smtp_sink, celery_worker_process):
    losing = SupplierFactory(code="SUPA", name="Supplier A")
    gaining = SupplierFactory(code="SUPB", name="Supplier B")
    sms = make_sms(supplier=losing)
    restriction_set(device=sms["GSME"], actor=UserFactory(party=losing), **SET)
    gas = sms["GSME"].device_id

    # The DCC records the Change of Supplier on the meter's page.
    desk = open_as(UserFactory(party=Party.objects.get(code="DCC"), username="desk"), f"/inventory/devices/{gas}/")
    desk.get_by_text("Record a Change of Supplier (DCC service desk)").click()
    desk.get_by_label("New Responsible Supplier").select_option(label=str(gaining))
    desk.get_by_role("button", name="Record Change of Supplier").click()
    expect(desk.get_by_role("status")).to_contain_text("SUPB is now the Responsible Supplier")

    # The worker delivers the email to the gaining supplier, with the reminder.
    email = wait_for(lambda: next((m for m in smtp_sink.messages if "Restricted meters gained" in m["Subject"]), None),
                     timeout=60, message="gained restricted meters email")
    assert email["To"] == gaining.operational_email
    assert any(gas in body and "retry all reasonable steps" in body for body in smtp_sink.bodies())

    # The gaining supplier logs in and sees the card on its home page.
    UserFactory(username="gina", first_name="Gina", last_name="Gain", party=gaining)
    page = open_as(None, "/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill("gina")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    card = page.get_by_test_id("gained-restricted")
    expect(card).to_contain_text("Restricted meters you gained")
    expect(card).to_contain_text("retry all reasonable steps")
    screenshot(page, "home-gained-restricted")

    # It opens the meter: the flag is there, and so is the timeline of its premises.
    card.get_by_role("link", name=gas).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(gas)
    expect(page.get_by_role("heading", level=1).locator(".tag-restricted")).to_have_text("Restricted")
    page.get_by_role("link", name="Premises timeline").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Premises timeline")
    timeline = page.locator("ol.timeline")
    expect(timeline.locator('li[data-source="supplier_change"]').first).to_contain_text("SUPA -> SUPB")
    expect(timeline.locator('li[data-source="restriction"]').first).to_contain_text("Restricted mode set")
    screenshot(page, "premises-timeline")

    # On a phone the timeline still reads line by line, without sideways scrolling.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_the_csp_acknowledges_two_notices(open_as, smtp_sink, celery_worker_process):
    supplier = SupplierFactory(code="SUPA", name="Supplier A")
    actor = UserFactory(party=supplier)
    meters = [make_sms(supplier=supplier, gas=False)["ESME"] for _ in range(3)]
    for meter in meters:
        restriction_set(device=meter, actor=actor, **SET)
    csp = Party.objects.get(code="CSPN")
    wait_for(lambda: RestrictionNotice.objects.filter(csp=csp, outbox__status=OutboxStatus.DELIVERED).count() == 3,
             timeout=60, message="the three notices delivered by the worker")

    page = open_as(UserFactory(party=csp, username="nadia"), "/")
    card = page.get_by_test_id("restriction-notices")
    expect(card.locator(".figure")).to_have_text("3")
    card.get_by_role("link", name="Open the restriction notices").click()
    table = page.get_by_role("table")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table).to_contain_text("Delivered")
    for meter in meters[:2]:
        page.get_by_label(f"Acknowledge the notice for {meter.device_id}").check()
    screenshot(page, "csp-restriction-notices")
    page.get_by_role("button", name="Acknowledge the chosen notices").click()

    expect(page.get_by_role("status")).to_contain_text("2 notices acknowledged")
    expect(page.get_by_role("table").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_role("table")).to_contain_text(meters[2].device_id)
    acknowledged = RestrictionNotice.objects.filter(acknowledged_at__isnull=False)
    assert sorted(n.device.device_id for n in acknowledged) == sorted(m.device_id for m in meters[:2])
    assert all(n.acknowledged_by.username == "nadia" for n in acknowledged)
    page.get_by_role("link", name="Acknowledged", exact=True).click()
    expect(page.get_by_role("table")).to_contain_text("by nadia")
    assert Device.objects.filter(restricted=True).count() == 3


def test_the_new_mp169_pages_have_no_serious_or_critical_axe_violations(axe_violations):
    losing = SupplierFactory(code="SUPA", name="Supplier A")
    gaining = SupplierFactory(code="SUPB", name="Supplier B")
    sms = make_sms(supplier=gaining)
    actor = UserFactory(party=gaining)
    restriction_set(device=sms["GSME"], actor=actor, **SET)
    restriction_set(device=sms["ESME"], actor=actor, **SET)
    SupplierChange.objects.create(device=sms["GSME"], actor=actor, party=Party.objects.get(code="DCC"),
                                  old_supplier=losing, new_supplier=gaining)
    csp = UserFactory(party=Party.objects.get(code="CSPN"))
    pages = [
        (actor, "/"), (csp, "/"), (csp, "/inventory/restriction-notices/"),
        (csp, "/inventory/restriction-notices/?state=all"), (csp, f"/inventory/devices/{sms['CHF'].device_id}/"),
        (actor, f"/premises/{sms['GSME'].device_id}/timeline/"),
        (actor, f"/inventory/devices/{sms['CHF'].device_id}/replace-hub/"),
        (actor, "/inventory/?device_type=CHF"),
    ]
    violations = [violation for user, path in pages for violation in axe_violations(user, path)]
    assert not violations, violations
