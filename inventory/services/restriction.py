"""MP169 Restricted mode: the one place for its rules (R169-1..R169-6).

Every entry point - the device page form, REST, the bulk upload (a CSV on the page, a JSON list over REST) -
calls ``restriction_set``. DUIS only reads the flag (8.2) and refuses with E72: no DUIS request sets it
(see ``RestrictionChannel``).
The UI asks ``restriction_check`` whether to offer the form, so no page re-implements a rule.

A change locks the meter row (and its GPF), writes one ``RestrictionChange`` per device changed and
one CSP notification in the outbox, all in one transaction: either everything is recorded and the
CSP will be told, or nothing happened.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from inventory.choices import (
    DeviceStatus,
    DeviceType,
    LoadManagement,
    PaymentMode,
    RestrictionChannel,
    SmetsVersion,
)
from inventory.models import Device, RestrictionChange
from inventory.selectors import DeviceLookup
from inventory.services import csp_notices
from inventory.signals import restriction_changed
from portal.csv_upload import csv_records
from portal.errors import Conflict, DomainError, PermissionDenied, RuleRefused, ValidationFailed
from portal.models import OutboxMessage, Party, User
from portal.text import refuse_unstorable

#: Meters a supplier may restrict. A GPF follows its GSME (R169-1) and is never set on its own.
RESTRICTABLE_TYPES = frozenset({DeviceType.ESME, DeviceType.GSME})

#: Reasons offered in forms; free text may follow. A change of tenancy is valid for set and clear (R169-3).
REASON_CHOICES = [
    ("Consumer refused remote collection of consumption data", "Consumer refused remote collection of consumption data"),
    ("Consumer withdrew their refusal", "Consumer withdrew their refusal"),
    ("Change of tenancy", "Change of tenancy"),
    ("Correction of an earlier change", "Correction of an earlier change"),
]


@dataclass(frozen=True)
class RestrictionResult:
    """What a change did: the meter's new state, the audit rows written and the CSP message."""

    device: Device
    changes: list[RestrictionChange] = field(default_factory=list)
    notification: OutboxMessage | None = None


def restriction_check(*, device: Device, actor: User, restricted: bool | None = None,
                      acting_for: Party | None = None) -> None:
    """Raise the domain error that would refuse ``actor`` changing ``device``; return if allowed.

    Without ``restricted`` it checks the change the device's current state calls for (set when
    clear, clear when set). Nothing is written: pages use it to decide whether to offer the form.
    Reason and attestation are the request's content, so they are checked by ``restriction_set``.
    """
    target = (not device.restricted) if restricted is None else restricted
    party = _acting_party(actor, acting_for)
    _check_actor(device=device, party=party)
    _check_device_kind(device)
    _check_not_a_no_op(device=device, restricted=target)
    if target:
        _check_eligible_to_set(device)
    gpf = _gas_proxy_for(device, restricted=target, lock=False)
    if gpf is not None:
        _check_cascade_actor(gsme=device, gpf=gpf, party=party)


def restriction_refusal(*, device: Device, actor: User) -> DomainError | None:
    """The error that would refuse ``actor`` changing ``device`` now, or None if the change is open."""
    try:
        restriction_check(device=device, actor=actor)
    except DomainError as error:
        return error
    return None


#: What a set or clear must carry (R169-3), worded for the person filling in the form.
REASON_REQUIRED = "Give the reason for the change."
ATTESTATION_REQUIRED = "Confirm that all reasonable steps were taken."


def restriction_changer_refusal(actor: User) -> PermissionDenied | None:
    """Whether ``actor``'s party could ever change Restricted mode (R169-2: suppliers only), for pages and
    navigation to ask before offering a form; each meter's own check is ``restriction_check``."""
    party = getattr(actor, "party", None)
    if party is None or not party.is_supplier:
        return PermissionDenied(
            "Only an energy supplier can change Restricted mode: the meter's Responsible Supplier sets or clears it "
            "at the consumer's request. You can see which meters are restricted in the inventory.",
            code="not_a_supplier",
        )
    return None


