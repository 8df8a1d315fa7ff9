"""MP169 Restricted mode: the service's rules, pairing, audit trail and CSP notification (R169-1..R169-6)."""
from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from inventory.choices import DeviceStatus, DeviceType, LoadManagement, PaymentMode, RestrictionChannel, SmetsVersion
from inventory.models import Device, RestrictionChange
from inventory.services.restriction import restriction_check, restriction_refusal, restriction_set
from portal.choices import OutboxKind
from portal.errors import Conflict, PermissionDenied, RuleRefused, ValidationFailed
from portal.models import OutboxMessage, Party
from tests.factories import DeviceFactory, NetworkOperatorFactory, PartyFactory, make_sms

SET = {"restricted": True, "reason": "Consumer refused remote collection", "attested": True,
       "channel": RestrictionChannel.DUIS}
CLEAR = {"restricted": False, "reason": "Change of tenancy", "attested": False, "channel": RestrictionChannel.DUIS}


def assert_nothing_changed(*devices: Device) -> None:
    for device in devices:
        device.refresh_from_db()
        assert device.restricted is False and device.restricted_since is None
    assert not RestrictionChange.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_responsible_supplier_sets_restricted_with_audit_row_and_since(sms, supplier_user):
    result = restriction_set(device=sms["ESME"], actor=supplier_user, request_id="req-1", **SET)
    esme = Device.objects.get(pk=sms["ESME"].pk)
    assert esme.restricted is True and esme.restricted_since is not None
    (change,) = result.changes
    assert (change.device_id, change.actor, change.party, change.old_value, change.new_value) == (
        esme.pk, supplier_user, supplier_user.party, False, True)
    assert (change.reason, change.attested, change.channel, change.request_id) == (
        "Consumer refused remote collection", True, "duis", "req-1")
    assert esme.restricted_since == change.at


def test_clear_resets_since_and_records_the_clear(sms, supplier_user):
    restriction_set(device=sms["ESME"], actor=supplier_user, **SET)
    result = restriction_set(device=sms["ESME"], actor=supplier_user, **CLEAR)
    esme = Device.objects.get(pk=sms["ESME"].pk)
    assert esme.restricted is False and esme.restricted_since is None
    assert (result.changes[0].old_value, result.changes[0].new_value, result.changes[0].reason) == (
        True, False, "Change of tenancy")
    assert RestrictionChange.objects.filter(device=esme).count() == 2


@pytest.mark.parametrize("role", ["other_supplier", "network_operator", "OU", "RSA", "CSP", "DCC"])
def test_only_responsible_supplier_can_set_restricted(role, sms, make_user, other_supplier):
    party = {
        "other_supplier": other_supplier,
        "network_operator": NetworkOperatorFactory(),
        "OU": PartyFactory(code="OU1", roles=["OU"]),
        "RSA": PartyFactory(code="RSA1", roles=["RSA"]),
        "CSP": PartyFactory(code="CSPX", roles=["CSP"], csp_region="North"),
        "DCC": PartyFactory(code="DCC", roles=["DCC"]),
    }[role]
    with pytest.raises(PermissionDenied) as refused:
        restriction_set(device=sms["ESME"], actor=make_user(party), **SET)
    assert refused.value.code == "not_responsible_supplier"
    assert "Only the Responsible Supplier" in refused.value.detail
    assert restriction_refusal(device=sms["ESME"], actor=make_user(party)) is not None
    assert_nothing_changed(sms["ESME"])


def test_party_that_is_also_a_network_operator_is_refused_on_devices_it_only_operates(sms, make_user):
    both = PartyFactory(code="BOTH", roles=["IS", "ED"])
    sms["ESME"].network_operator = both
    sms["ESME"].save()
    with pytest.raises(PermissionDenied):
        restriction_set(device=sms["ESME"], actor=make_user(both), **SET)


def test_losing_its_supplier_role_refuses_even_the_registered_party(sms, supplier, supplier_user):
    supplier.roles = ["OU"]
    supplier.save()
    supplier_user.refresh_from_db()
    with pytest.raises(PermissionDenied):
        restriction_set(device=sms["ESME"], actor=supplier_user, **SET)


