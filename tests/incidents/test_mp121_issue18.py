"""Issue 18: device scope (R121-2), reopen (R121-13), former suppliers (R121-12), change of supplier
(R121-11), deposits ahead, operational contacts - through the services, the REST API and the pages,
refusals included (each leaves nothing written)."""
from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from incidents.choices import ClosureKind, IncidentEventKind, IncidentState, SpellKind, SpellOutcome
from incidents.models import ContactChange, Incident, IncidentEvent, IncidentNote, IncidentSpell, InstallCodeDeposit
from incidents.selectors import device_supplier_history, incident_suggested_assignee
from incidents.services import (
    incident_add_note,
    incident_answer_not_installing_supplier,
    incident_bulk_job_submit,
    incident_bulk_raise_install_code_requests,
    incident_raise_install_code_request,
    incident_reassign,
    incident_reopen,
    incident_reveal_install_code,
    install_code_deposit,
    install_code_deposits_bulk,
    party_contacts_update,
)
from inventory.choices import DeviceType, SmetsVersion
from inventory.models import SupplierChange
from inventory.services import supplier_change_record
from portal.choices import OutboxKind
from portal.errors import Conflict, DomainError, PermissionDenied, RuleRefused, ValidationFailed
from portal.models import OutboxMessage
from tests.factories import SupplierFactory, UserFactory
from tests.incidents.conftest import INSTALL_CODE


def emails() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(kind=OutboxKind.EMAIL).order_by("pk"))


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def nothing_written() -> tuple[int, int, int, int]:
    return (Incident.objects.count(), IncidentEvent.objects.count(), IncidentSpell.objects.count(),
            OutboxMessage.objects.count())


# --- R121-2: SMETS2+ Type 1 Devices only --------------------------------------------------------

@pytest.mark.parametrize(("device_type", "smets", "words"), [
    (DeviceType.ESME, SmetsVersion.SMETS1, "SMETS1"),
    (DeviceType.CHF, SmetsVersion.SMETS2_PLUS, "Communications Hub Function"),
    (DeviceType.GPF, SmetsVersion.SMETS2_PLUS, "Gas Proxy Function"),
    (DeviceType.IHD, SmetsVersion.SMETS2_PLUS, "In-Home Display"),
])
def test_only_smets2_type_1_devices_are_accepted(make_device, gaining_user, device_type, smets, words):
    device = make_device(device_type=device_type, smets_version=smets)
    before = nothing_written()
    with pytest.raises(RuleRefused) as refused:
        incident_raise_install_code_request(device_id=device.device_id, actor=gaining_user)
    assert refused.value.code == "device_not_type_1" and words in refused.value.detail
    assert nothing_written() == before


@pytest.mark.parametrize("device_type", [DeviceType.ESME, DeviceType.GSME, DeviceType.PPMID, DeviceType.HCALCS])
def test_every_smets2_type_1_device_is_accepted(make_device, gaining_user, device_type):
    device = make_device(device_type=device_type)
    incident, created = incident_raise_install_code_request(device_id=device.device_id, actor=gaining_user)
    assert created and incident.spells.get().kind == SpellKind.RAISED


def test_bulk_refuses_out_of_scope_rows_one_by_one(make_device, gaining_user):
    good = make_device()
    smets1 = make_device(smets_version=SmetsVersion.SMETS1)
    hub = make_device(device_type=DeviceType.CHF)
    results = incident_bulk_raise_install_code_requests(
        device_ids=[smets1.device_id, good.device_id, hub.device_id], actor=gaining_user)
    assert [(r.ok, r.refusal.code if r.refusal else "") for r in results] == [
        (False, "device_not_type_1"), (True, ""), (False, "device_not_type_1")]
    assert list(Incident.objects.values_list("device_id", flat=True)) == [good.pk]


def test_rest_and_page_refuse_a_smets1_meter(make_device, gaining_user):
    device = make_device(smets_version=SmetsVersion.SMETS1)
    response = api_for(gaining_user).post("/api/v1/incidents/install-code-requests/", {"device_id": device.device_id},
                                          format="json")
    assert response.status_code == 422 and response.json()["code"] == "device_not_type_1"
    page = client_for(gaining_user).post(reverse("incidents:incident-raise"), {"device_id": device.device_id})
    assert page.status_code == 200 and "only for SMETS2+ devices" in page.content.decode()
    assert device.device_id in page.content.decode()  # the input is kept
    assert not Incident.objects.exists()


# --- R121-13: reopen once ------------------------------------------------------------------------

