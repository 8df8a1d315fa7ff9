"""MP169 R169-15 (seed 001): the DCC Service Centre sets or clears Restricted on a supplier's behalf, with the
supplier's request reference and the attestation recorded as given by phone or email. The supplier's rules apply;
the audit row has channel "Service Centre", the DCC user as actor and the supplier as party; the supplier sees it in
its history and is emailed (outbox). Service, page and REST; refusals write nothing."""
from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from inventory.choices import PaymentMode
from inventory.models import Device, RestrictionChange, RestrictionServiceCentreRequest
from inventory.services.restriction_service_centre import restriction_set_by_service_centre
from portal.choices import OutboxKind
from portal.errors import PermissionDenied, RuleRefused, ValidationFailed
from portal.models import OutboxMessage

ASKED = {"supplier_reference": "SUPA-REQ-0042", "restricted": True, "reason": "Consumer refused remote reads",
         "attested": True, "attestation_given_by": "phone"}


def assert_nothing_written(device: Device) -> None:
    device.refresh_from_db()
    assert device.restricted is False
    assert not RestrictionChange.objects.exists() and not RestrictionServiceCentreRequest.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_dcc_sets_for_the_supplier_audited_with_both_and_the_supplier_emailed(sms, supplier, dcc_user):
    result = restriction_set_by_service_centre(device=sms["GSME"], actor=dcc_user, supplier=supplier, **ASKED)
    gsme = Device.objects.get(pk=sms["GSME"].pk)
    assert gsme.restricted and Device.objects.get(pk=sms["GPF"].pk).restricted  # the GPF follows (R169-1)
    primary = result.changes[0]
    assert (primary.actor, primary.party, primary.channel, primary.attested) == (dcc_user, supplier, "centre", True)
    assert primary.get_channel_display() == "Service Centre"
    record = primary.service_centre_request
    assert (record.supplier_reference, record.attestation_given_by) == ("SUPA-REQ-0042", "phone")
    assert RestrictionServiceCentreRequest.objects.count() == 2  # the GSME's row and the GPF's
    email = OutboxMessage.objects.get(kind=OutboxKind.EMAIL, party=supplier)
    assert email.recipient == supplier.operational_email and "SUPA-REQ-0042" in email.subject
    assert "by phone" in email.body and dcc_user.username in email.body
    assert OutboxMessage.objects.filter(kind__in=[OutboxKind.CSP_NOTIFICATION, OutboxKind.EMAIL]).exclude(
        party=supplier).count() == 1  # and the CSP is told, as for any change (R169-6)


def test_clear_needs_no_attestation_channel(sms, supplier, dcc_user):
    restriction_set_by_service_centre(device=sms["ESME"], actor=dcc_user, supplier=supplier, **ASKED)
    result = restriction_set_by_service_centre(
        device=sms["ESME"], actor=dcc_user, supplier=supplier, supplier_reference="SUPA-REQ-0043",
        restricted=False, reason="Change of tenancy", attested=False, attestation_given_by="")
    assert result.changes[0].service_centre_request.attestation_given_by == ""


@pytest.mark.parametrize("change, error, code", [
    ({"supplier_reference": " "}, ValidationFailed, "service_centre_incomplete"),
    ({"attestation_given_by": ""}, ValidationFailed, "service_centre_incomplete"),
    ({"attestation_given_by": "fax"}, ValidationFailed, "service_centre_incomplete"),
    ({"attested": False}, RuleRefused, "attestation_required"),
    ({"reason": ""}, ValidationFailed, "reason_required"),
])
def test_incomplete_requests_are_refused_and_write_nothing(sms, supplier, dcc_user, change, error, code):
    with pytest.raises(error) as refused:
        restriction_set_by_service_centre(device=sms["ESME"], actor=dcc_user, supplier=supplier, **{**ASKED, **change})
    assert refused.value.code == code
    assert_nothing_written(sms["ESME"])


def test_the_supplier_must_be_the_responsible_supplier(sms, other_supplier, dcc_user):
    with pytest.raises(PermissionDenied) as refused:
        restriction_set_by_service_centre(device=sms["ESME"], actor=dcc_user, supplier=other_supplier, **ASKED)
    assert refused.value.code == "not_responsible_supplier"
    assert_nothing_written(sms["ESME"])


def test_the_supplier_rules_apply_prepayment(sms, supplier, dcc_user):
    Device.objects.filter(pk=sms["ESME"].pk).update(payment_mode=PaymentMode.PREPAYMENT)
    with pytest.raises(RuleRefused) as refused:
        restriction_set_by_service_centre(device=sms["ESME"], actor=dcc_user, supplier=supplier, **ASKED)
    assert refused.value.code == "prepayment_not_eligible"
    assert not RestrictionChange.objects.exists() and not OutboxMessage.objects.exists()