def restriction_request_errors(*, restricted: bool | None, reason: str, attested: bool) -> dict[str, list[str]]:
    """Every problem with a request's content at once (``{"reason": [...], "all_reasonable_steps_taken": [...]}``):
    a reason always, the attestation to set (R169-3). ``restriction_set`` refuses the same things one at a
    time, in its own order; a form asks this first so the person sees them all in one go."""
    errors: dict[str, list[str]] = {}
    if not (reason or "").strip():
        errors["reason"] = [REASON_REQUIRED]
    if restricted and not attested:
        errors["all_reasonable_steps_taken"] = [ATTESTATION_REQUIRED]
    return errors


def restriction_set(
    *,
    device: Device,
    actor: User,
    restricted: bool,
    reason: str,
    attested: bool,
    channel: RestrictionChannel,
    request_id: str = "",
    acting_for: Party | None = None,
) -> RestrictionResult:
    """Set or clear MP169 Restricted on a meter (and the GPF of a GSME), with audit and CSP notice.

    Raises ``PermissionDenied`` (not the Responsible Supplier), ``ValidationFailed`` (no reason),
    ``RuleRefused`` (an MP169 rule) or ``Conflict`` (already in that state); nothing is written then.
    ``acting_for``: the supplier the DCC Service Centre acts for (R169-15, ``restriction_set_by_service_centre``);
    the rules are then that supplier's, and the audit rows name it as the party with the DCC user as actor.
    """
    reason = (reason or "").strip()
    party = _acting_party(actor, acting_for)
    with transaction.atomic():
        locked = Device.objects.select_for_update(of=("self",)).select_related("hub").get(pk=device.pk)
        _check_actor(device=locked, party=party)
        if not reason:
            raise ValidationFailed(
                "A reason is required to set or clear Restricted mode.",
                code="reason_required", errors={"reason": [REASON_REQUIRED]},
            )
        refuse_unstorable(reason, subject="The reason", field="reason", unchanged="")
        _check_device_kind(locked)
        _check_not_a_no_op(device=locked, restricted=restricted)
        if restricted:
            _check_eligible_to_set(locked)
            if not attested:
                raise RuleRefused(
                    "Restricted mode can only be set once you confirm that all reasonable steps to install a "
                    "fully communicating smart meter were taken.",
                    code="attestation_required",
                    errors={"all_reasonable_steps_taken": [ATTESTATION_REQUIRED]},
                )
        now = timezone.now()
        common = {
            "actor": actor, "party": party, "at": now, "old_value": not restricted, "new_value": restricted,
            "reason": reason, "attested": bool(attested), "channel": channel, "request_id": request_id or "",
        }
        gpf = _gas_proxy_for(locked, restricted=restricted, lock=True)
        if gpf is not None:
            _check_cascade_actor(gsme=locked, gpf=gpf, party=party)
        _apply(locked, restricted=restricted, now=now)
        primary = RestrictionChange.objects.create(device=locked, **common)
        changes = [primary]
        if gpf is not None:
            _apply(gpf, restricted=restricted, now=now)
            changes.append(RestrictionChange.objects.create(device=gpf, cascaded_from=primary, **common))
        notification = _notify_csp(device=locked, changes=changes, supplier=party, at=now)
        # R169-13 and other reactions of higher layers, in this transaction (inventory.signals).
        restriction_changed.send(sender=RestrictionChange, changes=changes, restricted=restricted, actor=actor)
    return RestrictionResult(device=locked, changes=changes, notification=notification)


# --- rules ------------------------------------------------------------------------------------

def _acting_party(actor: User, acting_for: Party | None) -> Party | None:
    """The party whose right to change Restricted is checked: the actor's own, or (R169-15) the supplier the DCC
    Service Centre acts for - only the DCC may act for another party."""
    if acting_for is None:
        return actor.party
    if actor.party is None or not actor.party.is_dcc:
        raise PermissionDenied("Only the DCC Service Centre may change Restricted mode on a supplier's behalf.",
                               code="not_service_centre")
    return acting_for


