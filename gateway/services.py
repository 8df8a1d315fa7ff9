"""The gateway's writes: the service-request decision (DUIS response codes), alert routing (SAT or
diagnostics log) and DCC's edits of the MP169 allow-lists.

Every entry point - REST, DUIS XML, the traffic generator's rules - goes through these functions.

Decision order of ``service_request_submit`` (the first failing check answers):

1. unknown SRV, malformed Device ID or command variant: ``ValidationFailed`` (400), nothing logged;
2. SRVs addressed to a device (``ServiceReferenceVariant.targets_device``): the device is in the SMI, else **E19**;
3. the caller's party has a DUIS role eligible for the SRV, else **E2**;
3a. the party may address this device (``party_may_address_device``): a supplier only devices it is the
   Responsible Supplier for (and a hub whose SMS holds one of them: the gas supplier of a dual-fuel premises),
   a network operator only devices on its network, else **E4**;
3b. the device's type is one the SRV applies to (``device_types``, where reviewed), else **E11**;
4. the device's SMI status is one the SRV accepts (``accepted_statuses``), else **E5**;
5. device checks registered by other features (``gateway.checks``);
6. the command variant is one the SRV allows, else **E12**;
7. MP169: a restricted device takes only SRVs on the allow-list, else **E72**; 5.1 Create Schedule is
   judged by the SRV it schedules (R169-8);
8. a body handler registered for the SRV (``gateway.body_handlers``) may still refuse;
9. accepted: **I99** (sent to the device) or **I0** (non-device SRVs the DCC answers itself, e.g. 8.2).

Cost per decision: the catalogue is cached per process (reference data); the device and "is this SRV
on the allow-list" come in ONE query (an ``EXISTS`` annotation, so an allow-list edit counts from the
next request on); the log row is one INSERT. So 2 queries for a device SRV, 1 for a non-device SRV.
"""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists
from django.utils import timezone

from gateway import catalogue
from gateway.body_handlers import body_handler_for
from gateway.catalogue_data import CREATE_SCHEDULE_SRV, DSP_SCHEDULABLE_SRVS
from gateway.checks import Refusal, device_checks_run
from gateway.choices import AlertLogName, AllowList, Channel, ResponseCode, SrvCategory
from gateway.models import (
    AlertCode,
    AllowListChange,
    DiagnosticsLogEntry,
    RestrictedAlertAllowance,
    RestrictedSrvAllowance,
    SatLogEntry,
    ServiceReferenceVariant,
    ServiceRequestLog,
)
from inventory.choices import DeviceType
from inventory.models import CPLEntry, Device
from inventory.selectors import csp_regions_of
from inventory.services.devices import party_has_part_in_sms
from portal.choices import NETWORK_OPERATOR_ROLES, SUPPLIER_ROLES, PartyRole
from portal.errors import NotFound, PermissionDenied, ValidationFailed
from portal.eui64 import normalise_device_id
from portal.models import Party
from portal.text import refuse_unstorable


@dataclass(frozen=True)
class ServiceRequestOutcome:
    request_id: str
    response_code: str
    detail: str
    srv: ServiceReferenceVariant
    device: Device | None
    log: ServiceRequestLog


def _clean_srv(srv: Any) -> ServiceReferenceVariant:
    entry = catalogue.srv_get(str(srv or "").strip())
    if entry is None:
        shown = str(srv or "")[:20]
        raise ValidationFailed(
            f"'{shown}' is not a DUIS Service Reference Variant: use one of the 129 SRVs, e.g. 4.1.1 or 8.2.",
            code="unknown_srv", errors={"srv": ["Unknown Service Reference Variant."]},
        )
    return entry