@pytest.fixture
def answered(device, raise_request, installer_user):
    incident = raise_request(device)
    incident_add_note(incident=incident, actor=installer_user, body="", install_code=INSTALL_CODE)
    incident.refresh_from_db()
    return incident


def test_reopen_once_restarts_the_clock_and_tells_the_assignee(answered, gaining_user, installer_user, installer):
    OutboxMessage.objects.all().delete()
    incident = incident_reopen(incident=answered, actor=gaining_user, reason="The code did not work.")
    assert incident.state == IncidentState.ASSIGNED and incident.reopened_at is not None
    kinds = list(incident.spells.order_by("pk").values_list("kind", "outcome"))
    assert kinds == [(SpellKind.RAISED, SpellOutcome.CODE), (SpellKind.REOPENED, "")]
    [message] = emails()
    assert message.recipient == installer.operational_email and "reopened" in message.subject
    assert "The code did not work." in message.body and INSTALL_CODE not in message.body
    # Answered again: the reopened clock stops with the code; a second reopening is refused.
    incident_add_note(incident=incident, actor=installer_user, body="", install_code="00" + INSTALL_CODE[2:])
    incident.refresh_from_db()
    assert incident.spells.order_by("pk").last().outcome == SpellOutcome.CODE
    before = nothing_written()
    with pytest.raises(Conflict) as refused:
        incident_reopen(incident=incident, actor=gaining_user, reason="Still broken")
    assert "once already" in refused.value.detail and nothing_written() == before


@pytest.mark.parametrize(("reason", "code"), [("", "reason_required"), ("x" * 251, "reason_too_long"),
                                              (f"use {INSTALL_CODE}", "install_code_in_text")])
def test_reopen_refusals_write_nothing(answered, gaining_user, reason, code):
    before = nothing_written()
    with pytest.raises(ValidationFailed) as refused:
        incident_reopen(incident=answered, actor=gaining_user, reason=reason)
    assert refused.value.code == code and nothing_written() == before


def test_only_the_raiser_reopens_and_only_an_answered_request(answered, installer_user, device, gaining_user):
    with pytest.raises(PermissionDenied):
        incident_reopen(incident=answered, actor=installer_user, reason="no")
    answered.refresh_from_db()
    assert answered.state == IncidentState.RESPONDED


def test_reopen_through_rest_and_the_page(answered, gaining_user):
    api = api_for(gaining_user)
    refused = api.post(f"/api/v1/incidents/{answered.reference}/reopen/", {"reason": ""}, format="json")
    assert refused.status_code == 400 and refused.json()["errors"] == {
        "reason": ['Enter why you are reopening the request, for example "the code did not work".']}
    # The page: the GOV.UK error summary, the title, aria on the field, nothing written.
    client = client_for(gaining_user)
    page = client.post(reverse("incidents:incident-reopen", args=[answered.reference]), {"reason": "  "})
    html = page.content.decode()
    assert page.status_code == 400 and "<title>Error: " in html and 'class="error-summary"' in html
    assert 'href="#reopen_reason"' in html and 'aria-invalid="true"' in html
    assert 'aria-describedby="reopen_reason_helptext reopen_reason_error"' in html
    ok = api.post(f"/api/v1/incidents/{answered.reference}/reopen/", {"reason": "The code did not work."},
                  format="json")
    assert ok.status_code == 200 and ok.json()["state"] == IncidentState.ASSIGNED


# --- R121-12: former suppliers --------------------------------------------------------------------

@pytest.fixture
def former(db):
    return SupplierFactory(code="SUPF", name="Former supplier F")


@pytest.fixture
def changed_hands(make_device, former, gaining, installer, dcc_user):
    """Pre-notified by SUPB, supplied by SUPF, then by SUPA (the gaining supplier now)."""
    device = make_device(responsible_supplier=former)
    supplier_change_record(device=device, new_supplier=gaining, actor=dcc_user)
    device.refresh_from_db()
    return device


def test_history_and_the_next_former_supplier(changed_hands, raise_request, installer_user, dcc_user, former,
                                              gaining, installer):
    history = device_supplier_history(changed_hands)
    assert [(e.party.code, e.role, e.current) for e in history] == [
        ("SUPB", "Pre-notified the device", False), ("SUPF", "Responsible Supplier", False),
        ("SUPA", "Responsible Supplier now", True)]
    incident = raise_request(changed_hands)
    assert incident_suggested_assignee(incident) is None  # still with SUPB
    incident_answer_not_installing_supplier(incident=incident, actor=installer_user, body="Not us.")
    incident.refresh_from_db()
    assert incident_suggested_assignee(incident) == former
    incident_reassign(incident=incident, actor=dcc_user, to_party=former)
    incident.refresh_from_db()
    spells = list(incident.spells.order_by("pk").values_list("kind", "assigned_party__code", "outcome"))
    assert spells == [(SpellKind.RAISED, "SUPB", SpellOutcome.NOT_INSTALLING), (SpellKind.REROUTED, "SUPF", "")]
    event = incident.events.filter(kind=IncidentEventKind.REASSIGNED).get()
    assert "a former supplier of the device, SUPF" in event.detail and "hop 2" in event.detail
    # SUPF says no too: nobody left to suggest.
    incident_answer_not_installing_supplier(incident=incident, actor=UserFactory(party=former), body="")
    incident.refresh_from_db()
    assert incident_suggested_assignee(incident) is None


