"""Central Products List maintenance (MP202, R202-1).

A CPL row's identity is (manufacturer, model, hardware version, firmware version, SMETS version),
so a dual-mode PPMID has one SMETS1 row and one SMETS2+ row for the same firmware version. Only
the DCC service desk maintains the CPL; every addition and status change writes a ``CPLChange``
in the same transaction (the table is append-only in the database).
"""
from __future__ import annotations

from django.db import IntegrityError, transaction

from inventory.choices import CPLStatus, DeviceType, SmetsVersion
from inventory.models import CPLChange, CPLEntry
from portal.errors import Conflict, NotFound, PermissionDenied, RuleRefused, ValidationFailed
from portal.models import User

CPL_ACTION_ADDED = "added"
CPL_ACTION_STATUS = "status"

#: Only PPMIDs may be dual-mode: MP202 changes the CPL for "PPMIDs that can behave as SMETS1 and
#: SMETS2+"; every other device type stays exclusively one or the other.
DUAL_MODE_DEVICE_TYPES = frozenset({DeviceType.PPMID})


def cpl_maintenance_refusal(actor: User, doing: str = "maintain the Central Products List") -> PermissionDenied | None:
    """Why ``actor`` may not maintain the CPL (only the DCC service desk may), or None. Pages ask this
    to decide whether to offer the maintenance forms; the writes below raise it."""
    party = getattr(actor, "party", None)
    if party is None or not party.is_dcc:
        return PermissionDenied(f"Only the DCC service desk may {doing}.", code="cpl_dcc_only")
    return None


def _require_dcc(actor: User, doing: str) -> None:
    refusal = cpl_maintenance_refusal(actor, doing)
    if refusal is not None:
        raise refusal


def _other_smets_version(smets_version: str) -> str:
    return SmetsVersion.SMETS1 if smets_version == SmetsVersion.SMETS2_PLUS else SmetsVersion.SMETS2_PLUS


def _identity_filter(*, manufacturer: str, model: str, hardware_version: str, firmware_version: str) -> dict:
    return {
        "manufacturer": manufacturer, "model": model,
        "hardware_version": hardware_version, "firmware_version": firmware_version,
    }


def _clean_text(value: str | None, *, field: str, label: str, max_length: int, errors: dict) -> str:
    text = (value or "").strip()
    if not text:
        errors[field] = [f"{label} is required."]
    elif len(text) > max_length:
        errors[field] = [f"{label} is at most {max_length} characters."]
    return text