def _check_actor(*, device: Device, party: Party | None) -> None:
    """R169-2: only the device's Responsible Supplier, whatever else a party is appointed to do."""
    if party is None or not party.is_supplier or device.responsible_supplier_id != party.pk:
        who = f"{party.code} is not" if party is not None else "you act for no party, so you are not"
        raise PermissionDenied(
            f"Only the Responsible Supplier of device {device.device_id} can set or clear Restricted mode; "
            f"{who} its Responsible Supplier.",
            code="not_responsible_supplier",
        )


def _check_cascade_actor(*, gsme: Device, gpf: Device, party: Party) -> None:
    """Every device a change touches passes the actor rule of the device asked for (R169-1, R169-2).

    The GPF of a GSME's SMS follows it; if that GPF has another Responsible Supplier the change would
    alter another supplier's device, so the whole change is refused and nothing is written.
    """
    if gpf.responsible_supplier_id != party.pk:
        raise PermissionDenied(
            f"Gas meter {gsme.device_id} shares hub {gpf.hub.device_id if gpf.hub_id else ''} with gas proxy "
            f"{gpf.device_id}, whose Responsible Supplier is not {party.code}: Restricted mode would change "
            f"another supplier's device, so nothing was changed. Ask the DCC service desk to correct the SMS.",
            code="cascade_not_responsible_supplier",
        )


def _check_device_kind(device: Device) -> None:
    if device.smets_version != SmetsVersion.SMETS2_PLUS:
        raise RuleRefused(
            f"Device {device.device_id} is a SMETS1 device: Restricted mode applies to SMETS2+ devices only.",
            code="smets1_not_supported",
        )
    if device.device_type == DeviceType.GPF:
        raise RuleRefused(
            f"Device {device.device_id} is a Gas Proxy Function: it follows its gas meter (GSME) and cannot be "
            f"set on its own. Set or clear Restricted mode on the GSME of the same hub.",
            code="gpf_follows_gsme",
        )
    if device.device_type not in RESTRICTABLE_TYPES:
        raise RuleRefused(
            f"Device {device.device_id} is a {device.device_type}: only electricity (ESME) and gas (GSME) meters "
            f"can be restricted.",
            code="device_type_not_restrictable",
        )


def _check_not_a_no_op(*, device: Device, restricted: bool) -> None:
    if device.restricted == restricted:
        state = "already restricted" if restricted else "not restricted"
        raise Conflict(f"Device {device.device_id} is {state}: nothing was changed.",
                       code="already_restricted" if restricted else "not_restricted")


def _check_eligible_to_set(device: Device) -> None:
    """R169-3: set only on a commissioned credit meter with a commissioned hub, outside the exceptions."""
    if device.status != DeviceStatus.COMMISSIONED:
        raise RuleRefused(
            f"Device {device.device_id} is {device.get_status_display()}: Restricted mode can only be set once the "
            f"meter is installed and commissioned.",
            code="device_not_commissioned",
        )
    hub = device.hub
    if hub is None or hub.status != DeviceStatus.COMMISSIONED:
        hub_state = "has no communications hub" if hub is None else f"has a hub that is {hub.get_status_display()}"
        raise RuleRefused(
            f"Device {device.device_id} {hub_state}: Restricted mode can only be set once its communications hub is "
            f"installed and commissioned.",
            code="hub_not_commissioned",
        )
    if device.payment_mode == PaymentMode.PREPAYMENT:
        raise RuleRefused(
            f"Device {device.device_id} is in prepayment mode: Restricted mode is for credit customers only, because "
            f"prepayment does not work without communications.",
            code="prepayment_not_eligible",
        )
    if device.load_management != LoadManagement.NONE:
        raise RuleRefused(
            f"Device {device.device_id} is on a {device.get_load_management_display()} arrangement, which relies on "
            f"the meter communicating: Restricted mode cannot be set.",
            code="load_management_not_eligible",
        )
    if device.network_managed_no_wan:
        raise RuleRefused(
            f"Device {device.device_id} is at a network-managed site without WAN, which must keep communications: "
            f"Restricted mode cannot be set.",
            code="network_managed_no_wan",
        )


