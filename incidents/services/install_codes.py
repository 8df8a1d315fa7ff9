"""R121-1..R121-3: raising install-code requests (MP121), one device or many.

Who may raise (the device's Responsible Supplier, a supplier), for which devices (R121-2: a SMETS2+
device that is Pending, Whitelisted or Installed not commissioned), and to whom it goes (R121-3: the
pre-notifying supplier, or the DCC service desk queue). Each raise writes its history rows
(``IncidentEvent``) and queues its emails through the outbox, in one transaction.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from incidents.choices import IncidentChannel, IncidentEventKind, IncidentState, IncidentType
from incidents.models import REFERENCE_SEQUENCE, Incident, IncidentEvent, format_reference
from incidents.services.common import party_of, record_event
from incidents.services.notifications import email_assignee
from incidents.services.sla import due_by_from
from inventory.choices import DeviceStatus
from inventory.models import Device
from portal.errors import DomainError, NotFound, PermissionDenied, RuleRefused, ValidationFailed
from portal.eui64 import normalise_device_id
from portal.models import Party, User
from portal.selectors import dcc_party

#: R121-2: states where an install code helps to commission the device.
RAISABLE_DEVICE_STATUSES = (DeviceStatus.PENDING, DeviceStatus.WHITELISTED, DeviceStatus.INSTALLED_NOT_COMMISSIONED)


def require_supplier(party: Party) -> None:
    if not party.is_supplier:
        raise PermissionDenied(
            "Only energy suppliers (Import, Export or Gas Supplier) can request an install code.",
            code="not_a_supplier",
        )


def _refuse_unusable_device(device_id: str, status: str) -> RuleRefused:
    label = DeviceStatus(status).label if status in DeviceStatus.values else status
    return RuleRefused(
        f"Device {device_id} is {label}: an install code can only be requested for a device that is Pending, "
        "Whitelisted or Installed not commissioned.",
        code="device_status_not_eligible", errors={"device_id": [f"The device is {label}."]},
    )


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

    A second request for the same device by the same party while the first is open returns the
    first (``created`` is False) instead of opening a duplicate.
    """
    party = party_of(actor)
    require_supplier(party)
    if not (device_id or "").strip():
        raise ValidationFailed("The Device ID is required.", code="device_id_required",
                               errors={"device_id": ["The Device ID is required."]})
    canonical = normalise_device_id(device_id)
    # Locking the device row serialises single raises for one device. NO KEY: the lock must not conflict
    # with the FOR KEY SHARE that a concurrent bulk raise's deferred foreign-key check takes on the same row
    # at its commit (that would deadlock); a bulk raise racing this one is settled by the unique index below.
    device = (
        Device.objects.select_for_update(of=("self",), no_key=True).select_related("prenotifying_supplier")
        .filter(device_id=canonical).first()
    )
    if device is None:
        raise NotFound(f"Device {canonical} is not in the Smart Metering Inventory.", code="device_not_found",
                       errors={"device_id": ["No such device in the SMI."]})
    refusal = _requester_refusal(device_id=canonical, responsible_id=device.responsible_supplier_id,
                                 prenotifier_id=device.prenotifying_supplier_id, party=party)
    if refusal is not None:
        raise refusal
    existing = _open_request(device=device, party=party)
    if existing is not None:
        return existing, False
    if device.status not in RAISABLE_DEVICE_STATUSES:
        raise _refuse_unusable_device(canonical, device.status)

    service_desk = dcc_party()
    assignee = _assignee_for(prenotifier=device.prenotifying_supplier, requester=party, service_desk=service_desk)
    now = timezone.now()
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                reference=format_reference(_next_reference_numbers(1)[0]), type=IncidentType.INSTALL_CODE_REQUEST,
                state=_state_for_assignee(assignee.pk, service_desk.pk), channel=channel, device=device,
                raised_by=party, raised_by_user=actor, assigned_party=assignee,
                due_by=due_by_from(timezone.localdate(now)), created_at=now, updated_at=now,
            )
    except IntegrityError as error:
        # A concurrent bulk raise committed a request for this device first (the index waited for it):
        # answer with that one, as for any second request.
        existing = _open_request(device=device, party=party) if _is_open_request_conflict(error) else None
        if existing is None:
            raise
        return existing, False
    record_event(incident, IncidentEventKind.CREATED, actor=actor, party=party, to_state=IncidentState.NEW,
                 detail=f"Raised through {IncidentChannel(channel).label} for device {canonical}.")
    record_event(incident, IncidentEventKind.ASSIGNED, actor=actor, party=party, from_state=IncidentState.NEW,
                 to_state=incident.state, assigned_party=assignee, detail=_assignment_reason(device, party, assignee))
    email_assignee(incident)
    return incident, True


