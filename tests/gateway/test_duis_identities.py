"""RD-1: the DCC registers and revokes parties' DUIS User IDs with their signing certificates (service, REST,
page); a certificate must be for the User ID it is registered under; every register and revoke is audited."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse

from gateway.duis.demo_ca import demo_certificate_issue
from gateway.duis.identities import duis_identity_register, duis_identity_revoke
from gateway.models import DuisIdentity, DuisIdentityChange
from portal.audit_chain import verify_audit_chains
from portal.errors import Conflict, NotFound, PermissionDenied, RuleRefused, ValidationFailed
from tests.factories import UserFactory

USER_ID = "90-B3-D5-1F-30-09-00-01"


@pytest.fixture
def desk(dcc_party):
    return UserFactory(party=dcc_party, username="desk")


@pytest.fixture
def certificate(tmp_path):
    return demo_certificate_issue(user_id=USER_ID, folder=tmp_path)[0]


def test_dcc_registers_a_user_id_with_its_certificate_and_the_change_is_audited(desk, supplier, certificate):
    identity = duis_identity_register(actor=desk, party=supplier, user_id=USER_ID.lower(), role="IS",
                                      certificate_pem=certificate, reason="onboarding")
    assert (identity.user_id, identity.role, identity.active) == (USER_ID, "IS", True)
    assert identity.issuer == "CN=Portal Demo CA,OU=07" and identity.serial.isdigit()
    change = DuisIdentityChange.objects.get()
    assert (change.action, change.user_id, change.actor, change.party, change.reason) == (
        "register", USER_ID, desk, supplier, "onboarding")
    report = verify_audit_chains()
    assert report.counts["gateway_duisidentitychange"] == 1 and not report.breaks


def test_the_zaz1_test_certificates_carry_their_user_id(desk, supplier, network_operator, boxed_tool):
    from gateway.duis import boxed

    duis_identity_register(actor=desk, party=supplier, user_id=boxed.TEST_SUPPLIER_USER_ID, role="IS",
                           certificate_pem=boxed.boxed_certificate_pem(boxed.TEST_SUPPLIER_USER_ID))
    with pytest.raises(RuleRefused, match="for User ID 90-B3-D5-1F-30-01-00-00, not 90-B3-D5-1F-30-02-00-00"):
        duis_identity_register(actor=desk, party=network_operator, user_id=boxed.TEST_NETWORK_OPERATOR_USER_ID,
                               role="ED", certificate_pem=boxed.boxed_certificate_pem(boxed.TEST_SUPPLIER_USER_ID))


def test_a_certificate_for_another_user_id_is_refused(desk, supplier, certificate):
    with pytest.raises(RuleRefused, match="is for User ID 90-B3-D5-1F-30-09-00-01, not 90-B3-D5-1F-30-09-00-02"):
        duis_identity_register(actor=desk, party=supplier, user_id="90-B3-D5-1F-30-09-00-02", role="IS",
                               certificate_pem=certificate)
    assert not DuisIdentity.objects.exists() and not DuisIdentityChange.objects.exists()


def test_a_certificate_without_a_unique_identifier_is_refused(desk, supplier, tmp_path):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    pem, _key = demo_certificate_issue(user_id=USER_ID, folder=tmp_path,
                                       subject=x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, USER_ID)]))
    with pytest.raises(RuleRefused, match="no x500UniqueIdentifier"):
        duis_identity_register(actor=desk, party=supplier, user_id=USER_ID, role="IS", certificate_pem=pem)


def test_an_expired_certificate_is_refused(desk, supplier, tmp_path):
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    pem, _key = demo_certificate_issue(user_id=USER_ID, folder=tmp_path, not_before=past - dt.timedelta(days=9),
                                       not_after=past)
    with pytest.raises(RuleRefused, match="expired"):
        duis_identity_register(actor=desk, party=supplier, user_id=USER_ID, role="IS", certificate_pem=pem)


@pytest.mark.parametrize(("user_id", "role", "pem", "error"), [
    ("90-B3-D5-1F-30-09-00", "IS", None, ValidationFailed),
    (USER_ID, "DCC", None, ValidationFailed),
    (USER_ID, "ED", None, RuleRefused),  # the supplier does not hold ED
    (USER_ID, "IS", "-----BEGIN CERTIFICATE-----\nnot one\n-----END CERTIFICATE-----", ValidationFailed),
])
def test_malformed_registrations_are_refused(desk, supplier, certificate, user_id, role, pem, error):
    with pytest.raises(error):
        duis_identity_register(actor=desk, party=supplier, user_id=user_id, role=role,
                               certificate_pem=pem or certificate)


def test_only_the_dcc_registers_and_revokes(make_user, supplier, certificate, desk):
    with pytest.raises(PermissionDenied):
        duis_identity_register(actor=make_user(supplier), party=supplier, user_id=USER_ID, role="IS",
                               certificate_pem=certificate)
    duis_identity_register(actor=desk, party=supplier, user_id=USER_ID, role="IS", certificate_pem=certificate)
    with pytest.raises(PermissionDenied):
        duis_identity_revoke(actor=make_user(supplier), party=supplier, user_id=USER_ID)


def test_one_active_holder_per_user_id(desk, supplier, other_supplier, certificate):
    duis_identity_register(actor=desk, party=supplier, user_id=USER_ID, role="IS", certificate_pem=certificate)
    with pytest.raises(Conflict, match="already registered to party SUPA"):
        duis_identity_register(actor=desk, party=other_supplier, user_id=USER_ID, role="IS",
                               certificate_pem=certificate)
    duis_identity_revoke(actor=desk, party=supplier, user_id=USER_ID, reason="moved")
    again = duis_identity_register(actor=desk, party=other_supplier, user_id=USER_ID, role="IS",
                                   certificate_pem=certificate)
    assert again.party == other_supplier
    assert list(DuisIdentityChange.objects.order_by("id").values_list("action", "party__code")) == [
        ("register", "SUPA"), ("revoke", "SUPA"), ("register", "SUPB")]


def test_revoke_is_audited_and_the_audit_is_append_only(desk, supplier, certificate):
    duis_identity_register(actor=desk, party=supplier, user_id=USER_ID, role="IS", certificate_pem=certificate)
    identity = duis_identity_revoke(actor=desk, party=supplier, user_id=USER_ID, reason="key compromise")
    assert identity.revoked_by == desk and not identity.active
    with pytest.raises(NotFound):
        duis_identity_revoke(actor=desk, party=supplier, user_id=USER_ID)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        DuisIdentityChange.objects.update(reason="edited")


# --- REST ---------------------------------------------------------------------------------------------

def url(code: str, user_id: str | None = None) -> str:
    if user_id:
        return reverse("api-duis-identity-revoke", args=[code, user_id])
    return reverse("api-duis-identities", args=[code])


def test_rest_register_list_and_revoke(api_client_for, dcc_party, supplier, certificate):
    api = api_client_for(dcc_party)
    response = api.post(url("SUPA"), {"user_id": USER_ID, "role": "IS", "certificate_pem": certificate}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["user_id"] == USER_ID and response.json()["active"] is True
    listed = api.get(url("SUPA")).json()["results"]
    assert [(row["user_id"], row["role"], row["certificate_pem"].startswith("-----BEGIN CERTIFICATE-----"))
            for row in listed] == [(USER_ID, "IS", True)]
    revoked = api.post(url("SUPA", USER_ID), {"reason": "rotated"}, format="json")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] and not revoked.json()["active"]


def test_rest_refuses_a_certificate_for_another_user_id_with_422(api_client_for, dcc_party, supplier, certificate):
    response = api_client_for(dcc_party).post(
        url("SUPA"), {"user_id": "90-B3-D5-1F-30-09-00-02", "role": "IS", "certificate_pem": certificate}, format="json")
    assert response.status_code == 422
    assert response.json()["code"] == "certificate_user_id_mismatch" and "certificate_pem" in response.json()["errors"]


def test_rest_is_dcc_only(api_client_for, supplier, network_operator, certificate):
    for party in (supplier, network_operator):
        api = api_client_for(party)
        assert api.get(url("SUPA")).status_code == 403
        assert api.post(url("SUPA"), {"user_id": USER_ID, "role": "IS", "certificate_pem": certificate},
                        format="json").status_code == 403
        assert api.post(url("SUPA", USER_ID), {}, format="json").status_code == 403
    assert not DuisIdentity.objects.exists()


def test_rest_unknown_party_is_404_and_bad_user_id_400(api_client_for, dcc_party, supplier, certificate):
    api = api_client_for(dcc_party)
    assert api.get(url("NOPE")).status_code == 404
    response = api.post(url("SUPA"), {"user_id": "x", "role": "IS", "certificate_pem": certificate}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid_user_id"


# --- Pages --------------------------------------------------------------------------------------------

def test_dcc_page_registers_lists_and_revokes(client, desk, supplier, certificate):
    client.force_login(desk)
    page = reverse("gateway:duis-identity-party", args=["SUPA"])
    assert b"SUPA" in client.get(reverse("gateway:duis-identity-parties")).content
    response = client.post(page, {"user_id": USER_ID, "role": "IS", "certificate_pem": certificate}, follow=True)
    assert response.status_code == 200 and USER_ID.encode() in response.content
    assert b"Revoke 90-B3-D5-1F-30-09-00-01" in response.content
    response = client.post(page, {"action": "revoke", "user_id": USER_ID, "reason": "rotated"}, follow=True)
    assert b"Revoked" in response.content and not DuisIdentity.objects.get().active


def test_dcc_page_shows_why_a_certificate_is_refused(client, desk, supplier, certificate):
    client.force_login(desk)
    response = client.post(reverse("gateway:duis-identity-party", args=["SUPA"]),
                           {"user_id": "90-B3-D5-1F-30-09-00-02", "role": "IS", "certificate_pem": certificate})
    assert response.status_code == 400 and b"is for User ID 90-B3-D5-1F-30-09-00-01" in response.content
    assert not DuisIdentity.objects.exists()


def test_identity_pages_are_dcc_only(client, make_user, supplier):
    client.force_login(make_user(supplier))
    assert client.get(reverse("gateway:duis-identity-parties")).status_code == 403
    assert client.get(reverse("gateway:duis-identity-party", args=["SUPA"])).status_code == 403