def test_only_the_dcc_acts_for_a_supplier(sms, supplier, supplier_user):
    with pytest.raises(PermissionDenied) as refused:
        restriction_set_by_service_centre(device=sms["ESME"], actor=supplier_user, supplier=supplier, **ASKED)
    assert refused.value.code == "not_service_centre"
    assert_nothing_written(sms["ESME"])


def test_the_record_is_append_only(sms, supplier, dcc_user):
    restriction_set_by_service_centre(device=sms["ESME"], actor=dcc_user, supplier=supplier, **ASKED)
    record = RestrictionServiceCentreRequest.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        RestrictionServiceCentreRequest.objects.filter(pk=record.pk).update(supplier_reference="changed")
    with pytest.raises(DatabaseError), transaction.atomic():
        record.delete()


# --- page -------------------------------------------------------------------------------------------------------

def form(**overrides) -> dict:
    data = {"supplier": "SUPA", "supplier_reference": "SUPA-REQ-0042", "restricted": "true",
            "reason": "Consumer refused remote reads", "all_reasonable_steps_taken": "on",
            "attestation_given_by": "email"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_page_records_the_request_and_the_supplier_sees_it_in_its_history(client, sms, supplier, dcc_user, make_user):
    client.force_login(dcc_user)
    url = f"/inventory/devices/{sms['ESME'].device_id}/restriction/service-centre/"
    assert "Set or clear Restricted mode for the supplier" in client.get(url).content.decode()
    response = client.post(url, form())
    assert response.status_code == 302
    change = RestrictionChange.objects.get()
    assert (change.actor, change.party, change.service_centre_request.attestation_given_by) == (
        dcc_user, supplier, "email")
    client.force_login(make_user(supplier))
    page = client.get(f"/inventory/devices/{sms['ESME'].device_id}/").content.decode()
    assert "Service Centre" in page and "reference SUPA-REQ-0042" in page and dcc_user.username in page


def test_page_errors_come_back_all_at_once_with_the_input(client, sms, dcc_user, other_supplier):
    client.force_login(dcc_user)
    url = f"/inventory/devices/{sms['ESME'].device_id}/restriction/service-centre/"
    response = client.post(url, form(supplier_reference="", reason="", supplier="SUPA"))
    body = response.content.decode()
    assert response.status_code == 400 and "<title>Error: " in body
    assert "Enter the supplier&#x27;s request reference." in body and "Enter the reason the supplier gave." in body
    assert 'class="error-summary"' in body and 'value="SUPA"' in body
    refused = client.post(url, form(attestation_given_by=None))
    assert refused.status_code == 400 and "by phone or by email" in refused.content.decode()
    wrong = client.post(url, form(supplier="SUPB"))
    assert wrong.status_code == 403 and "Nothing was changed." in wrong.content.decode()
    assert_nothing_written(sms["ESME"])


def test_page_is_the_dcc_only(client, sms, supplier_user):
    client.force_login(supplier_user)
    url = f"/inventory/devices/{sms['ESME'].device_id}/restriction/service-centre/"
    assert client.get(url).status_code == 403
    assert client.post(url, form()).status_code == 403
    assert_nothing_written(sms["ESME"])


# --- REST -------------------------------------------------------------------------------------------------------

def body(**overrides) -> dict:
    data = {"supplier": "SUPA", "supplier_reference": "SUPA-REQ-7", "restricted": True, "reason": "Consumer refused",
            "all_reasonable_steps_taken": True, "attestation_given_by": "phone"}
    data.update(overrides)
    return data


def test_rest_sets_for_the_supplier_and_its_history_shows_it(api_client_for, sms, supplier, dcc_party):
    url = f"/api/v1/devices/{sms['ESME'].device_id}/restriction/service-centre/"
    response = api_client_for(dcc_party).post(url, body(), format="json")
    assert response.status_code == 200, response.content
    (change,) = response.json()["changes"]
    assert (change["party"], change["channel"]) == ("SUPA", "centre")
    history = api_client_for(supplier).get(f"/api/v1/devices/{sms['ESME'].device_id}/restriction-history/").json()
    rows = history["results"] if isinstance(history, dict) else history
    assert [row["channel"] for row in rows] == ["centre"]


def test_rest_refusals_use_the_error_shape_and_write_nothing(api_client_for, sms, supplier, dcc_party, other_supplier):
    url = f"/api/v1/devices/{sms['ESME'].device_id}/restriction/service-centre/"
    missing = api_client_for(dcc_party).post(url, body(supplier_reference=""), format="json")
    assert missing.status_code == 400 and set(missing.json()) == {"code", "detail", "errors"}
    assert "supplier_reference" in missing.json()["errors"]
    unknown = api_client_for(dcc_party).post(url, body(supplier="NOPE"), format="json")
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_supplier"
    assert api_client_for(supplier).post(url, body(), format="json").status_code == 403
    wrong = api_client_for(dcc_party).post(url, body(supplier="SUPB"), format="json")
    assert wrong.status_code == 403 and wrong.json()["code"] == "not_responsible_supplier"
    assert_nothing_written(sms["ESME"])