#: The partial unique index that allows one open request per device, raising party and type.
OPEN_REQUEST_CONSTRAINT = "incident_one_open_per_device_and_raiser"


def _open_request(*, device: Device, party: Party) -> Incident | None:
    """The party's open install-code request for the device, if any (a new statement: sees committed rows)."""
    return (
        Incident.objects.select_related("device", "raised_by", "assigned_party")
        .filter(device=device, raised_by=party, type=IncidentType.INSTALL_CODE_REQUEST)
        .exclude(state=IncidentState.CLOSED).first()
    )


def _is_open_request_conflict(error: IntegrityError) -> bool:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) == OPEN_REQUEST_CONSTRAINT


def _assignment_reason(device: Device, requester: Party, assignee: Party) -> str:
    if not assignee.is_dcc:
        return f"Assigned automatically to the pre-notifying supplier {assignee.code}."
    if device.prenotifying_supplier_id is None:
        return "The pre-notifying supplier is not known: sent to the DCC service desk queue."
    return f"{requester.code} pre-notified the device itself: sent to the DCC service desk queue."


def _next_reference_numbers(count: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [REFERENCE_SEQUENCE, count])
        return [row[0] for row in cursor.fetchall()]


def _assignee_for(*, prenotifier: Party | None, requester: Party, service_desk: Party) -> Party:
    """R121-3: the pre-notifying supplier; the DCC service desk when unknown or the requester itself."""
    if prenotifier is None or prenotifier.pk == requester.pk:
        return service_desk
    return prenotifier


def _assignee_id_for(*, prenotifier_id: int | None, requester_id: int, service_desk_id: int) -> int:
    if prenotifier_id is None or prenotifier_id == requester_id:
        return service_desk_id
    return prenotifier_id


def _state_for_assignee(assignee_id: int, service_desk_id: int) -> IncidentState:
    return IncidentState.NEW if assignee_id == service_desk_id else IncidentState.ASSIGNED



@dataclass
class BulkRowResult:
    device_id: str
    ok: bool
    reference: str = ""
    error: str = ""
    existing: bool = False
    assigned_party_id: int | None = None