@pytest.mark.parametrize(("change", "code"), [
    ({"payment_mode": PaymentMode.PREPAYMENT}, "prepayment_not_eligible"),
    ({"load_management": LoadManagement.ECONOMY_7}, "load_management_not_eligible"),
    ({"load_management": LoadManagement.LOAD_MANAGED}, "load_management_not_eligible"),
    ({"load_management": LoadManagement.RADIO_TELESWITCH}, "load_management_not_eligible"),
    ({"network_managed_no_wan": True}, "network_managed_no_wan"),
    ({"status": DeviceStatus.INSTALLED_NOT_COMMISSIONED}, "device_not_commissioned"),
    ({"status": DeviceStatus.SUSPENDED}, "device_not_commissioned"),
])
def test_setting_is_refused_by_each_mp169_rule(change, code, sms, supplier_user):
    Device.objects.filter(pk=sms["ESME"].pk).update(**change)
    with pytest.raises(RuleRefused) as refused:
        restriction_set(device=sms["ESME"], actor=supplier_user, **SET)
    assert refused.value.code == code and refused.value.status_code == 422
    assert sms["ESME"].device_id in refused.value.detail
    assert_nothing_changed(sms["ESME"])


def test_prepayment_refusal_says_restricted_mode_is_for_credit_customers(sms, supplier_user):
    Device.objects.filter(pk=sms["ESME"].pk).update(payment_mode=PaymentMode.PREPAYMENT)
    with pytest.raises(RuleRefused, match="credit customers only"):
        restriction_set(device=sms["ESME"], actor=supplier_user, **SET)


def test_setting_is_refused_until_the_hub_is_commissioned(sms, supplier_user):
    Device.objects.filter(pk=sms["CHF"].pk).update(status=DeviceStatus.INSTALLED_NOT_COMMISSIONED)
    with pytest.raises(RuleRefused) as refused:
        restriction_set(device=sms["ESME"], actor=supplier_user, **SET)
    assert refused.value.code == "hub_not_commissioned"
    assert_nothing_changed(sms["ESME"])


def test_setting_is_refused_for_a_meter_with_no_hub(supplier, supplier_user):
    lone = DeviceFactory(responsible_supplier=supplier, hub=None)
    with pytest.raises(RuleRefused, match="no communications hub"):
        restriction_set(device=lone, actor=supplier_user, **SET)


def test_smets1_devices_cannot_be_restricted(supplier, supplier_user):
    smets1 = make_sms(supplier=supplier, smets_version=SmetsVersion.SMETS1)
    with pytest.raises(RuleRefused) as refused:
        restriction_set(device=smets1["ESME"], actor=supplier_user, **SET)
    assert refused.value.code == "smets1_not_supported"
    assert_nothing_changed(smets1["ESME"])


@pytest.mark.parametrize("device_type", [DeviceType.CHF, DeviceType.IHD, DeviceType.PPMID, DeviceType.HCALCS])
def test_only_meters_can_be_restricted(device_type, sms, supplier, supplier_user):
    device = sms["CHF"] if device_type == DeviceType.CHF else DeviceFactory(
        device_type=device_type, hub=sms["CHF"], responsible_supplier=supplier)
    with pytest.raises(RuleRefused) as refused:
        restriction_set(device=device, actor=supplier_user, **SET)
    assert refused.value.code == "device_type_not_restrictable"


def test_gpf_cannot_be_set_on_its_own(sms, supplier_user):
    with pytest.raises(RuleRefused) as refused:
        restriction_set(device=sms["GPF"], actor=supplier_user, **SET)
    assert refused.value.code == "gpf_follows_gsme" and "GSME" in refused.value.detail
    assert_nothing_changed(sms["GPF"], sms["GSME"])


