"""R121-1..R121-3: raising install-code requests (MP121), one device or many.

Who may raise (the device's Responsible Supplier, a supplier), for which devices (R121-2: a SMETS2+
device that is Pending, Whitelisted or Installed not commissioned), and to whom it goes (R121-3: the
pre-notifying supplier, or the DCC service desk queue). One set-based raise serves one row or
100,000 (``install_code_requests_raise``): each new request is written with its history rows
(``IncidentEvent``) in the caller's transaction; a single raise emails its assignee, a bulk raise
(``incidents.services.bulk``) one summary per assignee.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from incidents.choices import (
    TYPE_1_DEVICE_TYPES,
    IncidentChannel,
    IncidentEventKind,
    IncidentState,
    IncidentType,
    SpellKind,
    SpellOutcome,
)
from incidents.models import (
    REFERENCE_SEQUENCE,
    Incident,
    IncidentEvent,
    IncidentNote,
    IncidentSpell,
    InstallCodeDeposit,
    format_reference,
)
from incidents.services.common import party_of
from incidents.services.notifications import email_assignee, email_creator
from incidents.services.sla import due_by_from
from inventory.choices import DeviceStatus, DeviceType, SmetsVersion
from inventory.models import Device
from portal.errors import Conflict, DomainError, NotFound, PermissionDenied, RuleRefused, ValidationFailed
from portal.eui64 import normalise_device_id
from portal.models import Party, User
from portal.selectors import dcc_party

#: R121-2: states where an install code helps to commission the device.
RAISABLE_DEVICE_STATUSES = (DeviceStatus.PENDING, DeviceStatus.WHITELISTED, DeviceStatus.INSTALLED_NOT_COMMISSIONED)


NOT_A_SUPPLIER = ("Only energy suppliers (Import, Export or Gas Supplier) can request an install code: the "
                  "supplier that gained a device before it was commissioned asks the supplier that installed it.")


def require_supplier(party: Party) -> None:
    if not party.is_supplier:
        raise PermissionDenied(NOT_A_SUPPLIER, code="not_a_supplier")


def install_code_request_raise_refusal(actor: User) -> PermissionDenied | None:
    """Whether ``actor``'s party may ever raise an install-code request (R121-1: suppliers only), for pages and
    navigation to ask before offering the forms; each device's own check is made when raising."""
    party = getattr(actor, "party", None)
    if party is None or not party.is_supplier:
        return PermissionDenied(NOT_A_SUPPLIER, code="not_a_supplier")
    return None


def incident_queue_refusal(actor: User) -> PermissionDenied | None:
    """Whether ``actor``'s party has incidents at all: suppliers raise install-code requests and answer them,
    the DCC service desk works its queue; no other role raises or is assigned one (R121-1, R121-3)."""
    party = getattr(actor, "party", None)
    if party is None or not (party.is_supplier or party.is_dcc):
        return PermissionDenied(
            "Incidents here are install-code requests (MP121) between energy suppliers and the DCC service desk: "
            "your party's role neither raises them nor is assigned them, so it has none to see.",
            code="no_incidents_for_role",
        )
    return None


def _refuse_unusable_device(device_id: str, status: str) -> RuleRefused:
    label = DeviceStatus(status).label if status in DeviceStatus.values else status
    return RuleRefused(
        f"Device {device_id} is {label}: an install code can only be requested for a device that is Pending, "
        "Whitelisted or Installed not commissioned.",
        code="device_status_not_eligible", errors={"device_id": [f"The device is {label}."]},
    )


def device_scope_refusal(*, device_id: str, device_type: str, smets_version: str) -> RuleRefused | None:
    """R121-2: only SMETS2+ Type 1 Devices (ESME, GSME, PPMID, HCALCS) join a HAN with an install code.

    Seed 002 Annex B 4.9 (a Responsible Supplier commissions a Type 1 Device by joining it) and 4.15 (no
    commissioning of a Type 2 Device); a CHF or GPF is commissioned by the DCC, a SMETS1 device not at all
    through this route. The one refusal every raise (single, bulk row, page, REST) and deposit gives.
    """
    if device_type in TYPE_1_DEVICE_TYPES and smets_version == SmetsVersion.SMETS2_PLUS:
        return None
    label = DeviceType(device_type).label if device_type in DeviceType.values else device_type
    if device_type in TYPE_1_DEVICE_TYPES:
        why = (f"Device {device_id} is a {smets_version} {label}: install codes are requested only for "
               "SMETS2+ devices.")
    else:
        why = (f"Device {device_id} is a {label} ({device_type}): install codes are requested only for SMETS2+ "
               "Type 1 Devices (ESME, GSME, PPMID, HCALCS), the devices that join a HAN with one.")
    return RuleRefused(why, code="device_not_type_1",
                       errors={"device_id": [f"The device is a {smets_version} {device_type}, not a SMETS2+ Type 1 "
                                             "Device."]})