def cpl_entry_add(
    *,
    actor: User,
    device_type: str,
    manufacturer: str,
    model: str,
    hardware_version: str,
    firmware_version: str,
    smets_version: str,
    status: str = CPLStatus.ACTIVE,
    request_id: str = "",
) -> CPLEntry:
    """Add a CPL row (DCC only) and its ``added`` audit row.

    Refused: a second row with the same identity (including SMETS version); a row for the other
    SMETS version of the same firmware unless the model is a PPMID of the same device type (only
    PPMIDs are dual-mode).
    """
    _require_dcc(actor, "add models to the Central Products List")
    errors: dict[str, list[str]] = {}
    manufacturer = _clean_text(manufacturer, field="manufacturer", label="Manufacturer", max_length=30, errors=errors)
    model = _clean_text(model, field="model", label="Model", max_length=30, errors=errors)
    hardware_version = _clean_text(
        hardware_version, field="hardware_version", label="Hardware version", max_length=16, errors=errors,
    )
    firmware_version = _clean_text(
        firmware_version, field="firmware_version", label="Firmware version", max_length=8, errors=errors,
    )
    if device_type not in DeviceType.values:
        errors["device_type"] = [f"Choose one of {', '.join(DeviceType.values)}."]
    if smets_version not in SmetsVersion.values:
        errors["smets_version"] = [f"Choose one of {', '.join(SmetsVersion.values)}."]
    if status not in CPLStatus.values:
        errors["status"] = [f"Choose one of {', '.join(CPLStatus.values)}."]
    if errors:
        raise ValidationFailed("The CPL entry is not valid: " + " ".join(m for ms in errors.values() for m in ms),
                               errors=errors)

    identity = _identity_filter(manufacturer=manufacturer, model=model, hardware_version=hardware_version,
                                firmware_version=firmware_version)
    described = f"{manufacturer} {model} HW {hardware_version} FW {firmware_version}"
    with transaction.atomic():
        same_firmware = list(CPLEntry.objects.select_for_update().filter(**identity))
        if any(row.smets_version == smets_version for row in same_firmware):
            raise Conflict(
                f"The CPL already has a {smets_version} row for {described}. The same firmware version may "
                f"appear once for SMETS1 and once for SMETS2+, never twice for the same SMETS version.",
                code="cpl_entry_exists",
            )
        for row in same_firmware:  # at most one: the other SMETS version's row
            if device_type not in DUAL_MODE_DEVICE_TYPES or row.device_type != device_type:
                raise RuleRefused(
                    f"{described} is already on the CPL as a {row.smets_version} {row.device_type}; only PPMIDs "
                    f"may have both a SMETS1 and a SMETS2+ row for the same firmware version (MP202).",
                    code="cpl_not_dual_mode_type",
                )
        try:
            with transaction.atomic():
                entry = CPLEntry.objects.create(
                    device_type=device_type, smets_version=smets_version, status=status, **identity,
                )
        except IntegrityError as error:  # a concurrent add of the same identity won the race
            raise Conflict(
                f"The CPL already has a {smets_version} row for {described}.", code="cpl_entry_exists",
            ) from error
        CPLChange.objects.create(
            cpl_entry=entry, actor=actor, party=actor.party, action=CPL_ACTION_ADDED,
            old_status="", new_status=status, request_id=request_id,
        )
    return entry


def cpl_entry_set_status(*, actor: User, entry_id: int, status: str, request_id: str = "") -> CPLEntry:
    """Change a CPL row's status (Active, Cancelled, Expired, Withdrawn; DCC only), audited."""
    _require_dcc(actor, "change the status of Central Products List entries")
    if status not in CPLStatus.values:
        raise ValidationFailed(
            f"'{status}' is not a CPL status: choose one of {', '.join(CPLStatus.values)}.",
            errors={"status": [f"Choose one of {', '.join(CPLStatus.values)}."]},
        )
    with transaction.atomic():
        entry = CPLEntry.objects.select_for_update().filter(pk=entry_id).first()
        if entry is None:
            raise NotFound(f"There is no CPL entry {entry_id}.")
        if entry.status == status:
            raise Conflict(f"{entry} is already {status}.", code="cpl_status_unchanged")
        old_status = entry.status
        entry.status = status
        entry.save(update_fields=["status"])
        CPLChange.objects.create(
            cpl_entry=entry, actor=actor, party=actor.party, action=CPL_ACTION_STATUS,
            old_status=old_status, new_status=status, request_id=request_id,
        )
    return entry


def cpl_entry_is_dual_mode(entry: CPLEntry) -> bool:
    """True if the CPL has both a SMETS1 and a SMETS2+ row for this entry's model and firmware."""
    return cpl_entry_counterpart(entry=entry, smets_version=_other_smets_version(entry.smets_version)) is not None


def cpl_entry_counterpart(*, entry: CPLEntry, smets_version: str) -> CPLEntry | None:
    """The CPL row for the same manufacturer, model, hardware and firmware as ``entry`` in ``smets_version``."""
    if entry.smets_version == smets_version:
        return entry
    return CPLEntry.objects.filter(
        smets_version=smets_version,
        **_identity_filter(manufacturer=entry.manufacturer, model=entry.model,
                           hardware_version=entry.hardware_version, firmware_version=entry.firmware_version),
    ).first()