@pytest.mark.parametrize("reason", ["", "   "])
def test_reason_is_required_to_set_and_to_clear(reason, sms, supplier_user):
    with pytest.raises(ValidationFailed) as refused:
        restriction_set(device=sms["ESME"], actor=supplier_user, **{**SET, "reason": reason})
    assert refused.value.code == "reason_required" and refused.value.status_code == 400
    restriction_set(device=sms["ESME"], actor=supplier_user, **SET)
    with pytest.raises(ValidationFailed):
        restriction_set(device=sms["ESME"], actor=supplier_user, **{**CLEAR, "reason": reason})
    assert Device.objects.get(pk=sms["ESME"].pk).restricted is True


def test_attestation_is_required_to_set_but_not_to_clear(sms, supplier_user):
    with pytest.raises(RuleRefused) as refused:
        restriction_set(device=sms["ESME"], actor=supplier_user, **{**SET, "attested": False})
    assert refused.value.code == "attestation_required" and "all reasonable steps" in refused.value.detail
    assert_nothing_changed(sms["ESME"])
    restriction_set(device=sms["ESME"], actor=supplier_user, **SET)
    restriction_set(device=sms["ESME"], actor=supplier_user, **CLEAR)  # no attestation needed
    assert Device.objects.get(pk=sms["ESME"].pk).restricted is False


def test_setting_twice_is_a_conflict_with_no_audit_row(sms, supplier_user):
    restriction_set(device=sms["ESME"], actor=supplier_user, **SET)
    with pytest.raises(Conflict) as conflict:
        restriction_set(device=sms["ESME"], actor=supplier_user, **SET)
    assert conflict.value.code == "already_restricted" and "already restricted" in conflict.value.detail
    with pytest.raises(Conflict, match="not restricted"):
        restriction_set(device=sms["GSME"], actor=supplier_user, **CLEAR)
    assert RestrictionChange.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


def test_clearing_is_allowed_whatever_the_status_and_payment_mode(sms, supplier_user):
    restriction_set(device=sms["ESME"], actor=supplier_user, **SET)
    Device.objects.filter(pk=sms["ESME"].pk).update(status=DeviceStatus.SUSPENDED, payment_mode=PaymentMode.PREPAYMENT)
    restriction_set(device=sms["ESME"], actor=supplier_user, **CLEAR)
    assert Device.objects.get(pk=sms["ESME"].pk).restricted is False


def test_setting_a_gsme_sets_its_gpf_with_its_own_audit_row_and_clearing_clears_both(sms, supplier_user):
    result = restriction_set(device=sms["GSME"], actor=supplier_user, **SET)
    gsme_change, gpf_change = result.changes
    gpf = Device.objects.get(pk=sms["GPF"].pk)
    assert gpf.restricted is True and gpf.restricted_since == gsme_change.at
    assert (gpf_change.device_id, gpf_change.cascaded_from, gpf_change.new_value) == (gpf.pk, gsme_change, True)
    assert Device.objects.get(pk=sms["ESME"].pk).restricted is False  # the electricity meter is separate

    cleared = restriction_set(device=sms["GSME"], actor=supplier_user, **CLEAR)
    assert [c.device_id for c in cleared.changes] == [sms["GSME"].pk, sms["GPF"].pk]
    assert cleared.changes[1].cascaded_from == cleared.changes[0]
    assert not Device.objects.filter(pk__in=[sms["GSME"].pk, sms["GPF"].pk], restricted=True).exists()


def test_a_gpf_on_another_hub_is_not_touched(sms, supplier, supplier_user):
    elsewhere = make_sms(supplier=supplier)
    restriction_set(device=sms["GSME"], actor=supplier_user, **SET)
    assert Device.objects.get(pk=elsewhere["GPF"].pk).restricted is False


def test_restriction_check_offers_the_change_only_when_the_service_would_accept_it(sms, supplier_user):
    assert restriction_refusal(device=sms["ESME"], actor=supplier_user) is None
    restriction_check(device=sms["ESME"], actor=supplier_user, restricted=True)
    Device.objects.filter(pk=sms["ESME"].pk).update(payment_mode=PaymentMode.PREPAYMENT)
    sms["ESME"].refresh_from_db()
    assert restriction_refusal(device=sms["ESME"], actor=supplier_user) is not None
    assert restriction_refusal(device=sms["GPF"], actor=supplier_user) is not None
    assert not RestrictionChange.objects.exists()