def _requester_refusal(*, device_id: str, responsible_id: int | None, prenotifier_id: int | None,
                       party: Party) -> DomainError | None:
    """R121-1: the gaining supplier - the device's Responsible Supplier now - raises the request.

    A party that cannot see the device at all is answered as if it did not exist (no leak); its
    pre-notifying supplier, which can see it, is told why it may not ask for its own code back.
    """
    if responsible_id == party.pk:
        return None
    if prenotifier_id == party.pk:
        return PermissionDenied(
            f"Your party pre-notified {device_id} but is not its Responsible Supplier: only the gaining "
            "(Responsible) supplier may request its install code.", code="not_responsible_supplier",
        )
    return NotFound(f"Device {device_id} is not in the Smart Metering Inventory.", code="device_not_found",
                    errors={"device_id": ["No such device in the SMI."]})


@transaction.atomic
def incident_raise_install_code_request(*, device_id: str, actor: User,
                                        channel: IncidentChannel = IncidentChannel.WEB) -> tuple[Incident, bool]:
    """Raise a "Request for Install Code" for one device; returns ``(incident, created)``.

    A bulk raise of one row (``install_code_requests_raise``): the same rules, locks and history. A
    second request for the same device by the same party while the first is open returns the first
    (``created`` is False) instead of opening a duplicate. A refused row raises its ``DomainError``;
    a new request emails its assignee (a bulk raise sends one summary per assignee instead).
    """
    party = party_of(actor)
    require_supplier(party)
    [row] = install_code_requests_raise(device_ids=[device_id], actor=actor, party=party, channel=channel)
    if not row.ok:
        raise row.refusal
    incident = (
        Incident.objects.select_related("device", "raised_by", "raised_by_user", "assigned_party")
        .get(reference=row.reference)
    )
    if row.answered_from_deposit:
        email_creator(incident, actor_party=incident.responder_party,
                      what="it was answered at once from an install code the installing supplier deposited "
                           "(see it in the portal)")
    elif not row.existing:
        email_assignee(incident)
    return incident, not row.existing


@dataclass
class BulkRowResult:
    """One row's outcome: the request raised (or the open one returned, ``existing``), or why it was refused."""

    device_id: str
    ok: bool
    reference: str = ""
    error: str = ""
    existing: bool = False
    assigned_party_id: int | None = None
    #: Answered at once from the assignee's deposited install code (issue 18).
    answered_from_deposit: bool = False
    #: The refusal as the single raise answers it (code, field errors, HTTP status); ``error`` is its text.
    refusal: DomainError | None = field(default=None, repr=False, compare=False)

    def refuse(self, refusal: DomainError) -> None:
        self.ok, self.refusal, self.error = False, refusal, refusal.detail
        self.reference, self.existing, self.assigned_party_id = "", False, None


@dataclass
class _Device:
    pk: int
    status: str
    responsible_id: int | None
    prenotifier_id: int | None
    prenotifier_code: str | None
    device_type: str = ""
    smets_version: str = ""


@dataclass
class _NewRequest:
    device: _Device
    result: BulkRowResult
    assignee_id: int
    state: IncidentState
    created_detail: str
    assigned_detail: str


