"""axe-core and reflow on the pages of issue 17's alerts, schedules and Service Centre work and #19 item 9: the
allow-lists (both lists, the question, an error), the DCC alert log and the Service Centre form, as the DCC and a
supplier, at desktop size and on a 390 px phone (no page wider than the screen at 320 px)."""
from __future__ import annotations

import pytest

from gateway.models import DspSchedule
from inventory.choices import RestrictionChannel
from inventory.services.restriction import restriction_set
from portal.models import Party
from tests.e2e.conftest import AXE_SCRIPT, BLOCKING_IMPACTS, _session_cookie
from tests.factories import NetworkOperatorFactory, SupplierFactory, UserFactory, make_sms

pytestmark = pytest.mark.e2e

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844},
             "narrow": {"width": 320, "height": 640}}


@pytest.mark.parametrize("size", ["desktop", "phone", "narrow"])
def test_pages_have_no_serious_axe_violations_and_fit_the_screen(browser, live_server, dcc_party, size):
    supplier = SupplierFactory(code="SUPA", name="Supplier A")
    sms = make_sms(supplier=supplier, network_operator=NetworkOperatorFactory(code="DNOA"))
    DspSchedule.objects.create(device=sms["ESME"], party=supplier, scheduled_srv="4.6.1", frequency="Daily",
                               start_date="2026-12-02", details_xml="<sr:CreateSchedule/>")
    supplier_user, dcc_user = UserFactory(party=supplier), UserFactory(party=Party.objects.get(code="DCC"))
    restriction_set(device=sms["ESME"], actor=supplier_user, restricted=True, reason="Consumer refused",
                    attested=True, channel=RestrictionChannel.WEB)
    meter = sms["GSME"].device_id
    pages = [
        (dcc_user, "/gateway/allow-lists/"), (dcc_user, "/gateway/allow-lists/?list=alert"),
        (dcc_user, "/gateway/allow-lists/?list=alert&state=refused"),
        (dcc_user, "/gateway/allow-lists/change/?list=srv&items=1.7&allowed=false"),
        (dcc_user, "/gateway/allow-lists/change/?list=alert&items=8002&items=8003&allowed=false"),
        (dcc_user, "/gateway/alerts/dcc/"), (supplier_user, "/gateway/alerts/dcc/"),
        (dcc_user, f"/inventory/devices/{meter}/restriction/service-centre/"),
    ]
    problems = []
    for user in (dcc_user, supplier_user):
        context = browser.new_context(base_url=live_server.url, viewport=VIEWPORTS[size], bypass_csp=True)
        context.add_cookies([_session_cookie(user, live_server.url)])
        page = context.new_page()
        for who, path in pages:
            if who != user:
                continue
            response = page.goto(path)
            assert response is not None and response.ok, f"{path}: {response and response.status}"
            page.add_script_tag(path=str(AXE_SCRIPT))
            results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
            problems += [f"{path}: {v['id']} ({v['impact']}) {v['help']}" for v in results["violations"]
                         if v["impact"] in BLOCKING_IMPACTS]
            width = page.evaluate("document.documentElement.scrollWidth")
            if size != "desktop" and width > VIEWPORTS[size]["width"]:
                problems.append(f"{path}: {width} px wide on a {VIEWPORTS[size]['width']} px screen")
        if user is dcc_user:  # an error state too: the question posted without a reason
            page.goto("/gateway/allow-lists/change/?list=srv&items=1.7&allowed=false")
            page.get_by_role("button", name="Yes, refuse 1.7").click()
            page.add_script_tag(path=str(AXE_SCRIPT))
            results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
            problems += [f"question with error: {v['id']} ({v['impact']}) {v['help']}" for v in results["violations"]
                         if v["impact"] in BLOCKING_IMPACTS]
        context.close()
    assert not problems, "\n".join(problems)