def _clean_command_variant(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        value = None
    try:
        variant = int(value)
    except (TypeError, ValueError):
        variant = -1
    if not 1 <= variant <= 8:
        raise ValidationFailed(
            "The command variant must be a whole number from 1 to 8 (DUIS CommandVariant).",
            code="invalid_command_variant", errors={"command_variant": ["Expected 1 to 8."]},
        )
    return variant


def _scheduled_srv(body: Any) -> ServiceReferenceVariant:
    """5.1 Create Schedule: the SRV it schedules, from a REST body dict or a DUIS ``sr:CreateSchedule``."""
    if isinstance(body, dict):
        value = body.get("scheduled_srv")
    elif body is not None:
        found = body.find("{*}DSPScheduledServiceReferenceVariant")
        value = found.text if found is not None else None
    else:
        value = None
    entry = catalogue.srv_get(str(value or "").strip())
    if entry is None or entry.srv not in DSP_SCHEDULABLE_SRVS:
        schedulable = ", ".join(sorted(DSP_SCHEDULABLE_SRVS, key=lambda srv: [int(part) for part in srv.split(".")]))
        raise ValidationFailed(
            f"SRV 5.1 Create Schedule needs the SRV it schedules (scheduled_srv), one of those the DSP may "
            f"schedule (DUIS DSPScheduledServiceReferenceVariant): {schedulable}.",
            code="invalid_scheduled_srv", errors={"scheduled_srv": [f"One of {schedulable}."]},
        )
    return entry


def party_may_address_device(*, party: Any, device: Any, entry: ServiceReferenceVariant,
                             roles: Sequence[str] | None = None) -> bool:
    """DUIS access control for a device SRV (E4). A supplier role addresses only devices whose Responsible
    Supplier it is, a network-operator role only devices on its network. Other Users and Registered Supplier
    Agents are bounded by SRV eligibility (E2) alone: the SMI does not hold their appointments. ``roles``: the
    roles the party acts in (a DUIS request acts in its originator User ID's one role); default all its roles."""
    roles = set(party.roles if roles is None else roles) & set(entry.eligible_roles)
    if roles & {PartyRole.OTHER_USER, PartyRole.REGISTERED_SUPPLIER_AGENT}:
        return True
    if roles & SUPPLIER_ROLES and party.pk == device.responsible_supplier_id:
        return True
    if roles & SUPPLIER_ROLES and getattr(device, "device_type", None) == DeviceType.CHF and isinstance(device, Device):
        # A hub serves every supplier of its premises: at a dual-fuel premises with two suppliers, the gas
        # supplier (the Responsible Supplier of a device joined to the hub) may address the shared CHF too.
        return party_has_part_in_sms(party=party, hub=device)
    return bool(roles & NETWORK_OPERATOR_ROLES and party.pk == device.network_operator_id)


def service_request_decide(*, entry: ServiceReferenceVariant, judged: ServiceReferenceVariant, device: Any,
                           device_id: str, party: Any, command_variant: int, body: Any = None,
                           run_device_checks: bool = True, roles: Sequence[str] | None = None) -> Refusal | None:
    """The rules, without I/O: the first refusal in the documented order, or None (accepted).

    ``device`` is None for an unknown device (or a non-device SRV), else an object with ``device_id``,
    ``status``, ``responsible_supplier_id``, ``network_operator_id``, ``restricted`` and
    ``srv_allowed`` (whether ``judged`` is on the allow-list). The traffic
    generator calls this with the device's state at the simulated time (``run_device_checks=False``: the
    registered checks expect a real ``Device``). ``roles``: the roles the party acts in (default all its roles).
    """
    acting = list(party.roles if roles is None else roles)
    if entry.targets_device and device is None:
        return Refusal(ResponseCode.UNKNOWN_DEVICE, f"Device {device_id} is not in the SMI.")
    # 5.1 Create Schedule carries another SRV: the caller must be allowed both to schedule and to send what it
    # schedules, so a schedule cannot smuggle an SRV the caller could not send directly (E2, E4).
    authorised = (entry,) if judged.srv == entry.srv else (entry, judged)
    for checked in authorised:
        if not set(acting) & set(checked.eligible_roles):
            eligible = ", ".join(checked.eligible_roles) or "none (DCC only)"
            what = f"SRV {checked.srv}" if checked is entry else f"a schedule of SRV {checked.srv}"
            return Refusal(
                ResponseCode.ROLE_NOT_ALLOWED,
                f"Your party's roles ({', '.join(acting)}) may not send {what}; eligible roles: {eligible}.",
            )
    if device is not None:
        for checked in authorised:
            if not party_may_address_device(party=party, device=device, entry=checked, roles=acting):
                return Refusal(
                    ResponseCode.NOT_AUTHORISED_FOR_DEVICE,
                    f"Your party is not the Responsible Supplier or network operator of device {device.device_id}: "
                    f"it may not send SRV {checked.srv} to it.",
                )
        device_type = getattr(device, "device_type", None)
        if judged.device_types and device_type is not None and device_type not in judged.device_types:
            return Refusal(
                ResponseCode.DEVICE_TYPE,
                f"SRV {judged.srv} ({judged.name}) applies to {' or '.join(judged.device_types)}; device "
                f"{device.device_id} is a {device_type}.",
            )
        if device.status not in judged.accepted_statuses:
            return Refusal(
                ResponseCode.DEVICE_STATUS,
                f"SRV {judged.srv} needs a device in status {' or '.join(judged.accepted_statuses)}; "
                f"device {device.device_id} is {device.status}.",
            )
        refusal = device_checks_run(srv=entry.srv, device=device, party=party, body=body) if run_device_checks else None
        if refusal is not None:
            return refusal
    if command_variant not in entry.command_variants:
        allowed = ", ".join(str(v) for v in entry.command_variants)
        return Refusal(
            ResponseCode.COMMAND_VARIANT,
            f"Command variant {command_variant} is not valid for SRV {entry.srv}; use {allowed}.",
        )
    if device is not None and device.restricted and not device.srv_allowed:
        what = f"SRV {judged.srv} ({judged.name})"
        if entry.srv == CREATE_SCHEDULE_SRV:
            what = f"a schedule of SRV {judged.srv} ({judged.name})"
        return Refusal(
            ResponseCode.RESTRICTED,
            f"Device {device.device_id} is Restricted (MP169): {what} is not on the allow-list.",
        )
    return None


def service_request_submit(*, party: Party, user: Any, srv: str, device_id: str | None, command_variant: Any,
                           channel: str, body: Any = None, request_id: str | None = None,
                           also_device_ids: Sequence[str] = (), roles: Sequence[str] | None = None,
                           answer_refusal: Refusal | None = None) -> ServiceRequestOutcome:
    """Decide a service request, log it and return the DUIS response code with a human reason.

    ``also_device_ids``: the other devices one request is sent to (the ``DeviceIDList`` of 11.1/11.4
    firmware distribution). Each is judged like ``device_id``; the first refusal answers the request,
    so a list cannot carry a device the sender may not address behind one it may. ``roles``: the roles the
    party acts in (DUIS: its originator User ID's role); default all its roles. ``answer_refusal``: what
    answers the request if every check accepts it, because the answer itself cannot be given (8.2 Read
    Inventory of a device the SMI does not hold).
    """
    entry = _clean_srv(srv)
    variant = _clean_command_variant(command_variant)
    device_id = normalise_device_id(device_id) if device_id else ""
    if entry.targets_device and not device_id:
        raise ValidationFailed(
            f"SRV {entry.srv} is addressed to a device: give its device_id.",
            code="device_id_required", errors={"device_id": ["Required for this SRV."]},
        )
    judged = _scheduled_srv(body) if entry.srv == CREATE_SCHEDULE_SRV else entry

    device, refusal = None, None
    if entry.targets_device:
        others, refusal = _clean_device_list(also_device_ids, primary=device_id)
        devices = _decision_devices(judged, [device_id, *others])
        device = devices.get(device_id)
        for judged_id in (device_id, *others):  # in list order: the first refusal answers
            if refusal is not None:
                break
            refusal = service_request_decide(
                entry=entry, judged=judged, device=devices.get(judged_id), device_id=judged_id, party=party,
                command_variant=variant, body=body, roles=roles)
    else:
        refusal = service_request_decide(entry=entry, judged=judged, device=None, device_id=device_id, party=party,
                                         command_variant=variant, body=body, roles=roles)
    if refusal is None and answer_refusal is not None:
        refusal = answer_refusal
    request_id = request_id or str(uuid.uuid4())
    handler = body_handler_for(entry.srv) if refusal is None and body is not None else None

    def _log(outcome: Refusal | None, *, async_commit: bool = False) -> ServiceRequestLog:
        code = outcome.code if outcome else entry.success_code
        detail = outcome.reason if outcome else f"SRV {entry.srv} {entry.name}: accepted."
        row = ServiceRequestLog(
            request_id=request_id[:100], requested_at=timezone.now(), party=party,
            user=user if getattr(user, "pk", None) else None, srv=entry.srv, srv_category=entry.category,
            device_id=device_id, command_variant=variant, response_code=code, detail=detail[:250],
            restricted_at_request=bool(device and device.restricted),
            csp_region=device.csp_region if device else "", channel=channel,
        )
        if async_commit:
            return _log_insert_async(row)
        row.save(force_insert=True)
        return row

    if handler is None and channel == Channel.JSON and settings.GATEWAY_LOG_ASYNC_COMMIT:
        # The REST gateway's log row is its only write: committed without waiting for the WAL flush
        # (docs/decisions/0005: a crash may lose the last fraction of a second of log rows, never a device change).
        log = _log(refusal, async_commit=True)
    elif handler is None:
        log = _log(refusal)
    else:
        with transaction.atomic():
            refusal = handler(srv=entry.srv, body=body, party=party, user=user, device=device, request_id=request_id)
            log = _log(refusal if isinstance(refusal, Refusal) else None)
    return ServiceRequestOutcome(
        request_id=request_id, response_code=log.response_code, detail=log.detail, srv=entry, device=device, log=log,
    )


def service_request_refusal_log(*, party: Party, user: Any, srv: str | None, device_id: str | None,
                                 command_variant: Any, channel: str, request_id: str | None, code: str,
                                 reason: str) -> ServiceRequestLog:
    """Log a request refused before the decision (DUIS security: E1 originator, E3 signature, E13 replay, or a
    malformed request): nothing else is done. The SRV and Device ID are logged as sent when they can be read."""
    entry = catalogue.srv_get(str(srv or "").strip())
    try:
        device_id = normalise_device_id(device_id) if device_id else ""
    except ValidationFailed:
        device_id = ""
    variant = command_variant if isinstance(command_variant, int) and 0 <= command_variant < 32768 else None
    return ServiceRequestLog.objects.create(
        request_id=(request_id or str(uuid.uuid4()))[:100], requested_at=timezone.now(), party=party,
        user=user if getattr(user, "pk", None) else None, srv=entry.srv if entry else str(srv or "")[:10],
        srv_category=entry.category if entry else SrvCategory.NON_DEVICE, device_id=device_id,
        command_variant=variant, response_code=code, detail=reason[:250], channel=channel,
    )


@lru_cache(maxsize=1)
def _log_insert_sql() -> tuple[str, list[str]]:
    fields = [f.attname for f in ServiceRequestLog._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(ServiceRequestLog._meta.get_field(n).column) for n in fields)
    # One statement, in autocommit: the subquery sets synchronous_commit off for this statement's own transaction,
    # so the row costs one round trip and no wait for the WAL flush.
    sql = (f"INSERT INTO {ServiceRequestLog._meta.db_table} ({columns}) SELECT {', '.join(['%s'] * len(fields))} "
           "FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit RETURNING id")
    return sql, fields


def _log_insert_async(row: ServiceRequestLog) -> ServiceRequestLog:
    sql, fields = _log_insert_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [getattr(row, name) for name in fields])
        row.pk = cursor.fetchone()[0]
    row._state.adding = False
    return row


