"""Issue 18 in the browser, end to end with the real Celery worker and SMTP: the gaining supplier raises a
request -> the pre-notifying supplier answers "not the installing supplier" -> the DCC service desk routes it
in one action to the suggested former supplier -> that supplier answers with the code -> the requester
reveals it (focus moves to the code), reopens it ("the code did not work") -> answered again -> closed.
Every email is checked in the SMTP sink, and no email carries a code."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from incidents.models import Incident
from inventory.choices import DeviceStatus
from inventory.services import supplier_change_record
from tests.e2e.conftest import screenshot
from tests.factories import DeviceFactory, SupplierFactory, UserFactory
from tests.services import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

FIRST_CODE = "A1B2C3D4E5F60718293A4B5C6D7E8F90"
SECOND_CODE = "0F1E2D3C4B5A69788796A5B4C3D2E1F0"


def _subject(message) -> str:
    return " ".join(str(message["Subject"]).split())  # a long subject is folded over lines


def _mail(sink, *, subject: str, to: str, reference: str):
    return wait_for(lambda: next((m for m in sink.messages if reference in _subject(m) and subject in _subject(m)
                                  and to in m["To"]), None), timeout=60,
                    message=f"email '{subject}' to {to}; got {[(_subject(m), m['To']) for m in sink.messages]}")


def test_reroute_reopen_journey(open_as, dcc_party, smtp_sink, celery_worker_process):
    gaining = SupplierFactory(code="SUPA", name="Supplier A")
    installer = SupplierFactory(code="SUPB", name="Supplier B")
    former = SupplierFactory(code="SUPF", name="Supplier F")
    desk_user = UserFactory(party=dcc_party, username="desk")
    device = DeviceFactory(status=DeviceStatus.INSTALLED_NOT_COMMISSIONED, date_commissioned=None,
                           responsible_supplier=former, prenotifying_supplier=installer)
    supplier_change_record(device=device, new_supplier=gaining, actor=desk_user)  # SUPF lost it to SUPA

    # 1. The gaining supplier raises the request.
    gainer = open_as(UserFactory(party=gaining, username="gina", email="gina@supa.example"),
                     "/incidents/install-code-requests/new/")
    gainer.get_by_label("Device ID").fill(device.device_id)
    gainer.get_by_role("button", name="Raise request").click()
    expect(gainer.get_by_role("status")).to_contain_text("raised and assigned to Supplier B (SUPB)")
    reference = gainer.get_by_role("heading", level=1).inner_text()
    assert re.fullmatch(r"INC\d{7}", reference)
    suppliers = gainer.get_by_role("table", name=re.compile("pre-notifying supplier and each Responsible"))
    expect(suppliers).to_contain_text("Pre-notified the device")
    expect(suppliers).to_contain_text("Supplier F (SUPF)")
    _mail(smtp_sink, subject="awaits you", to=installer.operational_email, reference=reference)

    # 2. The pre-notifier answers the one question "no"; the code field stays hidden.
    answerer = open_as(UserFactory(party=installer, username="ian"), f"/incidents/{reference}/")
    expect(answerer.get_by_role("link", name=device.device_id)).to_have_attribute(
        "href", f"/inventory/devices/{device.device_id}/")
    answerer.get_by_role("button", name="Send answer").click()  # nothing chosen: the error summary
    expect(answerer).to_have_title(re.compile(r"^Error: "))
    summary = answerer.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name=re.compile("Select yes if you are the installing supplier"))).to_be_visible()
    answerer.get_by_label("No, we are not the installing supplier").check()
    expect(answerer.get_by_label("Install code")).to_be_hidden()
    answerer.get_by_label("Comment for the requester (optional)").fill("We never fitted this meter.")
    screenshot(answerer, "mp121-answer-not-installing")
    answerer.get_by_role("button", name="Send answer").click()
    expect(answerer.get_by_role("status")).to_contain_text("not the installing supplier")
    _mail(smtp_sink, subject="not the installing supplier", to=gaining.operational_email, reference=reference)
    _mail(smtp_sink, subject="awaits you", to=dcc_party.operational_email, reference=reference)

    # 3. The service desk routes it, in one action, to the suggested former supplier.
    desk = open_as(desk_user, f"/incidents/{reference}/")
    route = desk.get_by_role("region", name="Route the request (service desk)")
    expect(route).to_contain_text("Suggested: Supplier F (SUPF)")
    route.get_by_role("button", name="Route to SUPF").click()
    expect(desk.get_by_role("status")).to_have_text("Reassigned to SUPF.")
    clocks = desk.get_by_role("table", name=re.compile("own 10-working-day clock"))
    expect(clocks.locator("tbody tr")).to_have_count(2)
    expect(clocks.locator("tbody tr").last).to_contain_text("Rerouted by the service desk")
    history = desk.get_by_role("table", name=re.compile("Every change to this incident"))
    expect(history.locator("tbody tr").last).to_contain_text("a former supplier of the device, SUPF")
    _mail(smtp_sink, subject="awaits you", to=former.operational_email, reference=reference)
    _mail(smtp_sink, subject="reassigned it to SUPF", to=gaining.operational_email, reference=reference)

    # 4. The former supplier answers yes, with the code (show/hide on the field).
    supf = open_as(UserFactory(party=former, username="fred"), f"/incidents/{reference}/")
    supf.get_by_label("Yes, we installed it").check()
    code_field = supf.get_by_label("Install code")
    code_field.fill(FIRST_CODE)
    expect(code_field).to_have_attribute("type", "password")
    supf.get_by_role("button", name="Show").click()
    expect(code_field).to_have_attribute("type", "text")
    supf.get_by_role("button", name="Send answer").click()
    expect(supf.get_by_role("status")).to_contain_text("Install code supplied")
    _mail(smtp_sink, subject="the install code was supplied", to=gaining.operational_email, reference=reference)

    # 5. The requester reveals it: focus moves to the code, which can be hidden again; then reopens.
    gainer.goto(f"/incidents/{reference}/")
    gainer.get_by_role("button", name="Reveal code").click()
    revealed = gainer.locator("[id^=revealed-code-]")
    expect(revealed).to_be_focused()
    expect(revealed).to_contain_text(FIRST_CODE)
    gainer.get_by_role("button", name="Hide code").click()
    expect(gainer.get_by_text(FIRST_CODE)).to_be_hidden()
    gainer.get_by_role("button", name="Reopen the request").click()  # no reason: refused, nothing changes
    expect(gainer).to_have_title(re.compile(r"^Error: "))
    expect(gainer.get_by_label("Why are you reopening the request?")).to_have_attribute("aria-invalid", "true")
    assert Incident.objects.get(reference=reference).reopened_at is None
    gainer.get_by_label("Why are you reopening the request?").fill("The code did not work.")
    gainer.get_by_role("button", name="Reopen the request").click()
    expect(gainer.get_by_role("status")).to_contain_text("reopened")
    _mail(smtp_sink, subject="reopened by SUPA", to=former.operational_email, reference=reference)

    # 6. Answered again, then closed by the requester.
    supf.goto(f"/incidents/{reference}/")
    supf.get_by_label("Yes, we installed it").check()
    supf.get_by_label("Install code").fill(SECOND_CODE)
    supf.get_by_role("button", name="Send answer").click()
    expect(supf.get_by_role("status")).to_contain_text("Install code supplied")
    gainer.goto(f"/incidents/{reference}/")
    expect(gainer.get_by_role("heading", name="Did the code not work?")).to_have_count(0)  # once only
    gainer.get_by_role("button", name="Close incident").click()
    # Closing cannot be undone, so the page asks first; nothing is closed until the requester confirms.
    expect(gainer.get_by_role("heading", name=f"Are you sure you want to close {reference}?")).to_be_visible()
    assert Incident.objects.get(reference=reference).state != "closed"
    gainer.get_by_role("button", name=f"Yes, close {reference}").click()
    expect(gainer.get_by_role("status")).to_contain_text("closed")
    incident = Incident.objects.get(reference=reference)
    assert incident.state == "closed"
    assert list(incident.spells.order_by("pk").values_list("kind", "assigned_party__code", "outcome")) == [
        ("raised", "SUPB", "not_installing"), ("rerouted", "SUPF", "code"), ("reopened", "SUPF", "code")]
    screenshot(gainer, "mp121-closed-after-reopen")

    # Every email of the journey arrived; none carries a code.
    wait_for(lambda: sum(reference in _subject(m) and "install code was supplied" in _subject(m)
                         for m in smtp_sink.messages) == 2, timeout=60, message="second code email")
    subjects = [_subject(m) for m in smtp_sink.messages if reference in _subject(m)]
    assert len(subjects) == 8, subjects
    for code in (FIRST_CODE, SECOND_CODE):
        assert not [body for body in smtp_sink.bodies() if code in body.upper()]
        assert not [subject for subject in subjects if code in subject.upper()]
