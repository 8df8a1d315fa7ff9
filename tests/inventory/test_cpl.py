"""R202-1: the CPL identity includes the SMETS version; DCC-only maintenance, audited."""
from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from inventory.choices import CPLStatus, DeviceType, SmetsVersion
from inventory.models import CPLChange, CPLEntry
from inventory.services.cpl import cpl_entry_add, cpl_entry_is_dual_mode, cpl_entry_set_status
from portal.errors import Conflict, PermissionDenied, RuleRefused, ValidationFailed
from tests.inventory.mp202_fixtures import *  # noqa: F403 (fixtures)
from tests.inventory.mp202_fixtures import PPMID_MODEL

pytestmark = pytest.mark.django_db


def _add(actor, smets_version, **overrides):
    fields = {"device_type": DeviceType.PPMID, **PPMID_MODEL, "smets_version": smets_version, **overrides}
    return cpl_entry_add(actor=actor, request_id="req-1", **fields)


def test_same_firmware_may_be_listed_once_for_smets1_and_once_for_smets2(dcc_user):
    smets1 = _add(dcc_user, SmetsVersion.SMETS1)
    smets2 = _add(dcc_user, SmetsVersion.SMETS2_PLUS)
    assert smets1.pk != smets2.pk
    assert cpl_entry_is_dual_mode(smets1) and cpl_entry_is_dual_mode(smets2)


def test_second_row_for_the_same_identity_and_smets_version_is_refused(dcc_user):
    _add(dcc_user, SmetsVersion.SMETS2_PLUS)
    with pytest.raises(Conflict) as refused:
        _add(dcc_user, SmetsVersion.SMETS2_PLUS)
    assert "already has a SMETS2+ row" in refused.value.detail
    assert CPLEntry.objects.count() == 1
    assert CPLChange.objects.count() == 1


def test_only_ppmids_may_be_dual_mode(dcc_user):
    esme = {"device_type": DeviceType.ESME, "model": "ESME-9"}
    _add(dcc_user, SmetsVersion.SMETS2_PLUS, **esme)
    with pytest.raises(RuleRefused) as refused:
        _add(dcc_user, SmetsVersion.SMETS1, **esme)
    assert "only PPMIDs" in refused.value.detail
    assert not CPLEntry.objects.filter(smets_version=SmetsVersion.SMETS1).exists()


def test_single_mode_model_is_not_tagged_dual_mode(dcc_user):
    assert not cpl_entry_is_dual_mode(_add(dcc_user, SmetsVersion.SMETS2_PLUS))


def test_only_dcc_may_add_to_the_cpl(supplier_user):
    with pytest.raises(PermissionDenied):
        _add(supplier_user, SmetsVersion.SMETS2_PLUS)
    assert not CPLEntry.objects.exists() and not CPLChange.objects.exists()


def test_invalid_entry_is_refused_with_field_errors_and_nothing_written(dcc_user):
    with pytest.raises(ValidationFailed) as refused:
        _add(dcc_user, "SMETS3", firmware_version="", manufacturer="X" * 31)
    assert set(refused.value.errors) == {"smets_version", "firmware_version", "manufacturer"}
    assert not CPLEntry.objects.exists()


def test_adding_writes_an_audit_row_with_actor_party_and_request_id(dcc_user, dcc_party):
    entry = _add(dcc_user, SmetsVersion.SMETS1)
    change = CPLChange.objects.get()
    assert (change.cpl_entry, change.actor, change.party) == (entry, dcc_user, dcc_party)
    assert (change.action, change.old_status, change.new_status, change.request_id) == ("added", "", "Active", "req-1")


def test_status_change_is_audited(dcc_user, dual_mode_ppmid):
    entry = dual_mode_ppmid[SmetsVersion.SMETS1]
    cpl_entry_set_status(actor=dcc_user, entry_id=entry.pk, status=CPLStatus.WITHDRAWN, request_id="req-2")
    entry.refresh_from_db()
    assert entry.status == CPLStatus.WITHDRAWN
    change = CPLChange.objects.get(cpl_entry=entry)
    assert (change.action, change.old_status, change.new_status, change.request_id) == (
        "status", "Active", "Withdrawn", "req-2",
    )


@pytest.mark.parametrize("status", ["Active", "Retired"])
def test_status_change_to_same_or_unknown_status_is_refused(dcc_user, dual_mode_ppmid, status):
    entry = dual_mode_ppmid[SmetsVersion.SMETS1]
    with pytest.raises((Conflict, ValidationFailed)):
        cpl_entry_set_status(actor=dcc_user, entry_id=entry.pk, status=status)
    assert not CPLChange.objects.exists()


def test_only_dcc_may_change_cpl_status(supplier_user, dual_mode_ppmid):
    entry = dual_mode_ppmid[SmetsVersion.SMETS1]
    with pytest.raises(PermissionDenied):
        cpl_entry_set_status(actor=supplier_user, entry_id=entry.pk, status=CPLStatus.EXPIRED)
    entry.refresh_from_db()
    assert entry.status == CPLStatus.ACTIVE and not CPLChange.objects.exists()


def test_cpl_audit_rows_cannot_be_edited(dcc_user):
    _add(dcc_user, SmetsVersion.SMETS1)
    with pytest.raises(DatabaseError), transaction.atomic():
        CPLChange.objects.update(new_status="Withdrawn")
