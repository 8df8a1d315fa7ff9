"""Install codes deposited ahead (issue 18): the installing supplier leaves the code for a device it
leaves installed but not commissioned, so a later request is answered at once (``install_codes.
answer_from_deposits``) with the SLA met at zero working days. Codes are encrypted like every code
(R121-9); a deposit is never shown back to anyone but through the request it answers.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from incidents.choices import IncidentState, IncidentType
from incidents.models import Incident, InstallCodeDeposit
from incidents.services.common import party_of
from incidents.services.install_codes import RAISABLE_DEVICE_STATUSES, device_scope_refusal, require_supplier
from incidents.services.secrecy import normalise_install_code
from inventory.choices import DeviceStatus
from inventory.models import Device
from portal.crypto import encrypt_text
from portal.errors import Conflict, DomainError, NotFound, RuleRefused, ValidationFailed
from portal.eui64 import normalise_device_id
from portal.models import User

#: A deposit CSV is processed in the request: at most this many rows.
DEPOSIT_MAX_ROWS = 5_000


def _device_for_deposit(device_id: str, party) -> Device:
    canonical = normalise_device_id(device_id)
    device = Device.objects.select_for_update(of=("self",)).filter(device_id=canonical).first()
    if device is None or party.pk not in (device.prenotifying_supplier_id, device.responsible_supplier_id):
        raise NotFound(f"Device {canonical} is not in the Smart Metering Inventory.", code="device_not_found",
                       errors={"device_id": ["No such device in the SMI."]})
    if device.prenotifying_supplier_id != party.pk:
        raise RuleRefused(f"Your party did not pre-notify {canonical}: only its installing supplier can deposit "
                          "its install code.", code="not_installing_supplier",
                          errors={"device_id": ["Only the installing (pre-notifying) supplier can deposit the code."]})
    refusal = device_scope_refusal(device_id=canonical, device_type=device.device_type,
                                   smets_version=device.smets_version)
    if refusal is not None:
        raise refusal
    if device.status not in RAISABLE_DEVICE_STATUSES:
        label = DeviceStatus(device.status).label
        raise RuleRefused(f"Device {canonical} is {label}: a code is deposited only for a device left Pending, "
                          "Whitelisted or Installed not commissioned.", code="device_status_not_eligible",
                          errors={"device_id": [f"The device is {label}."]})
    return device


def _deposit(*, device_id: str, install_code: str, actor: User, party) -> InstallCodeDeposit:
    device = _device_for_deposit(device_id, party)
    code = normalise_install_code(install_code)
    waiting = (Incident.objects.filter(device=device, type=IncidentType.INSTALL_CODE_REQUEST,
                                       assigned_party=party, state=IncidentState.ASSIGNED)
               .values_list("reference", flat=True).first())
    if waiting:
        raise Conflict(f"{waiting} already asks your party for this code: answer it there.",
                       code="request_open", errors={"device_id": [f"Answer {waiting} instead."]})
    now = timezone.now()
    InstallCodeDeposit.objects.filter(device=device, used_at__isnull=True, superseded_at__isnull=True).update(
        superseded_at=now)
    return InstallCodeDeposit.objects.create(device=device, party=party, created_by=actor, created_at=now,
                                             install_code_ciphertext=encrypt_text(code))


@transaction.atomic
def install_code_deposit(*, device_id: str, install_code: str, actor: User) -> InstallCodeDeposit:
    """Deposit one device's install code (replacing an unused earlier deposit for it)."""
    party = party_of(actor)
    require_supplier(party)
    return _deposit(device_id=device_id, install_code=install_code, actor=actor, party=party)


@dataclass
class DepositRowResult:
    row_number: int  #: as in a spreadsheet: the header is row 1
    device_id: str
    ok: bool
    error: str = ""


def parse_deposit_csv(data: bytes) -> list[tuple[str, str]]:
    """``device_id,install_code`` rows (a header row naming both columns)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationFailed("The file is not UTF-8 text: save it as CSV UTF-8.", code="not_utf8",
                               errors={"file": ["Save the file as CSV UTF-8."]}) from error
    reader = csv.DictReader(io.StringIO(text))
    fields = [name.strip().lower() for name in reader.fieldnames or []]
    if "device_id" not in fields or "install_code" not in fields:
        raise ValidationFailed("The file needs a header row with device_id and install_code columns.",
                               code="bad_header", errors={"file": ["Add a header row: device_id,install_code."]})
    reader.fieldnames = fields
    rows = [((row.get("device_id") or "").strip(), (row.get("install_code") or "").strip()) for row in reader]
    if not rows:
        raise ValidationFailed("The file has no rows under its header.", code="empty_file",
                               errors={"file": ["Add one row per device under the header."]})
    if len(rows) > DEPOSIT_MAX_ROWS:
        raise ValidationFailed(f"The file has {len(rows):,} rows; deposit at most {DEPOSIT_MAX_ROWS:,} at a time.",
                               code="too_many_rows",
                               errors={"file": [f"Split the file: {DEPOSIT_MAX_ROWS:,} rows at most."]})
    return rows


def install_code_deposits_bulk(*, rows: list[tuple[str, str]], actor: User) -> list[DepositRowResult]:
    """Deposit many codes, each row on its own (a refused row writes nothing; the others are kept)."""
    party = party_of(actor)
    require_supplier(party)
    results = []
    with transaction.atomic():
        for number, (device_id, code) in enumerate(rows, start=2):
            try:
                with transaction.atomic():
                    _deposit(device_id=device_id, install_code=code, actor=actor, party=party)
            except DomainError as error:
                results.append(DepositRowResult(number, device_id, False, error.detail))
            else:
                results.append(DepositRowResult(number, device_id, True))
    return results