def install_code_requests_raise(*, device_ids: list[str], actor: User, party: Party,
                                channel: IncidentChannel, dry_run: bool = False) -> list[BulkRowResult]:
    """THE raise (R121-1..R121-3): each row validated on its own, the valid ones created set-based.

    One row or 100,000, the same statements: one locks every named device (``FOR NO KEY UPDATE``,
    in id order), one reads the party's open requests for them, one allocates the references, and
    one writes the incidents with their "raised" and "assigned" history. The device lock serialises
    raises for a device: a second raise waits, then finds the first's request and returns it
    (``existing``). Call inside a transaction, after checking the party may raise
    (``require_supplier``); it sends no email (callers choose one per request or one summary).
    ``dry_run`` (a bulk upload's check step) judges every row the same way and writes nothing: rows that
    would raise a request come back ``ok`` without a reference.
    """
    results: list[BulkRowResult] = []
    canonical: list[str | None] = []
    for raw in device_ids:
        result = BulkRowResult(device_id=(raw or "").strip(), ok=False)
        results.append(result)
        canonical.append(None)
        if not result.device_id:
            result.refuse(ValidationFailed("The Device ID is required.", code="device_id_required",
                                           errors={"device_id": ["The Device ID is required."]}))
            continue
        try:
            canonical[-1] = normalise_device_id(raw)
        except ValidationFailed as error:
            result.refuse(error)
    devices = _lock_devices(sorted({device_id for device_id in canonical if device_id}))
    open_requests = _open_requests(party=party, device_pks=[device.pk for device in devices.values()])

    service_desk: Party | None = None
    label = IncidentChannel(channel).label
    to_create: list[_NewRequest] = []
    created_in_file: dict[str, BulkRowResult] = {}
    for result, device_id in zip(results, canonical, strict=True):
        if device_id is None:
            continue
        result.device_id = device_id
        device = devices.get(device_id)
        if device is None:
            result.refuse(NotFound(f"Device {device_id} is not in the Smart Metering Inventory.",
                                   code="device_not_found", errors={"device_id": ["No such device in the SMI."]}))
            continue
        refusal = _requester_refusal(device_id=device_id, responsible_id=device.responsible_id,
                                     prenotifier_id=device.prenotifier_id, party=party)
        if refusal is not None:
            result.refuse(refusal)
            continue
        refusal = device_scope_refusal(device_id=device_id, device_type=device.device_type,
                                       smets_version=device.smets_version)
        if refusal is not None:
            result.refuse(refusal)
            continue
        if device.pk in open_requests:
            reference, assignee_id = open_requests[device.pk]
            result.ok, result.existing, result.reference, result.assigned_party_id = True, True, reference, assignee_id
            continue
        if device_id in created_in_file:
            result.ok, result.existing = True, True  # the request its first row raises; reference set below
            continue
        if device.status not in RAISABLE_DEVICE_STATUSES:
            result.refuse(_refuse_unusable_device(device_id, device.status))
            continue
        service_desk = service_desk or dcc_party()
        assignee_id = _assignee_id_for(prenotifier_id=device.prenotifier_id, requester_id=party.pk,
                                       service_desk_id=service_desk.pk)
        to_service_desk = assignee_id == service_desk.pk
        result.ok, result.assigned_party_id = True, assignee_id
        created_in_file[device_id] = result
        to_create.append(_NewRequest(
            device=device, result=result, assignee_id=assignee_id,
            state=IncidentState.NEW if to_service_desk else IncidentState.ASSIGNED,
            created_detail=f"Raised through {label} for device {device_id}.",
            assigned_detail=_assignment_reason(prenotifier_code=device.prenotifier_code, requester=party,
                                               to_service_desk=to_service_desk),
        ))

    if to_create and not dry_run:
        numbers = _next_reference_numbers(len(to_create))
        for new, number in zip(to_create, numbers, strict=True):
            new.result.reference = format_reference(number)
        inserted = _insert_incidents_with_history(new_requests=to_create, actor=actor, party=party, channel=channel)
        lost = {new.device.pk: new.result for new in to_create if new.device.pk not in inserted}
        if lost:
            _answer_with_concurrent_requests(lost, party=party)
        answered = answer_from_deposits(inserted)
        if answered:
            for new in to_create:
                if new.device.pk in answered:
                    new.result.answered_from_deposit = True
    # Rows repeating a device within the file answer as its first row does (the request it raised).
    for result in results:
        first = created_in_file.get(result.device_id)
        if first is not None and result is not first and result.ok and result.existing and not result.reference:
            if first.ok:
                result.reference, result.assigned_party_id = first.reference, first.assigned_party_id
            else:
                result.refuse(first.refusal)
    return results