@lru_cache(maxsize=1)
def _decision_sql() -> tuple[str, list[str], list[str]]:
    """The decision's one query, composed once per process: building it with the ORM on every request cost more
    than running it (select_related, the EXISTS annotation and the models' default ordering: ~3 ms of Python per
    request, docs/decisions/0005)."""
    device_fields = [f.attname for f in Device._meta.concrete_fields]
    cpl_fields = [f.attname for f in CPLEntry._meta.concrete_fields]
    columns = [f"d.{connection.ops.quote_name(Device._meta.get_field(n).column)}" for n in device_fields]
    columns += [f"c.{connection.ops.quote_name(CPLEntry._meta.get_field(n).column)}" for n in cpl_fields]
    sql = (
        f"SELECT {', '.join(columns)}, EXISTS (SELECT 1 FROM {RestrictedSrvAllowance._meta.db_table} a "
        f"WHERE a.srv_id = %s) FROM {Device._meta.db_table} d "
        f"JOIN {CPLEntry._meta.db_table} c ON c.id = d.cpl_entry_id WHERE d.device_id = ANY(%s)"
    )
    return sql, device_fields, cpl_fields


def _decision_devices(judged: ServiceReferenceVariant, device_ids: list[str]) -> dict[str, Device]:
    """The devices a decision reads, by Device ID (one query), each with its CPL row and ``srv_allowed`` (whether
    ``judged`` is on the MP169 allow-list, read in the same query so an allow-list edit counts at once)."""
    sql, device_fields, cpl_fields = _decision_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [judged.srv, list(device_ids)])
        rows = cursor.fetchall()
    devices = {}
    split = len(device_fields)
    for row in rows:
        device = Device.from_db("default", device_fields, row[:split])
        device._state.fields_cache["cpl_entry"] = CPLEntry.from_db("default", cpl_fields, row[split:-1])
        device.srv_allowed = row[-1]
        devices[device.device_id] = device
    return devices


