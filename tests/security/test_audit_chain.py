"""Issue 10 item 3: the audit trails are tamper-evident.

Every audit row (restriction, supplier and CPL changes, allow-list edits, incident history) is chained
by SHA-256 to the one before it in its table, by a database trigger, whatever wrote the row. These tests
tamper with the rows the way someone with database access would (the append-only trigger switched off
as the superuser) and check that ``verify_audit_chain`` points at the record that was touched.
"""
from __future__ import annotations

import hashlib
import io
import json
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from gateway.models import AllowListChange
from gateway.services import allow_list_srv_set
from incidents.models import ContactChange, IncidentEvent
from incidents.services import (
    incident_add_note,
    incident_close,
    incident_raise_install_code_request,
    party_contacts_update,
)
from inventory.choices import CPLStatus, DeviceStatus, DeviceType, RestrictionChannel
from inventory.models import (
    CPLChange,
    HubReplacement,
    RestrictionChange,
    SupplierChange,
)
from inventory.services.cpl import cpl_entry_set_status
from inventory.services.hub_replacement import hub_replace
from inventory.services.restriction import restriction_set
from inventory.services.restriction_service_centre import restriction_set_by_service_centre
from inventory.services.supplier_changes import supplier_change_record
from portal.audit_chain import APPEND_ONLY_UNCHAINED, AUDITED_TABLES, GENESIS_HASH, AuditChainLink, verify_audit_chains
from tests.factories import CPLEntryFactory, DeviceFactory, HubFactory, UserFactory, make_sms

pytestmark = pytest.mark.django_db


def verify(*tables: str) -> tuple[int, str, str]:
    """Run the command; returns (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit_chain", *[f"--table={t}" for t in tables], stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def tamper(table: str, sql: str, params: list) -> None:
    """What a superuser with psql could do: switch the append-only trigger off, change rows, switch it on."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE refuses while deferred FK checks wait
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        cursor.execute(sql, params)
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")


@pytest.fixture
def restrictions(supplier, make_user):
    """Three restriction changes on three meters of supplier A (set, clear, set)."""
    user = make_user(supplier)
    meters = [make_sms(supplier=supplier, gas=False)["ESME"] for _ in range(2)]
    restriction_set(device=meters[0], actor=user, restricted=True, reason="first", attested=True,
                    channel=RestrictionChannel.WEB)
    restriction_set(device=meters[0], actor=user, restricted=False, reason="second", attested=True,
                    channel=RestrictionChannel.API)
    restriction_set(device=meters[1], actor=user, restricted=True, reason="third", attested=True,
                    channel=RestrictionChannel.BULK)
    return list(RestrictionChange.objects.order_by("id"))


