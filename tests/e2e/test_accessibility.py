"""axe-core on every main page, as the role that uses it, with real content: no serious or critical violations,
at the desktop size and on a phone (issue #19: 1366x900 and 390x844); and no main page wider than a
320 px viewport (WCAG 2.2 1.4.10 Reflow: content reflows at 320 CSS px without scrolling sideways; a wide
table scrolls inside its own region).

Each test walks all the pages so the database is set up once; it reports every problem found, not just
the first page's.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.services import incident_add_note, incident_raise_install_code_request
from inventory.choices import DeviceStatus
from inventory.services.extracts import device_extract_job_submit
from inventory.services.restriction_bulk import restriction_bulk_job_submit
from portal.models import Party
from tests.e2e.conftest import DESKTOP, PHONE, REFLOW
from tests.factories import DeviceFactory, NetworkOperatorFactory, SupplierFactory, UserFactory, make_sms

pytestmark = pytest.mark.e2e


def _format(violations: list[dict]) -> str:
    return "\n".join(
        f"- {v['page']}: {v['rule']} ({v['impact']}): {v['help']}; elements: {'; '.join(v['targets'])}" for v in violations
    )


def main_pages(dcc_party) -> tuple[dict, list[tuple[str | None, str, int]]]:
    """Every main page with real content, as the role that uses it: ``(users, [(role, path, status)])``.

    Status 403 rows are the pages that explain to a role why it cannot use a form (issue #19 item 6).
    """
    supplier = SupplierFactory(code="SUPA", name="Supplier A")
    installer = SupplierFactory(code="SUPB", name="Supplier B")
    operator = NetworkOperatorFactory(code="DNOA", name="Network Operator A")
    sms = make_sms(supplier=supplier, network_operator=operator)
    sms["ESME"].restricted, sms["ESME"].restricted_since = True, timezone.now() - timedelta(days=3)
    sms["ESME"].save(update_fields=["restricted", "restricted_since"])
    uncommissioned = DeviceFactory(status=DeviceStatus.INSTALLED_NOT_COMMISSIONED, date_commissioned=None,
                                   responsible_supplier=supplier, prenotifying_supplier=installer)
    supplier_user = UserFactory(party=supplier)
    incident, _created = incident_raise_install_code_request(device_id=uncommissioned.device_id, actor=supplier_user)
    installer_user = UserFactory(party=installer)
    answered = DeviceFactory(status=DeviceStatus.PENDING, date_commissioned=None,
                             responsible_supplier=supplier, prenotifying_supplier=installer)
    answered_incident, _created = incident_raise_install_code_request(device_id=answered.device_id, actor=supplier_user)
    incident_add_note(incident=answered_incident, actor=installer_user, body="Code as requested.",
                      install_code="A1B2C3D4E5F60718")
    users = {
        "supplier": supplier_user, "installer": installer_user, "operator": UserFactory(party=operator),
        "dcc": UserFactory(party=dcc_party), "csp": UserFactory(party=Party.objects.get(code="CSPN")),
    }
    reference, meter = incident.reference, sms["ESME"].device_id
    bulk_job = restriction_bulk_job_submit(actor=supplier_user, rows=[
        {"device_id": sms["GSME"].device_id, "restricted": "true", "reason": "Consumer refused",
         "all_reasonable_steps_taken": "true"},
        {"device_id": "00-DB-00-00-00-00-00-01", "restricted": "true", "reason": "Consumer refused"}])
    extract = device_extract_job_submit(actor=supplier_user, filters="device_type=ESME")
    month = f"{timezone.localdate().replace(day=1) - timedelta(days=1):%Y-%m}"
    pages = [
        (None, "/accounts/login/"),
        ("supplier", "/"), ("operator", "/"), ("dcc", "/"), ("csp", "/"),
        ("supplier", "/inventory/"), ("supplier", "/inventory/?restricted=true"), ("operator", "/inventory/"),
        ("supplier", f"/inventory/devices/{meter}/"), ("operator", f"/inventory/devices/{meter}/"),
        ("supplier", "/inventory/restrictions/bulk/"), ("supplier", f"/inventory/restrictions/bulk/{bulk_job.pk}/"),
        ("supplier", "/inventory/extracts/"), ("supplier", f"/inventory/extracts/{extract.pk}/"),
        ("supplier", "/incidents/"), ("installer", "/incidents/?queue=assigned"), ("dcc", "/incidents/"),
        ("supplier", "/incidents/install-code-requests/new/"), ("supplier", "/incidents/install-code-requests/bulk/"),
        ("installer", f"/incidents/{reference}/"), ("dcc", f"/incidents/{reference}/"),
        ("supplier", f"/incidents/{answered_incident.reference}/"),
        ("dcc", "/inventory/cpl/"), ("supplier", "/inventory/cpl/"), ("dcc", "/inventory/cpl/add/"),
        ("supplier", "/gateway/"), ("dcc", "/gateway/"), ("dcc", "/gateway/allow-lists/"),
        ("dcc", "/admin-tools/outbox/"),
        ("supplier", "/reports/"), ("supplier", f"/reports/install-code-sla/{month}/"),
        ("dcc", f"/reports/performance/{month}/"), ("csp", "/reports/restricted-firmware/"),
        ("supplier", "/account/api-tokens/"), ("supplier", "/inventory/prenotify/"),
        ("supplier", f"/inventory/devices/{uncommissioned.device_id}/join/"),
    ]
    explained = [("operator", "/incidents/install-code-requests/new/"), ("operator", "/inventory/restrictions/bulk/"),
                 ("operator", "/incidents/"), ("csp", "/inventory/cpl/add/")]
    return users, [(role, path, 200) for role, path in pages] + [(role, path, 403) for role, path in explained]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop-1366x900", "phone-390x844"])
def test_main_pages_have_no_serious_or_critical_axe_violations(axe_violations, dcc_party, viewport):
    users, pages = main_pages(dcc_party)

    violations = [violation for role, path, status in pages
                  for violation in axe_violations(users.get(role), path, viewport=viewport, status=status)]

    assert not violations, "axe-core found serious or critical violations:\n" + _format(violations)


#: What sticks out past the viewport: the outermost elements whose right edge is beyond it (a scrolling region's
#: content does not count: it scrolls inside its region, not the page).
_OVERFLOWING = """(width) => {
  const found = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.right <= width + 1 || box.width === 0) continue;
    if (el.closest('.table-scroll, .visually-hidden, .skip-link')) continue;
    if (el.parentElement && el.parentElement.getBoundingClientRect().right > width + 1
        && !el.parentElement.matches('body')) continue;
    found.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className && typeof el.className === 'string'
      ? '.' + el.className.trim().split(/\\s+/).join('.') : ''} (${Math.round(box.right)} px)`);
    if (found.length >= 5) break;
  }
  return found;
}"""


def test_no_main_page_is_wider_than_a_320_px_viewport(browser, live_server, dcc_party):
    from tests.e2e.conftest import _session_cookie

    users, pages = main_pages(dcc_party)
    too_wide = []
    contexts = {}
    try:
        for role, path, status in pages:
            user = users.get(role)
            if role not in contexts:
                contexts[role] = browser.new_context(base_url=live_server.url, viewport=REFLOW)
                if user is not None:
                    contexts[role].add_cookies([_session_cookie(user, live_server.url)])
                contexts[role].new_page()
            page = contexts[role].pages[0]
            response = page.goto(path)
            assert response is not None and response.status == status, f"{path} answered {response and response.status}"
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > REFLOW["width"]:
                too_wide.append(f"- {path} as {role}: {width} px wide; {page.evaluate(_OVERFLOWING, REFLOW['width'])}")
    finally:
        for context in contexts.values():
            context.close()

    assert not too_wide, "Pages wider than a 320 px viewport (WCAG 1.4.10):\n" + "\n".join(too_wide)