# Every raise locks the rows' devices, in id order, so raises for one device (single or bulk, web or
# REST) wait for each other instead of racing, and two bulk raises over the same devices do not
# deadlock. NO KEY: the lock must not conflict with the FOR KEY SHARE that foreign-key checks take
# (another transaction writing a row that points at the device, e.g. a restriction change).
_LOCK_DEVICES_SQL = """
SELECT device.id, device.device_id, device.status, device.responsible_supplier_id,
       device.prenotifying_supplier_id, prenotifier.code, device.device_type, device.smets_version
FROM {device} AS device LEFT JOIN {party} AS prenotifier ON prenotifier.id = device.prenotifying_supplier_id
WHERE device.device_id = ANY(%s)
ORDER BY device.id
FOR NO KEY UPDATE OF device
"""


def _lock_devices(device_ids: list[str]) -> dict[str, _Device]:
    """The named devices that exist, by Device ID, each row locked until the transaction ends."""
    if not device_ids:
        return {}
    sql = _LOCK_DEVICES_SQL.format(device=Device._meta.db_table, party=Party._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, [device_ids])
        return {
            device_id: _Device(pk=pk, status=status, responsible_id=responsible_id, prenotifier_id=prenotifier_id,
                               prenotifier_code=prenotifier_code, device_type=device_type, smets_version=smets_version)
            for pk, device_id, status, responsible_id, prenotifier_id, prenotifier_code, device_type, smets_version
            in cursor.fetchall()
        }


def _open_requests(*, party: Party, device_pks: list[int]) -> dict[int, tuple[str, int]]:
    """The party's open install-code requests for these devices: ``{device pk: (reference, assignee pk)}``.

    A new statement, so it sees what a raise that held a device's lock before this one committed.
    """
    if not device_pks:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT device_id, reference, assigned_party_id FROM {Incident._meta.db_table} "
            "WHERE raised_by_id = %s AND type = %s AND state <> %s AND device_id = ANY(%s)",
            [party.pk, IncidentType.INSTALL_CODE_REQUEST, IncidentState.CLOSED, device_pks],
        )
        return {device_pk: (reference, assignee_id) for device_pk, reference, assignee_id in cursor.fetchall()}


def _assignee_id_for(*, prenotifier_id: int | None, requester_id: int, service_desk_id: int) -> int:
    """R121-3: the pre-notifying supplier; the DCC service desk when unknown or the requester itself."""
    if prenotifier_id is None or prenotifier_id == requester_id:
        return service_desk_id
    return prenotifier_id


def _assignment_reason(*, prenotifier_code: str | None, requester: Party, to_service_desk: bool) -> str:
    if not to_service_desk:
        return f"Assigned automatically to the pre-notifying supplier {prenotifier_code}."
    if prenotifier_code is None:
        return "The pre-notifying supplier is not known: sent to the DCC service desk queue."
    return f"{requester.code} pre-notified the device itself: sent to the DCC service desk queue."


def _next_reference_numbers(count: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [REFERENCE_SEQUENCE, count])
        return [row[0] for row in cursor.fetchall()]


def _answer_with_concurrent_requests(lost: dict[int, BulkRowResult], *, party: Party) -> None:
    """Rows whose insert found an open request that a concurrent raise committed first: answer with it.

    ``lost`` maps device pks to their results. The read is a new statement, so it sees that commit.
    Every raise holds the device lock, so this is the fallback for a writer that does not.
    """
    found = _open_requests(party=party, device_pks=list(lost))
    for device_pk, result in lost.items():
        if device_pk in found:
            result.existing = True
            result.reference, result.assigned_party_id = found[device_pk]
        else:  # the concurrent request was closed again in the meantime
            result.refuse(Conflict(
                "Another request for this device was being raised or closed at the same time: try again.",
                code="concurrent_raise",
            ))


#: From this many rows a bulk insert refreshes the tables' statistics before its commit.
BULK_ANALYZE_THRESHOLD = 5_000

