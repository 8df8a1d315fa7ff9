"""Realistic service-request traffic over the estate, bulk-loaded into the partitioned log with COPY.

For the monthly performance reports (R169-10) the log needs months of history: successes (I0/I99),
communication failures (E20 "unable to communicate with the device", E21 "no response received from
the device"), rejections (E19, E2, E5, E12) and E72 for requests to devices that were restricted AT THE
TIME of the request - taken from ``inventory.RestrictionChange`` (a device restricted in March has
I99 consumption reads in February and E72 from March on). Each row is judged by the gateway's own rules
(``gateway.services.service_request_decide``) with the device's state at the simulated time.
"""
from __future__ import annotations

import bisect
import datetime as dt
import random
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from types import SimpleNamespace

from django.db import connection, transaction

from gateway import catalogue
from gateway.choices import Channel, ResponseCode
from gateway.models import RestrictedSrvAllowance
from gateway.partitions import add_months, month_start, partitions_ensure
from gateway.services import service_request_decide
from inventory.models import Device, RestrictionChange
from portal.models import Party

#: SRV -> (weight, command variant, scheduled SRV for 5.1). Everyday DUIS traffic: reads dominate.
TRAFFIC_MIX: dict[str, tuple[int, int, str | None]] = {
    "4.1.1": (18, 1, None), "4.6.1": (14, 1, None), "4.8.1": (10, 1, None), "4.17": (8, 1, None),
    "4.10": (3, 1, None), "4.2": (2, 1, None), "4.3": (3, 1, None), "4.18": (2, 1, None),
    "6.2.4": (4, 1, None), "6.13": (2, 1, None), "6.11": (2, 4, None), "6.15.1": (1, 4, None),
    "7.4": (3, 1, None), "11.2": (4, 1, None), "11.1": (1, 8, None), "8.11": (1, 1, None),
    "8.2": (6, 8, None), "12.2": (1, 8, None), "5.1": (2, 8, "4.6.1"),
}
E20_RATE = 0.03
E21_RATE = 0.02
UNKNOWN_DEVICE_RATE = 0.005
WRONG_VARIANT_RATE = 0.005
WRONG_PARTY_RATE = 0.01
MAX_DEVICES = 200_000
COPY_COLUMNS = ("request_id", "requested_at", "party_id", "srv", "srv_category", "device_id", "command_variant",
                "response_code", "detail", "restricted_at_request", "csp_region", "channel")


@dataclass
class _Estate:
    devices: list[tuple]
    history: dict[int, tuple[list[dt.datetime], list[bool], bool]]
    parties: dict[int, Party]


def _load_estate() -> _Estate:
    devices = list(
        Device.objects.order_by("id").values_list(
            "id", "device_id", "status", "csp_region", "responsible_supplier_id", "network_operator_id",
            "restricted", "restricted_since",
        )[:MAX_DEVICES]
    )
    history: dict[int, tuple[list, list, bool]] = {}
    changes = defaultdict(list)
    for device_pk, at, old, new in RestrictionChange.objects.order_by("at", "id").values_list(
            "device_id", "at", "old_value", "new_value"):
        changes[device_pk].append((at, old, new))
    for device_pk, rows in changes.items():
        history[device_pk] = ([r[0] for r in rows], [r[2] for r in rows], rows[0][1])
    parties = {p.pk: p for p in Party.objects.all()}
    return _Estate(devices=devices, history=history, parties=parties)


def restricted_at(estate: _Estate, device: tuple, at: dt.datetime) -> bool:
    """Was the device restricted at ``at``? The last RestrictionChange before it decides; without history,
    the device's flag and ``restricted_since``."""
    record = estate.history.get(device[0])
    if record is not None:
        times, values, initial = record
        index = bisect.bisect_right(times, at)
        return values[index - 1] if index else initial
    return bool(device[6] and device[7] and device[7] <= at)


def traffic_generate(*, months: int, per_day: int, end: dt.datetime, seed: int = 169) -> Counter:
    """Write ``per_day`` requests a day for the ``months`` months ending at ``end`` (this month included).
    Returns the count per response code."""
    estate = _load_estate()
    if not estate.devices:
        raise ValueError("The inventory has no devices: load an estate first (manage.py demo_data --devices N).")
    rng = random.Random(seed)
    allowed = set(RestrictedSrvAllowance.objects.values_list("srv_id", flat=True))
    mix = [(catalogue.srv_get(srv), variant, catalogue.srv_get(sched) if sched else None)
           for srv, (_w, variant, sched) in TRAFFIC_MIX.items()]
    weights = [w for w, _v, _s in TRAFFIC_MIX.values()]
    all_parties = [p for p in estate.parties.values() if not (p.is_dcc or p.is_csp)]
    first = add_months(month_start(end), -(months - 1))
    partitions_ensure(first=first, last=end.date())
    start = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    days = (end - start).days + 1
    counts: Counter = Counter()
    copy_sql = f"COPY gateway_servicerequestlog ({', '.join(COPY_COLUMNS)}) FROM STDIN"
    with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
        for day in range(days):
            day_start = start + dt.timedelta(days=day)
            for _ in range(per_day):
                at = day_start + dt.timedelta(seconds=rng.uniform(0, 86400))
                if at > end:
                    continue
                row = _one_request(rng, estate, mix, weights, allowed, all_parties, at)
                counts[row[7]] += 1
                copy.write_row(row)
    return counts


def _one_request(rng, estate, mix, weights, allowed, all_parties, at) -> tuple:
    entry, variant, scheduled = rng.choices(mix, weights=weights)[0]
    device = rng.choice(estate.devices)
    judged = scheduled or entry
    party = estate.parties.get(device[4]) or rng.choice(all_parties)
    if not set(party.roles) & set(entry.eligible_roles) and device[5] in estate.parties:
        party = estate.parties[device[5]]  # e.g. a network operator's read
    if rng.random() < WRONG_PARTY_RATE and all_parties:
        party = rng.choice(all_parties)
    if rng.random() < WRONG_VARIANT_RATE:
        variant = 7 if variant != 7 else 1
    device_id, state = device[1], None
    restricted = False
    if entry.targets_device:
        if rng.random() < UNKNOWN_DEVICE_RATE:
            raw = f"00DBFF{rng.randrange(16**10):010X}"
            device_id = "-".join(raw[i:i + 2] for i in range(0, 16, 2))
        else:
            restricted = restricted_at(estate, device, at)
            state = SimpleNamespace(device_id=device[1], status=device[2], responsible_supplier_id=device[4],
                                    network_operator_id=device[5], restricted=restricted,
                                    srv_allowed=judged.srv in allowed)
    refusal = service_request_decide(entry=entry, judged=judged, device=state, device_id=device_id, party=party,
                                     command_variant=variant, run_device_checks=False)
    if refusal is not None:
        code, detail = refusal.code, refusal.reason
    elif entry.success_code == ResponseCode.ACKNOWLEDGED and rng.random() < E20_RATE + E21_RATE:
        code = ResponseCode.UNABLE_TO_COMMUNICATE if rng.random() < E20_RATE / (E20_RATE + E21_RATE) \
            else ResponseCode.NO_RESPONSE
        detail = code.label
    else:
        code, detail = entry.success_code, f"SRV {entry.srv} {entry.name}: accepted."
    return (str(uuid.UUID(int=rng.getrandbits(128))), at, party.pk, entry.srv, entry.category,
            device_id if entry.targets_device else "", variant, str(code), detail[:250],
            restricted, device[3] if state is not None else "", Channel.GENERATOR)