def test_the_service_desk_routes_the_suggestion_in_one_action(changed_hands, raise_request, installer_user,
                                                              dcc_user, former):
    incident = raise_request(changed_hands)
    incident_answer_not_installing_supplier(incident=incident, actor=installer_user)
    client = client_for(dcc_user)
    page = client.get(reverse("incidents:incident-detail", args=[incident.reference])).content.decode()
    assert "Route to SUPF" in page and "Former supplier F (SUPF)" in page and "Pre-notified the device" in page
    client.post(reverse("incidents:incident-reassign", args=[incident.reference]), {"to_party": "SUPF"})
    incident.refresh_from_db()
    assert incident.assigned_party == former and incident.state == IncidentState.ASSIGNED
    body = api_for(dcc_user).get(f"/api/v1/incidents/{incident.reference}/").json()
    assert [entry["party"] for entry in body["supplier_history"]] == ["SUPB", "SUPF", "SUPA"]
    assert [clock["kind"] for clock in body["sla_clocks"]] == ["raised", "rerouted"]
    assert body["suggested_assignee"] is None


# --- R121-11: change of supplier while open -------------------------------------------------------

def test_a_change_of_supplier_closes_the_open_request_and_tells_both(device, raise_request, dcc_user, gaining,
                                                                      installer, gaining_user):
    incident = raise_request(device)
    OutboxMessage.objects.all().delete()
    newcomer = SupplierFactory(code="SUPN", name="New supplier")
    supplier_change_record(device=device, new_supplier=newcomer, actor=dcc_user)
    incident.refresh_from_db()
    assert incident.state == IncidentState.CLOSED and incident.closure_kind == ClosureKind.CHANGE_OF_SUPPLIER
    assert incident.spells.get().outcome == SpellOutcome.ENDED  # ended unanswered, before its due date
    assert {m.recipient for m in emails()} == {f"{gaining_user.email}, {gaining.operational_email}",
                                               installer.operational_email}
    assert all("changed supplier" in m.subject for m in emails())
    kinds = list(incident.events.values_list("kind", flat=True))
    assert kinds[-2:] == [IncidentEventKind.SUPPLIER_CHANGED, IncidentEventKind.CLOSED]
    # The new Responsible Supplier can raise its own request at once.
    again, created = incident_raise_install_code_request(device_id=device.device_id,
                                                         actor=UserFactory(party=newcomer))
    assert created and again.pk != incident.pk


def test_a_refused_change_of_supplier_leaves_the_request_open(device, raise_request, dcc_user, gaining):
    incident = raise_request(device)
    with pytest.raises(DomainError):
        supplier_change_record(device=device, new_supplier=gaining, actor=dcc_user)  # already responsible
    incident.refresh_from_db()
    assert incident.state == IncidentState.ASSIGNED and not SupplierChange.objects.exists()


# --- Deposits ahead ------------------------------------------------------------------------------

def test_a_deposit_answers_a_later_request_at_once(device, installer_user, gaining_user, installer):
    deposit = install_code_deposit(device_id=device.device_id, install_code=INSTALL_CODE.lower(), actor=installer_user)
    assert INSTALL_CODE not in deposit.install_code_ciphertext and INSTALL_CODE.lower() not in \
        deposit.install_code_ciphertext
    OutboxMessage.objects.all().delete()
    incident, created = incident_raise_install_code_request(device_id=device.device_id, actor=gaining_user)
    incident.refresh_from_db()
    assert created and incident.state == IncidentState.RESPONDED and incident.has_install_code
    spell = incident.spells.get()
    assert spell.outcome == SpellOutcome.DEPOSIT and spell.responded_at == spell.started_at
    assert incident.events.filter(kind=IncidentEventKind.CODE_FROM_DEPOSIT).exists()
    assert incident_reveal_install_code(incident=incident, actor=gaining_user) == INSTALL_CODE
    deposit.refresh_from_db()
    assert deposit.used_by == incident and deposit.used_at is not None
    [message] = emails()  # the requester is told; nobody is asked to answer
    assert message.recipient.startswith(gaining_user.email) and INSTALL_CODE not in message.body