def _clean_device_list(device_ids: Sequence[str], *, primary: str) -> tuple[list[str], Refusal | None]:
    """The other devices of a list in order, canonical and without repeats; a malformed one refuses the request."""
    others: dict[str, None] = {}
    for raw in device_ids:
        try:
            canonical = normalise_device_id(raw)
        except ValidationFailed:
            return [], Refusal(ResponseCode.UNKNOWN_DEVICE,
                               f"'{str(raw)[:40]}' in the device list is not a valid Device ID.")
        if canonical != primary:
            others[canonical] = None
    return list(others), None


# --- Alerts (R169-9) ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class AlertOutcome:
    delivered: bool
    log: str
    entry: SatLogEntry | DiagnosticsLogEntry


def _clean_alert_code(value: Any) -> AlertCode:
    code = str(value or "").strip().upper().removeprefix("0X")
    alert = catalogue.alert_get(code)
    if alert is None:
        raise ValidationFailed(
            f"'{str(value or '')[:12]}' is not a GBCS alert code: expected 4 hex digits from the alert "
            "catalogue, e.g. 8F3E.",
            code="unknown_alert_code", errors={"alert_code": ["Unknown GBCS alert code."]},
        )
    return alert


def alert_receive(*, party: Party, device_id: str | None, alert_code: Any) -> AlertOutcome:
    """Route a device alert: to the SAT log (delivered to Service Users) or, for a restricted device and
    an alert not on the allow-list, to the diagnostics log only (R169-9). Alerts come from the network,
    so only the DCC and the CSPs submit them."""
    if not (party.is_dcc or party.is_csp):
        raise PermissionDenied("Only the DCC and the CSPs submit device alerts to the gateway.")
    device_id = normalise_device_id(device_id)
    alert = _clean_alert_code(alert_code)
    device = (
        Device.objects.only("device_id", "restricted", "csp_region", "responsible_supplier_id", "network_operator_id")
        .annotate(alert_allowed=Exists(RestrictedAlertAllowance.objects.filter(alert_id=alert.code)))
        .filter(device_id=device_id).first()
    )
    if device is None:
        raise NotFound(f"Device {device_id} is not in the SMI.", code="unknown_device")
    if not party.is_dcc and device.csp_region not in csp_regions_of(party):
        # A CSP relays alerts only from hubs in its own region; others' devices are as good as unknown to it.
        raise NotFound(f"Device {device_id} is not in the SMI of your region ({party.csp_region}).",
                       code="unknown_device")
    diverted = device.restricted and not device.alert_allowed
    model = DiagnosticsLogEntry if diverted else SatLogEntry
    entry = model.objects.create(
        device_id=device.device_id, alert_code=alert.code, restricted_at_receipt=device.restricted,
        csp_region=device.csp_region, supplier_id=device.responsible_supplier_id,
        network_operator_id=device.network_operator_id, submitted_by=party,
    )
    return AlertOutcome(
        delivered=not diverted, log=AlertLogName.DIAGNOSTICS if diverted else AlertLogName.SAT, entry=entry,
    )


