"""MP121 in the browser: an install-code request comes back to the DCC service desk (the pre-notifying supplier
did not install the device); the service desk reassigns it to the installing supplier through the form, the new
assignee is emailed (through the real Celery worker and SMTP) and can answer it, and the page shows the new
assignee and the history entry. A wrong choice is refused and changes nothing; suppliers get no reassign form."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from incidents import services
from incidents.choices import IncidentState
from incidents.models import Incident
from inventory.choices import DeviceStatus
from tests.e2e.conftest import screenshot
from tests.factories import DeviceFactory, SupplierFactory, UserFactory
from tests.services import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

INSTALL_CODE = "0F1E2D3C4B5A69788796A5B4C3D2E1F0"


@pytest.fixture
def returned_to_service_desk():
    """SUPA asked SUPB (which pre-notified the device) for the install code; SUPB answered that it did not
    install it, so the request is back in the DCC service desk queue. SUPC is the real installer."""
    gaining = SupplierFactory(code="SUPA", name="Supplier A")
    prenotifying = SupplierFactory(code="SUPB", name="Supplier B")
    installer = SupplierFactory(code="SUPC", name="Supplier C")
    device = DeviceFactory(status=DeviceStatus.INSTALLED_NOT_COMMISSIONED, date_commissioned=None,
                           responsible_supplier=gaining, prenotifying_supplier=prenotifying)
    gina = UserFactory(party=gaining, username="gina")
    incident, created = services.incident_raise_install_code_request(device_id=device.device_id, actor=gina)
    assert created and incident.assigned_party == prenotifying
    services.incident_answer_not_installing_supplier(incident=incident, actor=UserFactory(party=prenotifying),
                                                     body="We never installed this one.")
    incident.refresh_from_db()
    assert incident.state == IncidentState.NOT_INSTALLING_SUPPLIER and incident.assigned_party.is_dcc
    return incident, gaining, installer


def test_service_desk_reassigns_an_incident_and_the_new_assignee_is_emailed(
        open_as, dcc_party, smtp_sink, celery_worker_process, returned_to_service_desk):
    # The worker starts before the incident is raised (fixture order), so every email of the journey goes through it.
    incident, gaining, installer = returned_to_service_desk
    reference = incident.reference

    # The service desk finds it in its queue and opens it.
    desk = open_as(UserFactory(party=dcc_party, username="desk"), "/incidents/")
    queue = desk.get_by_role("table", name="Service desk queue")
    queue.get_by_role("link", name=reference).click()
    expect(desk.get_by_role("heading", level=1)).to_have_text(reference)
    expect(desk.locator("dl.facts")).to_contain_text("the DCC service desk queue")
    expect(desk.get_by_text("We never installed this one.")).to_be_visible()

    # Assigning it back to the party that raised it is refused, and nothing changes.
    reassign = desk.get_by_role("region", name="Route the request (service desk)")
    reassign.get_by_label("Assign to supplier").select_option(label="Supplier A (SUPA)")
    reassign.get_by_role("button", name="Reassign").click()
    expect(desk.get_by_role("alert")).to_contain_text("cannot be assigned to the party that raised it")
    expect(desk.locator("dl.facts")).to_contain_text("the DCC service desk queue")
    assert Incident.objects.get(pk=incident.pk).assigned_party == dcc_party

    desk.get_by_role("region", name="Route the request (service desk)").get_by_label("Assign to supplier").select_option(
        label="Supplier C (SUPC)")
    desk.get_by_role("region", name="Route the request (service desk)").get_by_role("button", name="Reassign").click()
    expect(desk.get_by_role("status")).to_have_text("Reassigned to SUPC.")
    expect(desk.locator("dl.facts")).to_contain_text("Supplier C (SUPC)")
    history = desk.get_by_role("table", name=re.compile("Every change to this incident"))
    last = history.locator("tbody tr").last
    expect(last.get_by_role("rowheader")).to_have_text("Reassigned by the service desk")
    expect(last).to_contain_text("desk (DCC)")
    expect(last).to_contain_text("Reassigned to SUPC; due by")
    expect(last.get_by_role("cell").nth(2)).to_have_text(re.compile(r"→ assigned$", re.I))
    screenshot(desk, "incident-reassigned")

    # The new assignee's operational contact is told (by the worker, over SMTP), and so is the raiser.
    assignment = wait_for(
        lambda: next((m for m in smtp_sink.messages
                      if reference in m["Subject"] and "awaits you" in m["Subject"] and installer.operational_email
                      in m["To"]), None),
        timeout=60, message="assignment email to the new assignee")
    assert f"assigned to {installer.name} ({installer.code})" in assignment.get_payload(decode=True).decode()
    wait_for(lambda: any(reference in m["Subject"] and "reassigned it to SUPC" in m["Subject"]
                         and gaining.operational_email in m["To"] for m in smtp_sink.messages),
             timeout=60, message="update email to the raising supplier")

    # The new assignee can now answer it with the code...
    answerer = open_as(UserFactory(party=installer, username="ivy"), f"/incidents/{reference}/")
    expect(answerer.get_by_role("heading", level=1)).to_have_text(reference)
    expect(answerer.get_by_role("region", name="Route the request (service desk)")).to_have_count(0)
    answerer.get_by_label("Yes, we installed it").check()
    answerer.get_by_label("Install code").fill(INSTALL_CODE)
    answerer.get_by_role("button", name="Send answer").click()
    expect(answerer.get_by_role("status")).to_contain_text("Install code supplied")

    # ...which the raiser sees masked: the dots are hidden from screen readers, which hear "hidden" instead.
    raiser = open_as(UserFactory(party=gaining), f"/incidents/{reference}/")
    expect(raiser.locator("dl.facts")).to_contain_text("Supplied")
    masked = raiser.locator(f"#code-{Incident.objects.get(pk=incident.pk).notes.latest('created_at').pk}")
    expect(masked.locator("[aria-hidden=true]")).to_have_text("••••••••••••••••")
    expect(masked.get_by_text("hidden until you reveal it")).to_be_attached()
    expect(masked.get_by_role("button", name="Reveal")).to_be_visible()


def test_suppliers_get_no_reassign_form(open_as, returned_to_service_desk):
    incident, gaining, _installer = returned_to_service_desk
    page = open_as(UserFactory(party=gaining), f"/incidents/{incident.reference}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(incident.reference)
    expect(page.get_by_role("heading", name="Route the request (service desk)")).to_have_count(0)
    expect(page.get_by_label("Assign to supplier")).to_have_count(0)