def install_code_requests_raise(*, device_ids: list[str], actor: User, party: Party, channel: IncidentChannel,
                                service_desk: Party) -> list[BulkRowResult]:
    """Validate each row on its own and create the valid ones, set-based (call inside a transaction).

    One query fetches every device, one the open duplicates, one allocates the references, and
    incidents and their history are written with ``bulk_create``: 100,000 rows take seconds.
    """
    results: list[BulkRowResult] = []
    canonical: list[str | None] = []
    for raw in device_ids:
        raw = (raw or "").strip()
        try:
            canonical.append(normalise_device_id(raw) if raw else None)
            results.append(BulkRowResult(device_id=raw, ok=False, error="" if raw else "The Device ID is required."))
        except ValidationFailed as error:
            canonical.append(None)
            results.append(BulkRowResult(device_id=raw, ok=False, error=error.detail))
    wanted = sorted({value for value in canonical if value})
    device_table = Device._meta.db_table
    devices: dict[str, tuple[int, str, int | None]] = {}
    responsible: dict[str, int | None] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, device_id, status, prenotifying_supplier_id, responsible_supplier_id FROM {device_table} "
            "WHERE device_id = ANY(%s)",
            [wanted],
        )
        for pk, device_id, status, prenotifier_id, responsible_id in cursor.fetchall():
            devices[device_id] = (pk, status, prenotifier_id)
            responsible[device_id] = responsible_id
        cursor.execute(
            f"SELECT device_id, reference, assigned_party_id FROM {Incident._meta.db_table} "
            "WHERE raised_by_id = %s AND type = %s AND state <> %s AND device_id = ANY(%s)",
            [party.pk, IncidentType.INSTALL_CODE_REQUEST, IncidentState.CLOSED,
             [pk for pk, _status, _prenotifier in devices.values()]],
        )
        open_by_device_pk = {device_pk: (reference, assignee) for device_pk, reference, assignee in cursor.fetchall()}

    to_create: list[tuple[int, BulkRowResult, int]] = []
    created_in_file: dict[str, BulkRowResult] = {}
    for result, device_id in zip(results, canonical, strict=True):
        if device_id is None:
            continue
        result.device_id = device_id
        found = devices.get(device_id)
        if found is None:
            result.error = f"Device {device_id} is not in the Smart Metering Inventory."
            continue
        device_pk, status, prenotifier_id = found
        refusal = _requester_refusal(device_id=device_id, responsible_id=responsible[device_id],
                                     prenotifier_id=prenotifier_id, party=party)
        if refusal is not None:
            result.error = refusal.detail
            continue
        if device_pk in open_by_device_pk:
            reference, assignee_id = open_by_device_pk[device_pk]
            result.ok, result.existing, result.reference, result.assigned_party_id = True, True, reference, assignee_id
            continue
        if device_id in created_in_file:
            result.ok, result.existing = True, True
            result.assigned_party_id = created_in_file[device_id].assigned_party_id
            continue
        if status not in RAISABLE_DEVICE_STATUSES:
            result.error = _refuse_unusable_device(device_id, status).detail
            continue
        assignee_id = _assignee_id_for(prenotifier_id=prenotifier_id, requester_id=party.pk,
                                       service_desk_id=service_desk.pk)
        result.ok, result.assigned_party_id = True, assignee_id
        created_in_file[device_id] = result
        to_create.append((device_pk, result, assignee_id))

    if to_create:
        numbers = _next_reference_numbers(len(to_create))
        for (_device_pk, result, _assignee_id), number in zip(to_create, numbers, strict=True):
            result.reference = format_reference(number)
        inserted = _insert_incidents_with_history(
            rows=[(result.reference, _state_for_assignee(assignee_id, service_desk.pk), device_pk, assignee_id)
                  for device_pk, result, assignee_id in to_create],
            actor=actor, party=party, channel=channel,
        )
        lost = {device_pk: result for device_pk, result, _assignee_id in to_create if device_pk not in inserted}
        if lost:
            _answer_with_concurrent_requests(lost, party=party)
    # Rows repeating a device within the file point at the request created for its first row.
    for result in results:
        if result.ok and result.existing and not result.reference and result.device_id in created_in_file:
            result.reference = created_in_file[result.device_id].reference
    return results


