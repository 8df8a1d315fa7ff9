"""``manage.py demo_data``: a realistic, idempotent estate (docs/API.md operations contract)."""
from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F

from inventory.choices import CSPRegion, DeviceStatus, DeviceType, LoadManagement, PaymentMode
from inventory.models import CPLEntry, Device, RestrictionChange
from portal.models import Party, User

pytestmark = pytest.mark.django_db

DEVICES = 400


def run(**options) -> str:
    out = io.StringIO()
    call_command("demo_data", stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


SNAPSHOT_FIELDS = [
    "device_id", "device_type", "status", "smets_version", "cpl_entry__model", "cpl_entry__firmware_version",
    "cpl_entry__smets_version", "hub__device_id", "mpxn", "uprn", "postcode", "address_identifier", "csp_region",
    "responsible_supplier__code", "prenotifying_supplier__code", "network_operator__code", "payment_mode",
    "load_management", "network_managed_no_wan", "date_commissioned", "restricted", "restricted_since", "created_at",
]


def snapshot() -> list[tuple]:
    """The estate by natural keys (independent of primary keys)."""
    return list(Device.objects.order_by("device_id").values_list(*SNAPSHOT_FIELDS))


@pytest.fixture
def estate_output() -> str:
    return run(devices=DEVICES, seed=7)


def test_creates_exactly_n_devices_and_prints_the_logins_last(estate_output):
    assert Device.objects.count() == DEVICES
    lines = estate_output.strip().splitlines()
    assert "demo-password" in estate_output
    assert lines[-1].split()[0] == "admin"
    for username in ("supplier-a", "dno-a", "gt-a", "other-user", "agent", "csp-north", "dcc-desk"):
        assert username in estate_output
        assert User.objects.get(username=username).check_password("demo-password")
    assert User.objects.get(username="admin").is_superuser


def test_running_twice_with_the_same_seed_changes_nothing(estate_output):
    before = snapshot()
    changes = RestrictionChange.objects.count()
    again = run(devices=DEVICES, seed=7)
    assert "already complete" in again
    assert snapshot() == before
    assert RestrictionChange.objects.count() == changes


class _Rollback(Exception):
    pass


def test_an_estate_built_in_two_runs_matches_one_built_at_once():
    try:
        with transaction.atomic():
            run(devices=DEVICES, seed=11)
            at_once = snapshot()
            raise _Rollback
    except _Rollback:
        pass
    assert not Device.objects.exists()
    first = run(devices=DEVICES // 2 + 1, seed=11)
    assert "Inserted" in first
    run(devices=DEVICES, seed=11)
    in_two_runs = snapshot()
    assert len(in_two_runs) == DEVICES
    restriction_columns = {SNAPSHOT_FIELDS.index("restricted"), SNAPSHOT_FIELDS.index("restricted_since")}
    for direct, stepped in zip(at_once, in_two_runs, strict=True):
        # Only an SMS split across the two runs may differ, and only by carrying no restriction.
        differing = {i for i, (a, b) in enumerate(zip(direct, stepped, strict=True)) if a != b}
        assert differing <= restriction_columns, (direct, stepped)


def test_every_status_region_and_device_type_is_present(estate_output):
    assert set(Device.objects.values_list("status", flat=True)) == set(DeviceStatus.values)
    assert set(Device.objects.values_list("csp_region", flat=True)) == set(CSPRegion.values)
    assert set(Device.objects.values_list("device_type", flat=True)) == set(DeviceType.values)
    assert set(Device.objects.values_list("smets_version", flat=True)) == {"SMETS1", "SMETS2+"}
    assert set(Device.objects.values_list("payment_mode", flat=True)) == set(PaymentMode.values)
    assert set(Device.objects.values_list("load_management", flat=True)) == set(LoadManagement.values)
    assert Device.objects.filter(network_managed_no_wan=True).exists()
    assert Device.objects.filter(csp_region="SMETS1").exclude(smets_version="SMETS1").count() == 0


def test_sms_devices_share_the_premises(estate_output):
    mismatched = Device.objects.filter(hub__isnull=False).exclude(
        uprn=F("hub__uprn"), postcode=F("hub__postcode"), csp_region=F("hub__csp_region"))
    assert not mismatched.exists()
    assert not Device.objects.filter(hub__isnull=True).exclude(device_type="CHF").exists()


def test_some_devices_changed_supplier_before_commissioning(estate_output):
    changed = Device.objects.exclude(prenotifying_supplier=F("responsible_supplier"))
    assert changed.exists()
    assert set(changed.values_list("status", flat=True)) <= {"Pending", "Whitelisted", "InstalledNotCommissioned"}


def test_restricted_gsme_and_gpf_come_in_pairs_with_audit_rows(estate_output):
    restricted = Device.objects.filter(restricted=True)
    gsmes = restricted.filter(device_type="GSME")
    assert gsmes.exists()
    for gsme in gsmes:
        gpf = Device.objects.get(hub=gsme.hub, device_type="GPF")
        assert gpf.restricted and gpf.restricted_since == gsme.restricted_since
        gpf_change = gpf.restriction_changes.get()
        assert gpf_change.cascaded_from == gsme.restriction_changes.get()
    assert not restricted.filter(device_type="GPF").exclude(hub__joined_devices__device_type="GSME",
                                                             hub__joined_devices__restricted=True).exists()
    for device in restricted.select_related("responsible_supplier"):
        change = device.restriction_changes.get()
        assert (change.old_value, change.new_value, change.channel, change.attested) == (False, True, "web", True)
        assert change.party == device.responsible_supplier and change.actor.party == device.responsible_supplier
        assert change.at == device.restricted_since
        assert device.smets_version == "SMETS2+" and device.status == "Commissioned"
        assert device.payment_mode == "Credit" and device.load_management == "None"
        assert not device.network_managed_no_wan


def test_cpl_has_old_and_new_firmware_and_dual_mode_ppmids(estate_output):
    assert {"Active", "Expired", "Withdrawn"} <= set(CPLEntry.objects.values_list("status", flat=True))
    dual = (CPLEntry.objects.filter(device_type="PPMID").values("manufacturer", "model", "firmware_version")
            .annotate(versions=Count("smets_version")).filter(versions=2))
    assert dual.count() >= 2
    ppmids_on_smets1 = Device.objects.filter(device_type="PPMID", hub__smets_version="SMETS1")
    assert ppmids_on_smets1.exists()
    assert not ppmids_on_smets1.exclude(cpl_entry__smets_version="SMETS1").exists()
    assert not Device.objects.exclude(cpl_entry__device_type=F("device_type")).exists()
    assert not Device.objects.exclude(cpl_entry__smets_version=F("smets_version")).exists()


def test_parties_have_contacts_and_csps_fall_back_to_email(estate_output):
    assert Party.objects.filter(roles__overlap=["IS", "GS", "ES"]).count() >= 4
    assert Party.objects.filter(roles__contains=["ES"]).count() == 1
    assert Party.objects.filter(roles__contains=["ED"]).count() == 3
    assert Party.objects.filter(roles__contains=["GT"]).count() == 2
    assert not Party.objects.filter(operational_email="").exists()
    assert not Party.objects.filter(escalation_email="").exists()
    assert not Party.objects.filter(roles__contains=["CSP"]).exclude(notification_endpoint="").exists()


def test_bad_seed_is_refused():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="seed"):
        run(devices=10, seed=999)
    assert not Device.objects.exists()
