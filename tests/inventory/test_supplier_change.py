"""R169-5: Change of Supplier keeps Restricted; the gaining supplier may clear it, the losing one may not."""
from __future__ import annotations

import pytest
from django.urls import reverse

from inventory.choices import RestrictionChannel
from inventory.models import Device, SupplierChange
from inventory.services.restriction import restriction_set
from inventory.services.supplier_changes import supplier_change_record
from portal.errors import Conflict, PermissionDenied, RuleRefused
from tests.factories import NetworkOperatorFactory


def test_cos_keeps_restricted_and_only_the_gaining_supplier_can_clear(sms, supplier, other_supplier, make_user,
                                                                      dcc_user):
    losing, gaining = make_user(supplier), make_user(other_supplier)
    restriction_set(device=sms["GSME"], actor=losing, restricted=True, reason="Consumer refused", attested=True,
                    channel=RestrictionChannel.WEB)

    changes = supplier_change_record(device=sms["GSME"], new_supplier=other_supplier, actor=dcc_user, request_id="cos-1")
    assert [(c.device_id, c.old_supplier, c.new_supplier, c.party.code, c.request_id) for c in changes] == [
        (sms["GSME"].pk, supplier, other_supplier, "DCC", "cos-1"), (sms["GPF"].pk, supplier, other_supplier, "DCC",
                                                                    "cos-1")]
    gsme, gpf = Device.objects.get(pk=sms["GSME"].pk), Device.objects.get(pk=sms["GPF"].pk)
    assert gsme.restricted and gpf.restricted and gsme.restricted_since is not None
    assert gsme.responsible_supplier == gpf.responsible_supplier == other_supplier

    clear = {"restricted": False, "reason": "Change of tenancy", "attested": False, "channel": RestrictionChannel.WEB}
    with pytest.raises(PermissionDenied):
        restriction_set(device=gsme, actor=losing, **clear)
    assert Device.objects.get(pk=gsme.pk).restricted is True
    restriction_set(device=gsme, actor=gaining, **clear)
    assert not Device.objects.filter(pk__in=[gsme.pk, gpf.pk], restricted=True).exists()


@pytest.mark.parametrize("party_fixture", ["supplier", "other_supplier", "network_operator"])
def test_only_the_dcc_service_desk_records_a_change_of_supplier(party_fixture, request, sms, other_supplier, make_user):
    actor = make_user(request.getfixturevalue(party_fixture))
    with pytest.raises(PermissionDenied):
        supplier_change_record(device=sms["ESME"], new_supplier=other_supplier, actor=actor)
    assert not SupplierChange.objects.exists()


def test_cos_refusals(sms, supplier, dcc_user, other_supplier):
    with pytest.raises(Conflict):
        supplier_change_record(device=sms["ESME"], new_supplier=supplier, actor=dcc_user)
    with pytest.raises(RuleRefused):
        supplier_change_record(device=sms["ESME"], new_supplier=NetworkOperatorFactory(), actor=dcc_user)
    with pytest.raises(RuleRefused, match="Gas Proxy Function"):
        supplier_change_record(device=sms["GPF"], new_supplier=other_supplier, actor=dcc_user)
    assert not SupplierChange.objects.exists()


def test_dcc_records_cos_from_the_device_page(client, sms, supplier, other_supplier, dcc_user, make_user):
    client.force_login(dcc_user)
    page = reverse("inventory:restriction-device", kwargs={"device_id": sms["ESME"].device_id})
    assert "Record a Change of Supplier" in client.get(page).content.decode()
    response = client.post(reverse("inventory:supplier-change", kwargs={"device_id": sms["ESME"].device_id}),
                           {"new_supplier": other_supplier.pk}, follow=True)
    assert "SUPB is now the Responsible Supplier" in response.content.decode()
    assert Device.objects.get(pk=sms["ESME"].pk).responsible_supplier == other_supplier

    client.force_login(make_user(other_supplier))
    assert "Record a Change of Supplier" not in client.get(page).content.decode()
    response = client.post(reverse("inventory:supplier-change", kwargs={"device_id": sms["ESME"].device_id}),
                           {"new_supplier": supplier.pk}, follow=True)
    assert "Only the DCC service desk" in response.content.decode()
    assert Device.objects.get(pk=sms["ESME"].pk).responsible_supplier == other_supplier