def test_bulk_raise_answers_from_deposits_set_based(make_device, installer_user, gaining_user):
    devices = [make_device() for _ in range(3)]
    install_code_deposit(device_id=devices[1].device_id, install_code=INSTALL_CODE, actor=installer_user)
    results = incident_bulk_raise_install_code_requests(device_ids=[d.device_id for d in devices], actor=gaining_user)
    assert [r.answered_from_deposit for r in results] == [False, True, False]
    states = dict(Incident.objects.values_list("device_id", "state"))
    assert states[devices[1].pk] == IncidentState.RESPONDED and states[devices[0].pk] == IncidentState.ASSIGNED
    # The installer's summary lists what awaits it: not the request its deposit already answered.
    (summary,) = [e for e in emails() if "await you" in e.subject]
    assert summary.subject.startswith("2 install code requests")
    assert devices[0].device_id in summary.body and devices[2].device_id in summary.body
    assert devices[1].device_id not in summary.body


def test_a_bulk_job_answered_from_deposits_leaves_them_out_of_the_summary(make_device, installer_user,
                                                                           gaining_user):
    devices = [make_device() for _ in range(3)]
    install_code_deposit(device_id=devices[0].device_id, install_code=INSTALL_CODE, actor=installer_user)
    job = incident_bulk_job_submit(device_ids=[d.device_id for d in devices], actor=gaining_user)
    assert job.status == "done" and job.created_count == 3
    (summary,) = [e for e in emails() if "await you" in e.subject]
    assert summary.subject.startswith("2 install code requests")
    assert devices[0].device_id not in summary.body
    assert devices[1].device_id in summary.body and devices[2].device_id in summary.body


@pytest.mark.parametrize(("who", "kwargs", "code"), [
    ("gaining", {}, "not_installing_supplier"),
    ("installer", {"device_type": DeviceType.CHF}, "device_not_type_1"),
    ("installer", {"status": "Commissioned"}, "device_status_not_eligible"),
    ("third", {}, "device_not_found"),
])
def test_deposit_refusals_write_nothing(make_device, gaining_user, installer_user, third_user, who, kwargs, code):
    actor = {"gaining": gaining_user, "installer": installer_user, "third": third_user}[who]
    device = make_device(**kwargs)
    with pytest.raises(DomainError) as refused:
        install_code_deposit(device_id=device.device_id, install_code=INSTALL_CODE, actor=actor)
    assert refused.value.code == code and not InstallCodeDeposit.objects.exists()


def test_bad_code_and_open_request_refusals(device, installer_user, raise_request):
    with pytest.raises(ValidationFailed):
        install_code_deposit(device_id=device.device_id, install_code="XYZ", actor=installer_user)
    incident = raise_request(device)
    with pytest.raises(Conflict) as refused:
        install_code_deposit(device_id=device.device_id, install_code=INSTALL_CODE, actor=installer_user)
    assert incident.reference in refused.value.detail and not InstallCodeDeposit.objects.exists()


def test_deposits_in_bulk_through_rest_and_the_page(make_device, installer_user):
    good, other = make_device(), make_device()
    results = install_code_deposits_bulk(rows=[(good.device_id, INSTALL_CODE), ("nonsense", INSTALL_CODE)],
                                         actor=installer_user)
    assert [(r.row_number, r.ok) for r in results] == [(2, True), (3, False)]
    api = api_for(installer_user)
    one = api.post("/api/v1/incidents/install-code-deposits/", {"device_id": other.device_id,
                                                               "install_code": INSTALL_CODE}, format="json")
    assert one.status_code == 201 and "install_code" not in one.json()
    listed = api.get("/api/v1/incidents/install-code-deposits/").json()
    assert {row["device_id"] for row in listed} == {good.device_id, other.device_id}
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = f"device_id,install_code\n{good.device_id},{INSTALL_CODE}\n{good.device_id[:-2]}ZZ,{INSTALL_CODE}\n"
    page = client_for(installer_user).post(reverse("incidents:deposits"), {
        "action": "upload", "file": SimpleUploadedFile("d.csv", csv.encode(), content_type="text/csv")})
    html = page.content.decode()
    assert page.status_code == 200 and "1 of 2 codes deposited; 1 refused" in html and INSTALL_CODE not in html
    assert InstallCodeDeposit.objects.filter(device=good, superseded_at__isnull=False).count() == 1  # replaced


# --- Operational contacts ----------------------------------------------------------------------------