# ON CONFLICT names the partial unique index ``incident_one_open_per_device_and_raiser`` (columns and
# predicate): a device whose open request a concurrent writer holds is skipped, after waiting for that
# transaction, instead of failing the whole statement. Rows go in device order, as the locks were taken.
_BULK_INSERT_SQL = """
WITH new_rows AS MATERIALIZED (
    SELECT * FROM unnest(%(references)s::text[], %(states)s::text[], %(devices)s::bigint[], %(assignees)s::bigint[],
                         %(created_details)s::text[], %(assigned_details)s::text[])
         AS row(reference, state, device_id, assigned_party_id, created_detail, assigned_detail)
), new_incidents AS (
    INSERT INTO {incident} (reference, type, state, channel, device_id, raised_by_id, raised_by_user_id,
                            assigned_party_id, due_by, created_at, updated_at, has_install_code, breached, closure_kind)
    SELECT new_rows.reference, %(type)s, new_rows.state, %(channel)s, new_rows.device_id, %(party)s, %(actor)s,
           new_rows.assigned_party_id, %(due_by)s, %(now)s, %(now)s, false, false, ''
    FROM new_rows
    ORDER BY new_rows.device_id
    ON CONFLICT (device_id, raised_by_id, type) WHERE state <> '{closed}' DO NOTHING
    RETURNING id, device_id, state, assigned_party_id
), new_events AS (
    INSERT INTO {event} (incident_id, kind, at, actor_id, party_id, from_state, to_state, assigned_party_id, detail)
    SELECT new_incidents.id, step.kind, %(now)s, %(actor)s, %(party)s,
           CASE WHEN step.n = 1 THEN '' ELSE %(new)s END,
           CASE WHEN step.n = 1 THEN %(new)s ELSE new_incidents.state END,
           CASE WHEN step.n = 1 THEN NULL ELSE new_incidents.assigned_party_id END,
           CASE WHEN step.n = 1 THEN new_rows.created_detail ELSE new_rows.assigned_detail END
    FROM new_incidents JOIN new_rows ON new_rows.device_id = new_incidents.device_id
    CROSS JOIN (VALUES (1, %(created)s), (2, %(assigned)s)) AS step(n, kind)
    ORDER BY new_incidents.id, step.n
), new_spells AS (
    INSERT INTO {spell} (incident_id, kind, assigned_party_id, started_at, due_by, outcome)
    SELECT new_incidents.id, %(spell_kind)s, new_incidents.assigned_party_id, %(now)s, %(due_by)s, ''
    FROM new_incidents ORDER BY new_incidents.id
)
SELECT device_id, id, assigned_party_id FROM new_incidents
"""


def _insert_incidents_with_history(*, new_requests: list[_NewRequest], actor: User, party: Party,
                                   channel: IncidentChannel) -> dict[int, tuple[int, int]]:
    """Insert incidents and their "raised" and "assigned" history rows in ONE set-based statement.

    A data-modifying CTE feeds the new incident ids straight into the history insert, so 100,000
    requests need no per-row Python model objects or statements (Django's ``bulk_create`` spent most
    of its time preparing values). Each gets its first SLA spell too. Returns ``{device pk: (incident pk,
    assignee pk)}`` for the rows inserted: a device missing from it already had an open request,
    committed by a concurrent writer while this one ran.
    """
    now = timezone.now()
    sql = _BULK_INSERT_SQL.format(incident=Incident._meta.db_table, event=IncidentEvent._meta.db_table,
                                  spell=IncidentSpell._meta.db_table, closed=IncidentState.CLOSED.value)
    with connection.cursor() as cursor:
        cursor.execute(sql, {
            "type": IncidentType.INSTALL_CODE_REQUEST.value, "channel": IncidentChannel(channel).value,
            "party": party.pk, "actor": actor.pk, "due_by": due_by_from(timezone.localdate(now)), "now": now,
            "references": [new.result.reference for new in new_requests],
            "states": [new.state.value for new in new_requests],
            "devices": [new.device.pk for new in new_requests],
            "assignees": [new.assignee_id for new in new_requests],
            "created_details": [new.created_detail[:300] for new in new_requests],
            "assigned_details": [new.assigned_detail[:300] for new in new_requests],
            "new": IncidentState.NEW.value, "created": IncidentEventKind.CREATED.value,
            "assigned": IncidentEventKind.ASSIGNED.value, "spell_kind": SpellKind.RAISED.value,
        })
        inserted = {device_pk: (incident_pk, assignee_pk) for device_pk, incident_pk, assignee_pk in cursor.fetchall()}
        if len(new_requests) >= BULK_ANALYZE_THRESHOLD:
            # The deferred foreign-key checks run at COMMIT with plans this connection cached while the
            # tables were small (sequential scans): refreshing the statistics invalidates those plans.
            cursor.execute(f"ANALYZE {Incident._meta.db_table}, {IncidentEvent._meta.db_table}, "
                           f"{IncidentSpell._meta.db_table}")
    return inserted