def _answer_with_concurrent_requests(lost: dict[int, BulkRowResult], *, party: Party) -> None:
    """Rows whose insert found an open request that a concurrent raise committed first: answer with it.

    ``lost`` maps device pks to their results. The read is a new statement, so it sees that commit.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT device_id, reference, assigned_party_id FROM {Incident._meta.db_table} "
            "WHERE raised_by_id = %s AND type = %s AND state <> %s AND device_id = ANY(%s)",
            [party.pk, IncidentType.INSTALL_CODE_REQUEST, IncidentState.CLOSED, list(lost)],
        )
        found = {device_pk: (reference, assignee_id) for device_pk, reference, assignee_id in cursor.fetchall()}
    for device_pk, result in lost.items():
        if device_pk in found:
            result.existing = True
            result.reference, result.assigned_party_id = found[device_pk]
        else:  # the concurrent request was closed again in the meantime
            result.ok, result.reference, result.assigned_party_id = False, "", None
            result.error = "Another request for this device was being raised or closed at the same time: try again."


#: From this many rows a bulk insert refreshes the tables' statistics before its commit.
BULK_ANALYZE_THRESHOLD = 5_000

# ON CONFLICT names the partial unique index ``incident_one_open_per_device_and_raiser`` (columns and
# predicate): a device whose open request a concurrent raise holds is skipped, after waiting for that
# transaction, instead of failing the whole statement. Rows go in device order, so two bulk raises
# over the same devices wait for each other instead of deadlocking.
_BULK_INSERT_SQL = """
WITH new_incidents AS (
    INSERT INTO {incident} (reference, type, state, channel, device_id, raised_by_id, raised_by_user_id,
                            assigned_party_id, due_by, created_at, updated_at, has_install_code, breached, closure_kind)
    SELECT row.reference, %(type)s, row.state, %(channel)s, row.device_id, %(party)s, %(actor)s,
           row.assigned_party_id, %(due_by)s, %(now)s, %(now)s, false, false, ''
    FROM unnest(%(references)s::text[], %(states)s::text[], %(devices)s::bigint[], %(assignees)s::bigint[])
         AS row(reference, state, device_id, assigned_party_id)
    ORDER BY row.device_id
    ON CONFLICT (device_id, raised_by_id, type) WHERE state <> '{closed}' DO NOTHING
    RETURNING id, device_id, state, assigned_party_id
), new_events AS (
    INSERT INTO {event} (incident_id, kind, at, actor_id, party_id, from_state, to_state, assigned_party_id, detail)
    SELECT new_incidents.id, step.kind, %(now)s, %(actor)s, %(party)s,
           CASE WHEN step.n = 1 THEN '' ELSE %(new)s END,
           CASE WHEN step.n = 1 THEN %(new)s ELSE new_incidents.state END,
           CASE WHEN step.n = 1 THEN NULL ELSE new_incidents.assigned_party_id END,
           CASE WHEN step.n = 1 THEN %(created_detail)s ELSE %(assigned_detail)s END
    FROM new_incidents CROSS JOIN (VALUES (1, %(created)s), (2, %(assigned)s)) AS step(n, kind)
    ORDER BY new_incidents.id, step.n
)
SELECT device_id FROM new_incidents
"""


def _insert_incidents_with_history(*, rows: list[tuple[str, str, int, int]], actor: User, party: Party,
                                   channel: IncidentChannel) -> set[int]:
    """Insert incidents and their "raised" and "assigned" history rows in ONE set-based statement.

    ``rows`` are ``(reference, state, device pk, assignee pk)``. A data-modifying CTE feeds the new
    incident ids straight into the history insert, so 100,000 requests need no per-row Python model
    objects or parameters (Django's ``bulk_create`` spent most of its time preparing values).
    Returns the device pks inserted: a device missing from it already had an open request, committed
    by a concurrent raise while this one ran.
    """
    now = timezone.now()
    sql = _BULK_INSERT_SQL.format(incident=Incident._meta.db_table, event=IncidentEvent._meta.db_table,
                                  closed=IncidentState.CLOSED.value)
    with connection.cursor() as cursor:
        cursor.execute(sql, {
            "type": IncidentType.INSTALL_CODE_REQUEST.value, "channel": IncidentChannel(channel).value,
            "party": party.pk, "actor": actor.pk, "due_by": due_by_from(timezone.localdate(now)), "now": now,
            "references": [row[0] for row in rows], "states": [str(row[1]) for row in rows],
            "devices": [row[2] for row in rows], "assignees": [row[3] for row in rows],
            "new": IncidentState.NEW.value, "created": IncidentEventKind.CREATED.value,
            "assigned": IncidentEventKind.ASSIGNED.value,
            "created_detail": f"Raised through {IncidentChannel(channel).label}.",
            "assigned_detail": "Assigned automatically to the pre-notifying supplier (or the service desk).",
        })
        inserted = {row[0] for row in cursor.fetchall()}
        if len(rows) >= BULK_ANALYZE_THRESHOLD:
            # The deferred foreign-key checks run at COMMIT with plans this connection cached while the
            # tables were small (sequential scans): refreshing the statistics invalidates those plans.
            cursor.execute(f"ANALYZE {Incident._meta.db_table}, {IncidentEvent._meta.db_table}")
    return inserted