def test_a_supplier_keeps_its_contacts_audited_and_emails_use_them(installer_user, installer, device, raise_request):
    changes = party_contacts_update(actor=installer_user, operational_email="mp121@supb.example",
                                    escalation_email=installer.escalation_email)
    assert [(c.field, c.new_value) for c in changes] == [("operational_email", "mp121@supb.example")]
    OutboxMessage.objects.all().delete()
    raise_request(device)
    [message] = emails()
    assert message.recipient == "mp121@supb.example"
    with pytest.raises(Exception):  # noqa: B017 - the audit is append-only in the database
        ContactChange.objects.filter(pk=changes[0].pk).update(new_value="x@y.example")


def test_contact_refusals_write_nothing(installer_user, dcc_user, installer):
    before = (installer.operational_email, ContactChange.objects.count())
    with pytest.raises(ValidationFailed) as refused:
        party_contacts_update(actor=installer_user, operational_email="not an address", escalation_email="")
    assert set(refused.value.errors) == {"operational_email", "escalation_email"}  # every problem at once
    with pytest.raises(PermissionDenied):
        party_contacts_update(actor=dcc_user, operational_email="a@b.example", escalation_email="a@b.example")
    installer.refresh_from_db()
    assert (installer.operational_email, ContactChange.objects.count()) == before


def test_contacts_page_and_rest(installer_user, dcc_user):
    api = api_for(installer_user)
    bad = api.put("/api/v1/incidents/contacts/", {"operational_email": "x", "escalation_email": "e@supb.example"},
                  format="json")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["operational_email"]
    ok = api.put("/api/v1/incidents/contacts/", {"operational_email": "o@supb.example",
                                                 "escalation_email": "e@supb.example"}, format="json")
    assert ok.json() == {"operational_email": "o@supb.example", "escalation_email": "e@supb.example"}
    assert api_for(dcc_user).get("/api/v1/incidents/contacts/").status_code == 403
    page = client_for(installer_user).post(reverse("incidents:contacts"),
                                           {"operational_email": "typo", "escalation_email": "e@supb.example"})
    html = page.content.decode()
    assert page.status_code == 400 and "<title>Error: " in html and 'value="typo"' in html
    assert 'href="#id_operational_email"' in html
    assert "o@supb.example" in client_for(installer_user).get(reverse("incidents:contacts")).content.decode()


# --- #19.8: the assignee's answer page --------------------------------------------------------------

def test_answer_page_has_one_question_and_unique_ids(device, raise_request, installer_user):
    incident = raise_request(device)
    html = client_for(installer_user).get(reverse("incidents:incident-detail", args=[incident.reference])).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)) and "id_body" not in ids
    assert html.count("Are you the installing supplier?") == 1
    assert f'href="/inventory/devices/{device.device_id}/"' in html
    assert 'aria-controls="answer-conditional-yes"' in html and 'aria-controls="answer-conditional-no"' in html


def test_answer_page_errors_all_at_once_with_input_kept(device, raise_request, installer_user):
    incident = raise_request(device)
    url = reverse("incidents:incident-answer", args=[incident.reference])
    client = client_for(installer_user)
    before = nothing_written()
    nothing = client.post(url, {"body": "kept text"})
    html = nothing.content.decode()
    assert nothing.status_code == 400 and "<title>Error: " in html and "kept text" in html
    assert 'href="#answer_is_installer_0"' in html and "Select yes if you are the installing supplier" in html
    no_code = client.post(url, {"is_installer": "yes"}).content.decode()
    assert 'href="#answer_install_code"' in no_code and "Enter the install code" in no_code
    bad_code = client.post(url, {"is_installer": "yes", "install_code": "12XY"}).content.decode()
    assert "The install code is not valid" in bad_code and 'aria-invalid="true"' in bad_code
    assert 'value="12XY"' in bad_code and 'checked' in bad_code
    assert nothing_written() == before
    client.post(url, {"is_installer": "no", "body": "We did not fit it."})
    incident.refresh_from_db()
    assert incident.state == IncidentState.NOT_INSTALLING_SUPPLIER
    assert IncidentNote.objects.filter(incident=incident, body="We did not fit it.").exists()


def test_key_rotation_reencrypts_deposits_too(settings, make_device, installer_user):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    from portal.crypto import decrypt_text

    deposit = install_code_deposit(device_id=make_device().device_id, install_code=INSTALL_CODE, actor=installer_user)
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_encryption_keys", verbosity=0)
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    rotated = InstallCodeDeposit.objects.get(pk=deposit.pk).install_code_ciphertext
    assert rotated != deposit.install_code_ciphertext and decrypt_text(rotated) == INSTALL_CODE