def test_every_write_path_is_chained_and_the_chains_verify_intact(
        supplier, other_supplier, make_user, dcc_user, restrictions):
    meter = make_sms(supplier=supplier)["GSME"]
    supplier_change_record(device=meter, new_supplier=other_supplier, actor=dcc_user)  # GSME + GPF: two rows
    cpl_entry_set_status(actor=dcc_user, entry_id=CPLEntryFactory().pk, status=CPLStatus.WITHDRAWN)
    allow_list_srv_set(actor=dcc_user, srv="4.1.1", allowed=False, reason="chain test")
    installer = make_user(other_supplier)
    device = DeviceFactory(status=DeviceStatus.INSTALLED_NOT_COMMISSIONED, date_commissioned=None,
                           responsible_supplier=supplier, prenotifying_supplier=other_supplier)
    raiser = make_user(supplier)
    incident, _created = incident_raise_install_code_request(device_id=device.device_id, actor=raiser)
    incident_add_note(incident=incident, actor=installer, body="code attached", install_code="0" * 32)
    incident_close(incident=incident, actor=raiser, reason="done")
    # The later audit tables (portal 0005): a hub replacement and a contact change; a DCC Service Centre
    # request writes a chained RestrictionChange.
    sms = make_sms(supplier=supplier)
    new_hub = HubFactory(responsible_supplier=supplier, status=DeviceStatus.INSTALLED_NOT_COMMISSIONED)
    DeviceFactory(device_type=DeviceType.GPF, hub=new_hub, mpxn="", responsible_supplier=supplier,
                  status=DeviceStatus.WHITELISTED)
    hub_replace(actor=make_user(supplier), old_hub=sms["CHF"], new_hub=new_hub)
    restriction_set_by_service_centre(
        device=make_sms(supplier=supplier, gas=False)["ESME"], actor=dcc_user, supplier=supplier,
        supplier_reference="SUPA-REQ-1", restricted=True,
        reason="Consumer refused remote reads", attested=True, attestation_given_by="phone")
    party_contacts_update(actor=raiser, operational_email="mp121@supa.example",
                          escalation_email="escalate@supa.example")
    # bulk_create (demo data, bulk paths) goes through the same statement trigger.
    AllowListChange.objects.bulk_create([
        AllowListChange(actor=dcc_user, party=dcc_user.party, allow_list="srv", item=f"9.{n}",
                        old_allowed=True, new_allowed=False, reason="bulk") for n in range(5)
    ])

    report = verify_audit_chains()

    assert report.intact, report.breaks
    for model in (RestrictionChange, SupplierChange, CPLChange, AllowListChange, IncidentEvent, HubReplacement,
                  ContactChange):
        rows = model.objects.count()
        assert rows > 0
        assert report.counts[model._meta.db_table] == rows
    code, out, _err = verify()
    assert code == 0 and "intact" in out


def test_the_hash_is_sha256_of_the_previous_hash_and_the_row_as_json(restrictions):
    first, second = AuditChainLink.objects.filter(scope="inventory_restrictionchange").order_by("id")[:2]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL timezone = 'UTC'")
        cursor.execute("SELECT row_to_json(t)::text FROM inventory_restrictionchange t WHERE id = %s",
                       [first.record_id])
        (row_text,) = cursor.fetchone()

    assert first.record_id == restrictions[0].pk and json.loads(row_text)["reason"] == "first"
    assert first.prev_hash == GENESIS_HASH
    assert first.hash == hashlib.sha256((GENESIS_HASH + row_text).encode()).hexdigest()
    assert second.prev_hash == first.hash


def test_an_edited_reason_is_detected_at_that_record(restrictions):
    edited = restrictions[1]
    tamper("inventory_restrictionchange", "UPDATE inventory_restrictionchange SET reason = %s WHERE id = %s",
           ["nothing to see here", edited.pk])

    code, out, err = verify("inventory_restrictionchange")

    assert code == 1 and "intact" not in out
    assert f"inventory_restrictionchange record {edited.pk}: record content does not match its hash (edited)" in err
    link = AuditChainLink.objects.get(table_name="inventory_restrictionchange", record_id=edited.pk)
    assert f"stored {link.hash}" in err
    # Only the first break is reported, and it is this record, not the ones before or after it.
    assert err.count("BROKEN") == 1


def test_a_deleted_record_is_detected(restrictions):
    deleted = restrictions[1]
    with connection.cursor() as cursor:  # its CSP notice (R169-17) refers to it: the tamperer removes that first
        cursor.execute("DELETE FROM inventory_restrictionnotice WHERE change_id = %s", [deleted.pk])
    tamper("inventory_restrictionchange", "DELETE FROM inventory_restrictionchange WHERE id = %s", [deleted.pk])

    report = verify_audit_chains(tables=["inventory_restrictionchange"])

    assert not report.intact
    (found,) = report.breaks
    assert (found.table, found.record_id) == ("inventory_restrictionchange", deleted.pk)
    assert "missing (deleted)" in found.problem