# --- effects ----------------------------------------------------------------------------------

def _apply(device: Device, *, restricted: bool, now) -> None:
    device.restricted = restricted
    device.restricted_since = now if restricted else None
    device.save(update_fields=["restricted", "restricted_since", "updated_at"])


def _gas_proxy_for(device: Device, *, restricted: bool, lock: bool) -> Device | None:
    """The GPF of a GSME's SMS that still needs the change (R169-1), locked when ``lock``, or None."""
    if device.device_type != DeviceType.GSME or device.hub_id is None:
        return None
    gpfs = Device.objects.select_related("hub")
    if lock:
        gpfs = gpfs.select_for_update(of=("self",))
    gpfs = gpfs.filter(hub_id=device.hub_id, device_type=DeviceType.GPF).exclude(restricted=restricted)
    return gpfs.order_by("pk").first()


def csp_party_for(device: Device) -> Party | None:
    """The CSP that runs the device's hub (R169-6); None for SMETS1 or unknown regions."""
    return csp_notices.csp_party_for(device)


def _notify_csp(*, device: Device, changes: list[RestrictionChange], supplier: Party, at) -> OutboxMessage | None:
    """One notice and message per change to the region's CSP, in the caller's transaction (R169-6, R169-17):
    ``inventory.services.csp_notices``."""
    return csp_notices.restriction_notice_send(device=device, changes=changes, supplier=supplier, at=at)


# --- bulk (CSV upload in the browser, REST) -------------------------------------------------

#: Columns of a bulk file; ``all_reasonable_steps_taken`` may be left out when every row clears.
BULK_COLUMNS = ("device_id", "restricted", "reason", "all_reasonable_steps_taken")
BULK_REQUIRED_COLUMNS = frozenset({"device_id", "restricted", "reason"})
#: Columns a refused-rows CSV adds (``row``, ``refused_because``): read and ignored, so it can be fixed and re-uploaded.
BULK_IGNORED_COLUMNS = frozenset({"row", "refused_because"})
#: Where a parsed row keeps its spreadsheet row number (header = row 1); REST rows have none.
BULK_LINE_KEY = "__row__"
#: Rows the synchronous REST call may carry; each is applied in its own transaction while the request waits.
BULK_MAX_ROWS = 500
#: Rows a bulk job (CSV upload, REST job) may carry; it runs on a worker with progress (``restriction_bulk``).
BULK_JOB_MAX_ROWS = 100_000
_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0", ""})


@dataclass(frozen=True)
class BulkRowResult:
    """The outcome of one bulk row: ``ok`` with the audit rows written, or the refusal."""

    row: int
    device_id: str
    restricted: bool | None
    ok: bool
    code: str = ""
    detail: str = ""
    change_ids: tuple[int, ...] = ()

    def as_dict(self) -> dict:
        return {"row": self.row, "device_id": self.device_id, "restricted": self.restricted, "ok": self.ok,
                "code": self.code, "detail": self.detail, "change_ids": list(self.change_ids)}


