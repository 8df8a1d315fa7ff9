"""Regenerate docs/screenshots/: every main page, as every role that uses it, at 1366x900 and on a 390x844 phone.

    python -m tests.e2e.screenshots          # or: make screenshots

It runs itself under pytest (the name does not start with ``test_``, so the suite never collects it): a live
server on the test database, the system Chromium, and a small world built with the factories and the
portal's own services - suppliers with Smart Metering Systems (one meter Restricted, one Prepayment), a device
that changed supplier before commissioning with an install-code request, four months of service requests.
Each page is opened as a signed-in user of the role; a page the role may not open is skipped (and said so).
The old images under docs/screenshots/desktop/ and phone/ are removed first, then docs/screenshots/README.md's
table is written from what was taken.
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from django.utils import timezone

pytestmark = pytest.mark.e2e

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}


def main() -> None:
    sys.exit(pytest.main([__file__, "-p", "no:cacheprovider", "-q", "-s", *sys.argv[1:]]))


def _world(dcc_party, csp_north):
    from gateway.models import ServiceRequestLog
    from incidents.services import incident_raise_install_code_request
    from inventory.choices import CSPRegion, DeviceStatus, DeviceType, PaymentMode
    from reporting.months import add_months, previous_month
    from tests.factories import (
        DeviceFactory,
        NetworkOperatorFactory,
        PartyFactory,
        SupplierFactory,
        UserFactory,
        make_sms,
    )

    supplier = SupplierFactory(code="SUPA", name="Supplier A")
    other = SupplierFactory(code="SUPB", name="Supplier B")
    operator = NetworkOperatorFactory(code="DNOA", name="Network Operator A")
    other_user = PartyFactory(code="OUA", name="Other User A", roles=["OU"])
    systems = [make_sms(supplier=supplier, network_operator=operator, csp_region=CSPRegion.NORTH) for _ in range(4)]
    make_sms(supplier=other, csp_region=CSPRegion.SOUTH)
    restricted = systems[0]["GSME"]
    for device in (restricted, systems[0]["GPF"]):
        device.restricted, device.restricted_since = True, timezone.now()
        device.save()
    systems[1]["ESME"].payment_mode = PaymentMode.PREPAYMENT
    systems[1]["ESME"].save()
    changed = DeviceFactory(device_type=DeviceType.ESME, status=DeviceStatus.INSTALLED_NOT_COMMISSIONED,
                            date_commissioned=None, responsible_supplier=supplier, prenotifying_supplier=other,
                            network_operator=operator, csp_region=CSPRegion.NORTH)
    users = {
        "supplier": UserFactory(party=supplier, username="supa-user"),
        "dcc": UserFactory(party=dcc_party, username="dcc-user"),
        "network_operator": UserFactory(party=operator, username="dnoa-user"),
        "csp": UserFactory(party=csp_north, username="cspn-user"),
        "other_user": UserFactory(party=other_user, username="oua-user"),
    }
    incident, _ = incident_raise_install_code_request(device_id=changed.device_id, actor=users["supplier"])
    month = previous_month()
    log = []
    for offset in range(4):
        at = dt.datetime.combine(add_months(month, -offset).replace(day=10), dt.time(10), tzinfo=dt.UTC)
        for index in range(6 + offset):
            log.append(ServiceRequestLog(
                request_id=f"SHOT-{offset}-{index}", requested_at=at + dt.timedelta(minutes=index), party=supplier,
                srv="4.1.1" if index % 3 else "6.15.1", srv_category="consumption" if index % 3 else "other_device",
                device_id=systems[2]["ESME"].device_id, response_code="I99" if index % 4 else "E21",
                restricted_at_request=False, csp_region="North", channel="json"))
    ServiceRequestLog.objects.bulk_create(log)
    return users, {"meter": restricted.device_id, "incident": incident.reference, "month": f"{month:%Y-%m}"}


def _pages(facts: dict) -> list[tuple[str, str, str]]:
    """(file name, path, what it shows)."""
    month = facts["month"]
    return [
        ("home", "/", "home page"),
        ("inventory", "/inventory/", "SSI inventory list"),
        ("device", f"/inventory/devices/{facts['meter']}/", "a Restricted gas meter's device page"),
        ("cpl", "/inventory/cpl/", "Central Products List"),
        ("incidents", "/incidents/", "incidents list"),
        ("incident", f"/incidents/{facts['incident']}/", "an install-code request"),
        ("install-code-request", "/incidents/install-code-requests/new/", "request an install code"),
        ("reports", "/reports/", "reports index"),
        ("report-performance", f"/reports/performance/{month}/", "service request performance, last month"),
        ("report-install-code-sla", f"/reports/install-code-sla/{month}/", "install-code SLA, last month"),
        ("report-restricted-firmware", "/reports/restricted-firmware/", "restricted devices behind on firmware"),
        ("gateway-log", "/gateway/", "service request log"),
        ("allow-lists", "/gateway/allow-lists/", "allow-lists"),
    ]


def test_regenerate_screenshots(browser, live_server, dcc_party, csp_north):
    from tests.e2e.conftest import _session_cookie

    users, facts = _world(dcc_party, csp_north)
    taken: list[tuple[str, str, str, str]] = []
    for size in SIZES:
        folder = OUT / size
        folder.mkdir(parents=True, exist_ok=True)
        for old in [*folder.glob("*.png"), *folder.glob("*.jpg")]:
            old.unlink()
    for role, user in users.items():
        for size, (width, height) in SIZES.items():
            context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": height})
            context.add_cookies([_session_cookie(user, live_server.url)])
            page = context.new_page()
            for name, path, what in _pages(facts):
                response = page.goto(path)
                if response is None or response.status >= 400:
                    if size == "desktop":
                        print(f"skipped {role} {path}: {response and response.status}")
                    continue
                if page.url.rstrip("/").endswith("/accounts/login"):
                    continue
                file = f"{size}/{role}-{name}.jpg"
                page.screenshot(path=str(OUT / file), full_page=True, caret="initial", type="jpeg", quality=80)
                if size == "desktop":
                    taken.append((role, name, what, path))
            context.close()
    _write_index(taken)
    assert taken


def _journey_rows() -> list[str]:
    """The old README's rows for screenshots still at the top of docs/screenshots/ (copied from journey tests)."""
    readme = OUT / "README.md"
    if not readme.exists():
        return []
    rows = []
    for line in readme.read_text().splitlines():
        if line.startswith("| `") and "`" in line[3:]:
            name = line[3:line.index("`", 3)]
            if (OUT / name).exists():
                rows.append(line)
    return rows


def _write_index(taken: list[tuple[str, str, str, str]]) -> None:
    journeys = _journey_rows()
    lines = [
        "# Screenshots",
        "",
        "Every main page as each role that uses it, at 1366x900 (`desktop/`) and on a 390x844 phone (`phone/`),",
        "full page (JPEG, quality 80: a tenth of the PNG size), against a live server with a small world of test",
        "data. Regenerate them all with",
        "`python -m tests.e2e.screenshots` (or `make screenshots`); a page the role may not open is left out.",
        "",
        "| role | page | desktop | phone |",
        "|---|---|---|---|",
    ]
    for role, name, what, _path in taken:
        lines.append(f"| {role.replace('_', ' ')} | {what} | [desktop](desktop/{role}-{name}.jpg) | "
                     f"[phone](phone/{role}-{name}.jpg) |")
    if journeys:
        lines += ["", "## From the journey tests", "",
                  "Copied by hand from `test-artifacts/screenshots/` after a run of `tests/e2e/` (1280 px wide).", "",
                  "| file | what it shows |", "|---|---|", *journeys]
    (OUT / "README.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
