"""MP121 in the browser: the gaining supplier raises an install-code request, the pre-notifying supplier is
emailed (through the real Celery worker and SMTP) and answers with the code, the gaining supplier reveals it
and closes the request; no email ever carries the code. Bulk requests give a result per row."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from incidents.models import Incident
from inventory.choices import DeviceStatus
from tests.e2e.conftest import screenshot
from tests.factories import DeviceFactory, SupplierFactory, UserFactory
from tests.services import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

INSTALL_CODE = "A1B2C3D4E5F60718293A4B5C6D7E8F90"


@pytest.fixture
def gaining_and_installing():
    gaining = SupplierFactory(code="SUPA", name="Supplier A")
    installing = SupplierFactory(code="SUPB", name="Supplier B")
    return gaining, installing


def _uncommissioned_device(gaining, installing):
    return DeviceFactory(status=DeviceStatus.INSTALLED_NOT_COMMISSIONED, date_commissioned=None,
                         responsible_supplier=gaining, prenotifying_supplier=installing)


def test_install_code_request_from_raise_to_close(open_as, gaining_and_installing, smtp_sink, celery_worker_process):
    gaining, installing = gaining_and_installing
    device = _uncommissioned_device(gaining, installing)

    # The gaining supplier raises the request from its home page.
    gainer = open_as(UserFactory(party=gaining, username="gina"), "/")
    gainer.get_by_role("link", name="Raise an install-code request").click()
    gainer.get_by_label("Device ID").fill(device.device_id.lower())
    screenshot(gainer, "incident-raise")
    gainer.get_by_role("button", name="Raise request").click()
    expect(gainer.get_by_role("status")).to_contain_text("raised and assigned to")
    reference = gainer.get_by_role("heading", level=1).inner_text()
    assert re.fullmatch(r"INC\d{7}", reference)

    # The installing supplier is told by email (delivered by the worker), without any code.
    assignment = wait_for(
        lambda: next((m for m in smtp_sink.messages if reference in m["Subject"] and "awaits you" in m["Subject"]), None),
        timeout=60, message="assignment email")
    assert assignment["To"] == installing.operational_email

    # It sees the request on its home page, opens it and answers with the code.
    installer = open_as(UserFactory(party=installing, username="ian"), "/")
    expect(installer.get_by_test_id("incidents-assigned")).to_contain_text("1")
    installer.get_by_test_id("incidents-assigned").get_by_role("link", name="Answer them").click()
    installer.get_by_role("link", name=reference).click()
    expect(installer.get_by_role("heading", level=1)).to_have_text(reference)
    installer.get_by_label("Yes, we installed it").check()
    installer.get_by_label("Install code").fill(INSTALL_CODE)
    installer.get_by_role("button", name="Send answer").click()
    expect(installer.get_by_role("status")).to_be_visible()
    expect(installer.locator("dl.facts")).to_contain_text("Supplied")
    screenshot(installer, "incident-answered-installer")

    # The gaining supplier reveals the code (recorded) and closes the request.
    gainer.goto(f"/incidents/{reference}/")
    gainer.get_by_role("button", name="Reveal").click()
    expect(gainer.get_by_text(INSTALL_CODE)).to_be_visible()
    screenshot(gainer, "incident-code-revealed")
    gainer.get_by_role("button", name="Close incident").click()
    # Closing cannot be undone, so the page asks first (nothing is closed yet).
    expect(gainer.get_by_role("heading", name=f"Are you sure you want to close {reference}?")).to_be_visible()
    assert Incident.objects.get(reference=reference).state != "closed"
    gainer.get_by_role("button", name=f"Yes, close {reference}").click()
    expect(gainer.get_by_role("status")).to_be_visible()
    history = gainer.get_by_role("table", name=re.compile("Every change to this incident"))
    expect(history).to_contain_text("Install code revealed")
    expect(history).to_contain_text("Closed")
    assert Incident.objects.get(reference=reference).state == "closed"

    # The creator was emailed about the update; no email anywhere holds the code.
    wait_for(lambda: any(reference in m["Subject"] and gaining.operational_email in m["To"] for m in smtp_sink.messages),
             timeout=60, message="update email to the raising supplier")
    assert not [body for body in smtp_sink.bodies() if INSTALL_CODE in body.upper()]
    assert not [m["Subject"] for m in smtp_sink.messages if INSTALL_CODE in m["Subject"].upper()]


def test_another_supplier_cannot_open_the_request(open_as, gaining_and_installing):
    gaining, installing = gaining_and_installing
    device = _uncommissioned_device(gaining, installing)
    gainer = open_as(UserFactory(party=gaining), "/incidents/install-code-requests/new/")
    gainer.get_by_label("Device ID").fill(device.device_id)
    gainer.get_by_role("button", name="Raise request").click()
    reference = gainer.get_by_role("heading", level=1).inner_text()

    stranger = open_as(UserFactory(party=SupplierFactory(code="SUPC")), f"/incidents/{reference}/")
    expect(stranger.get_by_role("heading", level=1)).not_to_have_text(reference)
    expect(stranger.get_by_label("Install code")).to_have_count(0)


def test_bulk_install_code_requests_give_a_result_per_row(open_as, gaining_and_installing, celery_worker_process):
    gaining, installing = gaining_and_installing
    good = _uncommissioned_device(gaining, installing)
    commissioned = DeviceFactory(responsible_supplier=gaining, prenotifying_supplier=installing)
    csv = f"device_id\n{good.device_id}\n{commissioned.device_id}\n00-DB-12-FF-FF-FF-FF-FF\n"

    page = open_as(UserFactory(party=gaining), "/")
    page.get_by_role("link", name="Bulk install-code requests").click()
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "devices.csv", "mimeType": "text/csv", "buffer": csv.encode()}])
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check your upload")
    page.get_by_role("button", name="Confirm and apply 1 row").click()

    # The worker raises the rows while the page shows progress; then the results are one click away.
    show_results = page.get_by_role("link", name="Show the results")
    results = page.get_by_role("table", name="Result per row")
    expect(show_results.or_(results)).to_be_visible(timeout=30_000)
    if show_results.is_visible():
        show_results.click()
    rows = results.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text=good.device_id)).to_contain_text(re.compile(r"INC\d{7}"))
    expect(rows.filter(has_text=commissioned.device_id)).to_contain_text(re.compile("Commissioned|status", re.I))
    expect(rows.filter(has_text="00-DB-12-FF-FF-FF-FF-FF")).to_contain_text(re.compile("not|no device|unknown", re.I))
    screenshot(page, "incident-bulk-results")