def test_a_record_inserted_behind_the_chains_back_is_detected(restrictions, supplier, make_user):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE inventory_restrictionchange DISABLE TRIGGER inventory_restrictionchange_audit_chain")
        cursor.execute(
            "INSERT INTO inventory_restrictionchange (device_id, at, actor_id, party_id, old_value, new_value, reason,"
            " attested, channel, request_id) SELECT device_id, at, actor_id, party_id, old_value, new_value, 'forged',"
            " attested, channel, '' FROM inventory_restrictionchange WHERE id = %s RETURNING id",
            [restrictions[0].pk],
        )
        (forged_id,) = cursor.fetchone()
        cursor.execute("ALTER TABLE inventory_restrictionchange ENABLE TRIGGER inventory_restrictionchange_audit_chain")

    (found,) = verify_audit_chains(tables=["inventory_restrictionchange"]).breaks

    assert found.record_id == forged_id and "no chain link" in found.problem


def test_a_removed_link_is_detected(restrictions):
    middle = AuditChainLink.objects.get(table_name="inventory_restrictionchange", record_id=restrictions[1].pk)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE audit_chain_link DISABLE TRIGGER audit_chain_link_append_only")
        cursor.execute("DELETE FROM audit_chain_link WHERE id = %s", [middle.pk])
        cursor.execute("ALTER TABLE audit_chain_link ENABLE TRIGGER audit_chain_link_append_only")

    breaks = verify_audit_chains(tables=["inventory_restrictionchange"]).breaks

    # The link after the gap no longer follows its predecessor: the break is found where the gap is.
    assert [(b.record_id, "does not follow" in b.problem) for b in breaks] == [(restrictions[2].pk, True)]


@pytest.mark.parametrize("statement", [
    "UPDATE audit_chain_link SET hash = repeat('f', 64)",
    "DELETE FROM audit_chain_link",
])
def test_the_chain_links_are_append_only(restrictions, statement):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditChainLink.objects.filter(scope="inventory_restrictionchange").count() == 3


def test_every_append_only_table_is_chained_or_named_as_not():
    """A new audit table made append-only (``portal_refuse_modification()``) must join the chains too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT event_object_table FROM information_schema.triggers "
                       "WHERE action_statement LIKE '%portal_refuse_modification%'")
        append_only = {row[0] for row in cursor.fetchall()}
    assert append_only - set(APPEND_ONLY_UNCHAINED) == set(AUDITED_TABLES)


def test_every_audit_table_has_the_chain_trigger():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT event_object_table FROM information_schema.triggers "
            "WHERE trigger_name = event_object_table || '_audit_chain' AND event_manipulation = 'INSERT'"
        )
        assert {row[0] for row in cursor.fetchall()} == set(AUDITED_TABLES)


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_chain_one_after_the_other(dcc_party):
    """Four connections insert into one audit table at once; the advisory lock keeps a single chain."""
    actor = UserFactory(username="audit-concurrent", party=dcc_party)
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer(worker: int) -> None:
        try:
            start.wait()
            for n in range(10):
                with transaction.atomic():
                    AllowListChange.objects.create(actor=actor, party=dcc_party, allow_list="srv",
                                                   item=f"{worker}.{n}", old_allowed=True, new_allowed=False)
        except BaseException as error:  # noqa: BLE001 (reported by the assertion below)
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    report = verify_audit_chains(tables=["gateway_allowlistchange"])
    assert report.intact, report.breaks
    # The R169-9 default allow-list migration wrote its own audit rows before the test; the 40 are on top of them.
    assert report.counts["gateway_allowlistchange"] == AllowListChange.objects.count()
    assert AllowListChange.objects.filter(actor=actor).count() == 40


def test_demo_data_audit_rows_are_chained():
    call_command("demo_data", devices=300, seed=3, stdout=io.StringIO(), stderr=io.StringIO())

    report = verify_audit_chains()

    assert report.intact, report.breaks
    assert report.counts["inventory_restrictionchange"] == RestrictionChange.objects.count() > 0