# --- audit trail is append-only in the database (R169-4) -------------------------------------

def _one_change(sms, supplier_user) -> RestrictionChange:
    return restriction_set(device=sms["ESME"], actor=supplier_user, **SET).changes[0]


@pytest.mark.parametrize("sql", [
    "UPDATE inventory_restrictionchange SET reason = 'edited' WHERE id = %s",
    "DELETE FROM inventory_restrictionchange WHERE id = %s",
])
def test_database_refuses_to_edit_or_delete_a_restriction_change(sql, sms, supplier_user):
    change = _one_change(sms, supplier_user)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [change.pk])
    assert RestrictionChange.objects.get(pk=change.pk).reason == SET["reason"]


def test_orm_update_and_delete_of_a_restriction_change_are_refused(sms, supplier_user):
    change = _one_change(sms, supplier_user)
    with pytest.raises(DatabaseError), transaction.atomic():
        RestrictionChange.objects.filter(pk=change.pk).update(new_value=False)
    with pytest.raises(DatabaseError), transaction.atomic():
        change.delete()
    assert RestrictionChange.objects.filter(pk=change.pk, new_value=True).exists()


# --- CSP notification (R169-6) -----------------------------------------------------------------

def test_one_csp_notification_per_change_to_the_regions_csp_in_the_same_transaction(sms, supplier, supplier_user):
    csp = Party.objects.get(code="CSPN")
    csp.notification_endpoint = "https://cspn.example/notifications"
    csp.save()
    result = restriction_set(device=sms["GSME"], actor=supplier_user, **SET)
    (message,) = OutboxMessage.objects.all()
    assert message == result.notification
    assert (message.kind, message.recipient, message.party) == (
        OutboxKind.CSP_NOTIFICATION, "https://cspn.example/notifications", csp)
    assert message.payload["device_ids"] == [sms["GSME"].device_id, sms["GPF"].device_id]
    assert message.payload["restricted"] is True and message.payload["supplier"] == supplier.code
    assert message.payload["change_ids"] == [c.pk for c in result.changes]
    assert message.payload["csp_region"] == "North" and message.payload["at"]
    assert message.source == f"restriction:{result.changes[0].pk}"


@pytest.mark.parametrize(("region", "csp_code"), [
    ("Central", "CSPC"), ("South", "CSPS"), ("4G North", "CSPN"), ("4G Central", "CSPC"), ("4G South", "CSPS"),
])
def test_notification_goes_to_the_csp_that_runs_the_hubs_region(region, csp_code, supplier, supplier_user):
    sms = make_sms(supplier=supplier, csp_region=region)
    restriction_set(device=sms["ESME"], actor=supplier_user, **SET)
    assert OutboxMessage.objects.get().party.code == csp_code


def test_csp_without_endpoint_is_emailed_at_its_operational_address(sms, supplier_user):
    restriction_set(device=sms["ESME"], actor=supplier_user, **SET)
    message = OutboxMessage.objects.get()
    assert (message.kind, message.recipient) == (OutboxKind.EMAIL, "cspn-ops@dcc.example")
    assert sms["ESME"].device_id in message.subject and sms["ESME"].device_id in message.body


def test_rolled_back_change_leaves_no_audit_row_and_no_notification(sms, supplier_user):
    with pytest.raises(RuntimeError), transaction.atomic():
        restriction_set(device=sms["ESME"], actor=supplier_user, **SET)
        assert OutboxMessage.objects.count() == 1
        raise RuntimeError("the caller's transaction failed after the change")
    assert_nothing_changed(sms["ESME"])


def test_delivery_is_queued_only_after_commit(sms, supplier_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        restriction_set(device=sms["ESME"], actor=supplier_user, **SET)
    assert len(callbacks) == 1