def restriction_bulk_parse_csv(data: bytes) -> list[dict[str, str]]:
    """Read a bulk upload into rows, or raise ``ValidationFailed`` for the file as a whole.

    The file must be UTF-8 (a byte-order mark allowed; any line ending), start with a header naming the
    columns in ``BULK_COLUMNS`` and have at most ``BULK_JOB_MAX_ROWS`` lines after it (blank lines count:
    they are skipped, but not for free). Row content is checked row by row by ``restriction_bulk_apply``.
    """
    records = csv_records(data, unchanged="Nothing was changed.")
    header = [name.strip().lower() for name in next(records, None) or []]
    expected = ", ".join(BULK_COLUMNS)
    if not header:
        raise ValidationFailed(f"The file is empty: it needs a header row ({expected}). Nothing was changed.",
                               code="no_header")
    unknown = [name for name in header if name not in BULK_COLUMNS and name not in BULK_IGNORED_COLUMNS]
    missing = sorted(BULK_REQUIRED_COLUMNS - set(header))
    if unknown or missing:
        problems = []
        if missing:
            problems.append(f"missing {', '.join(missing)}")
        if unknown:
            problems.append(f"unexpected {', '.join(unknown)}")
        raise ValidationFailed(
            f"The header row must name the columns {expected} ({'; '.join(problems)}). Nothing was changed.",
            code="bad_columns",
        )
    rows = []
    kept = [index for index, name in enumerate(header) if name not in BULK_IGNORED_COLUMNS]
    for count, record in enumerate(records, start=1):
        if count > BULK_JOB_MAX_ROWS:
            raise ValidationFailed(
                f"The file has more than {BULK_JOB_MAX_ROWS:,} rows: split it into smaller files. Nothing was changed.",
                code="too_many_rows",
            )
        if not record:
            continue  # a blank line
        row = {header[index]: (record[index] if index < len(record) else "").strip() for index in kept}
        if len(record) > len(header):
            row["__extra__"] = "yes"  # extra cells beyond the header: reported as a malformed row
        row[BULK_LINE_KEY] = count + 1  # the row as a spreadsheet numbers it: the header is row 1
        rows.append(row)
    if not rows:
        raise ValidationFailed("The file has a header but no rows. Nothing was changed.", code="no_rows")
    return rows


def restriction_bulk_apply(*, rows: list[dict], actor: User, channel: RestrictionChannel,
                           request_id: str = "", first_row_number: int = 1) -> list[BulkRowResult]:
    """Apply each row through ``restriction_set`` in its own transaction (a savepoint inside a job's
    chunk); one result per row, numbered from ``first_row_number``.

    A refused or malformed row changes nothing and does not stop the others. Rows may hold
    strings (CSV) or JSON values (REST).
    """
    results = []
    devices = DeviceLookup(actor.party, (str(row.get("device_id") or "").strip() for row in rows))
    for number, row in enumerate(rows, start=first_row_number):
        device_id = str(row.get("device_id") or "").strip()
        restricted = None
        try:
            if row.get("__extra__"):
                raise ValidationFailed("The row has more cells than the header.", code="bad_row")
            restricted = _bulk_boolean(row.get("restricted"), "restricted", required=True)
            attested = _bulk_boolean(row.get("all_reasonable_steps_taken"), "all_reasonable_steps_taken")
            device = devices.get(device_id)
            device_id = device.device_id
            result = restriction_set(
                device=device, actor=actor, restricted=restricted, reason=str(row.get("reason") or ""),
                attested=attested, channel=channel, request_id=request_id,
            )
        except DomainError as error:
            results.append(BulkRowResult(row=number, device_id=device_id, restricted=restricted, ok=False,
                                         code=error.code, detail=error.detail))
        else:
            results.append(BulkRowResult(
                row=number, device_id=device_id, restricted=restricted, ok=True,
                detail="Restricted set." if restricted else "Restricted cleared.",
                change_ids=tuple(change.pk for change in result.changes),
            ))
    return results


def _bulk_boolean(value, column: str, *, required: bool = False) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if required and not text:
        raise ValidationFailed(f"'{column}' is empty: write true or false.", code="bad_boolean")
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationFailed(f"'{column}' must be true or false, not '{str(value)[:20]}'.", code="bad_boolean")


# --- change of mode (R169-14) ----------------------------------------------------------------

def payment_mode_change_refusal(*, device: Device, payment_mode: str) -> RuleRefused | None:
    """R169-14: why ``device`` may not be switched to ``payment_mode`` now, or None. Restricted mode is for credit
    customers (R169-3), and prepayment does not work on a meter that does not communicate (seed 000 s3.1), so a
    restricted meter is not switched to prepayment (SRV 1.6 answers E72 with this sentence); clear Restricted
    mode first. The device page and the REST device view show the same sentence."""
    if device.restricted and payment_mode == PaymentMode.PREPAYMENT:
        return RuleRefused(
            f"Device {device.device_id} is Restricted (MP169): it cannot be switched to prepayment, because restricted "
            f"mode is for credit customers and prepayment does not work without communications. Clear Restricted "
            f"mode first.",
            code="restricted_prepayment_refused",
        )
    return None
