"""The demo estate's DUIS identities (``manage.py duis_demo_identities``): HRTH and ENNW hold the DCC Boxed test
User IDs with their ZAZ1 certificates, every other role of every SEC party a demo-CA one; running it twice
changes nothing."""
from __future__ import annotations

from django.core.management import call_command

from gateway.duis import boxed
from gateway.duis.security import certificate_facts
from gateway.models import DuisIdentity, DuisIdentityChange
from tests.factories import NetworkOperatorFactory, OtherUserFactory, SupplierFactory


def test_demo_identities_for_every_role_with_the_boxed_ones_for_hrth_and_ennw(boxed_tool, settings, tmp_path):
    settings.BASE_DIR = tmp_path  # the demo CA and its keys go under BASE_DIR/.local/demo-ca
    settings.DUIS_BOXED_DIR = str(boxed_tool.jar.parent)  # the tool already fetched for the session
    hrth = SupplierFactory(code="HRTH", roles=["IS", "GS"])
    ennw = NetworkOperatorFactory(code="ENNW", roles=["ED"])
    clrs = OtherUserFactory(code="CLRS")
    call_command("duis_demo_identities")

    held = {(i.party.code, i.role): i for i in DuisIdentity.objects.select_related("party")}
    assert set(held) == {("HRTH", "IS"), ("HRTH", "GS"), ("ENNW", "ED"), ("CLRS", "OU")}
    assert held["HRTH", "IS"].user_id == boxed.TEST_SUPPLIER_USER_ID
    assert held["ENNW", "ED"].user_id == boxed.TEST_NETWORK_OPERATOR_USER_ID
    assert held["HRTH", "IS"].issuer == "CN=Z1,OU=07"
    for key in (("HRTH", "GS"), ("CLRS", "OU")):
        identity = held[key]
        assert identity.issuer == "CN=Portal Demo CA,OU=07"
        assert certificate_facts(identity.certificate_pem).user_id == identity.user_id
        assert (tmp_path / ".local" / "demo-ca" / "keys" / f"{identity.user_id}.key").exists()
    assert {hrth, ennw, clrs} == {i.party for i in held.values()}
    assert DuisIdentityChange.objects.count() == 4

    call_command("duis_demo_identities")
    assert DuisIdentity.objects.count() == 4 and DuisIdentityChange.objects.count() == 4