def install_code_request_refusal(*, actor: User, device: Device) -> DomainError | None:
    """Why ``actor`` may not raise an install-code request for ``device`` now, or None: the raise's own
    checks (a supplier, R121-2 a SMETS2+ Type 1 Device, R121-1 the Responsible Supplier, an eligible status),
    without a lock or a write.
    The device page asks it before offering "Request an install code"."""
    refusal = install_code_request_raise_refusal(actor)
    if refusal is not None:
        return refusal
    refusal = device_scope_refusal(device_id=device.device_id, device_type=device.device_type,
                                   smets_version=device.smets_version)
    if refusal is not None:
        return refusal
    party = actor.party
    refusal = _requester_refusal(device_id=device.device_id, responsible_id=device.responsible_supplier_id,
                                 prenotifier_id=device.prenotifying_supplier_id, party=party)
    if refusal is not None:
        return refusal
    if device.status not in RAISABLE_DEVICE_STATUSES:
        return _refuse_unusable_device(device.device_id, device.status)
    return None


def answer_from_deposits(inserted: dict[int, tuple[int, int]]) -> set[int]:
    """Answer new requests at once from install codes their assignee deposited (issue 18); set-based.

    ``inserted`` is ``{device pk: (incident pk, assignee pk)}``. A live deposit by the assignee becomes
    the request's code note (the ciphertext is copied, never decrypted), the request is Responded, its
    spell answered now (zero working days) with outcome ``deposit``, and the deposit is marked used.
    Returns the device pks answered.
    """
    if not inserted:
        return set()
    # One array parameter, not 100,000 placeholders; the partial unique index on live deposits serves it.
    deposits = [
        deposit for deposit in InstallCodeDeposit.objects.raw(
            f"SELECT * FROM {InstallCodeDeposit._meta.db_table} WHERE device_id = ANY(%s) "
            "AND used_at IS NULL AND superseded_at IS NULL ORDER BY id FOR UPDATE", [list(inserted)])
        if deposit.party_id == inserted[deposit.device_id][1]
    ]
    if not deposits:
        return set()
    now = timezone.now()
    notes = IncidentNote.objects.bulk_create([
        IncidentNote(incident_id=inserted[deposit.device_id][0], author_id=deposit.created_by_id,
                     party_id=deposit.party_id, created_at=now,
                     body=f"Install code deposited ahead on {timezone.localtime(deposit.created_at):%d %b %Y}.",
                     install_code_ciphertext=deposit.install_code_ciphertext)
        for deposit in deposits
    ], batch_size=5000)
    incident_pks = [inserted[deposit.device_id][0] for deposit in deposits]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Incident._meta.db_table} AS i SET state = %s, has_install_code = true, "
            "first_response_at = i.created_at, updated_at = %s, responder_party_id = d.party, "
            "assigned_party_at_response_id = d.party "
            "FROM unnest(%s::bigint[], %s::bigint[]) AS d(incident, party) WHERE i.id = d.incident",
            [IncidentState.RESPONDED.value, now, incident_pks, [d.party_id for d in deposits]],
        )
    # Answered the moment it was raised: zero working days.
    IncidentSpell.objects.filter(incident_id__in=incident_pks, ended_at__isnull=True).update(
        responded_at=F("started_at"), ended_at=F("started_at"), outcome=SpellOutcome.DEPOSIT)
    IncidentEvent.objects.bulk_create([
        IncidentEvent(incident_id=note.incident_id, kind=IncidentEventKind.CODE_FROM_DEPOSIT, at=now,
                      party_id=note.party_id, from_state=IncidentState.ASSIGNED, to_state=IncidentState.RESPONDED,
                      note=note, detail="Answered at once: the installing supplier had deposited the install code "
                                        "(SLA met at zero days).")
        for note in notes
    ], batch_size=5000)
    for deposit, incident_pk in zip(deposits, incident_pks, strict=True):
        deposit.used_by_id, deposit.used_at = incident_pk, now
    InstallCodeDeposit.objects.bulk_update(deposits, ["used_by", "used_at"], batch_size=5000)
    return {deposit.device_id for deposit in deposits}