# --- Allow-list configuration (DCC) ------------------------------------------------------------------

def allow_list_edit_refusal(actor: Any) -> PermissionDenied | None:
    """Why ``actor`` may not change the MP169 allow-lists (only the DCC service desk may), or None."""
    party = getattr(actor, "party", None)
    if party is None or not party.is_dcc:
        return PermissionDenied("Only the DCC service desk may change the MP169 allow-lists.")
    return None


def _require_dcc(actor: Any) -> Party:
    refusal = allow_list_edit_refusal(actor)
    if refusal is not None:
        raise refusal
    return actor.party


def allow_list_items_set(*, actor: Any, allow_list: str, items: Sequence[str], allowed: bool, reason: str) -> list[str]:
    """Allow (or refuse) SRVs or alert codes for restricted devices, one or many (the page's bulk edit), in ONE
    transaction with an audit row per item that changes; effective from the next request or alert. A national,
    safety-relevant switch, so a reason is required (#19). Returns the items that changed (already in that state:
    nothing written for them). Any unknown item refuses the whole edit: nothing is written."""
    party = _require_dcc(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Enter the reason for the change: it is recorded in the allow-list history. Nothing was changed.",
            code="reason_required", errors={"reason": ["Enter the reason for the change."]},
        )
    refuse_unstorable(reason, subject="The reason", field="reason", unchanged="")
    if len(reason) > 250:
        raise ValidationFailed("The reason must be 250 characters or fewer. Nothing was changed.",
                               code="reason_too_long", errors={"reason": ["Use 250 characters or fewer."]})
    if allow_list not in AllowList.values:
        raise ValidationFailed(f"'{str(allow_list)[:10]}' is not an allow-list: use srv or alert.", code="unknown_list")
    keys = list(dict.fromkeys(str(item or "").strip() for item in items if str(item or "").strip()))
    if allow_list == AllowList.ALERT:
        keys = list(dict.fromkeys(key.upper().removeprefix("0X") for key in keys))
    if not keys:
        raise ValidationFailed("Select at least one item to change. Nothing was changed.", code="nothing_selected",
                               errors={"items": ["Select at least one SRV or alert code."]})
    allowance = RestrictedSrvAllowance if allow_list == AllowList.SRV else RestrictedAlertAllowance
    key_field = "srv_id" if allow_list == AllowList.SRV else "alert_id"
    with transaction.atomic():
        if allow_list == AllowList.SRV:
            entries = {e.srv: e for e in ServiceReferenceVariant.objects.select_for_update().filter(srv__in=keys)}
            for key in keys:
                entry = entries.get(key)
                if entry is None or not entry.targets_device or entry.srv == CREATE_SCHEDULE_SRV:
                    raise ValidationFailed(
                        f"'{key[:20]}' is not an SRV addressed to a device, so it has no place on the allow-list "
                        "(5.1 is judged by the SRV it schedules). Nothing was changed.",
                        code="not_on_allow_list",
                    )
        else:
            known = set(AlertCode.objects.select_for_update().filter(code__in=keys).values_list("code", flat=True))
            for key in keys:
                if key not in known:
                    raise ValidationFailed(
                        f"'{key[:12]}' is not a GBCS alert code: expected 4 hex digits from the alert catalogue, e.g. "
                        "8F3E. Nothing was changed.", code="unknown_alert_code",
                        errors={"alert_code": ["Unknown GBCS alert code."]},
                    )
        current = set(allowance.objects.filter(**{f"{key_field}__in": keys}).values_list(key_field, flat=True))
        changed = [key for key in keys if (key in current) != allowed]
        if not changed:
            return []
        if allowed:
            allowance.objects.bulk_create([allowance(**{key_field: key}) for key in changed])
        else:
            allowance.objects.filter(**{f"{key_field}__in": changed}).delete()
        AllowListChange.objects.bulk_create([
            AllowListChange(actor=actor, party=party, allow_list=allow_list, item=key, old_allowed=not allowed,
                            new_allowed=allowed, reason=reason)
            for key in changed
        ])
    return changed


def allow_list_srv_set(*, actor: Any, srv: str, allowed: bool, reason: str = "") -> bool:
    """Allow (or refuse) one SRV for restricted devices (``allow_list_items_set``). Returns False when the SRV was
    already in that state (nothing written)."""
    return bool(allow_list_items_set(actor=actor, allow_list=AllowList.SRV, items=[srv], allowed=allowed,
                                     reason=reason))


def allow_list_alert_set(*, actor: Any, alert_code: str, allowed: bool, reason: str = "") -> bool:
    """Allow (or divert to diagnostics) one alert code from restricted devices (``allow_list_items_set``)."""
    return bool(allow_list_items_set(actor=actor, allow_list=AllowList.ALERT, items=[alert_code], allowed=allowed,
                                     reason=reason))
