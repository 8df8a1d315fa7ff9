"""Bulk install-code requests: one ``POST /api/v1/incidents/install-code-requests/bulk/`` of 100,000 rows,
sent as the CSV upload (a ``device_id`` column) a supplier's system would send for a file that size.

Only devices that are Pending, Whitelisted or Installed not commissioned accept an install-code
request. The dataset's own such devices are used first; if there are too few, the missing ones are
added as new Pending devices of the supplier (copies of an existing row, each with a fresh Device ID):
a supplier may raise only for devices it is the Responsible Supplier of, and every row of the request
is one the service must create. The reference is the per-row endpoint
(``POST /api/v1/incidents/install-code-requests/``) called once per device for a few hundred devices:
what a client without the bulk path would get. It runs once, as the last measurement: it writes
100,000 incidents that a second run would find as duplicates.

A request of more than ``BULK_API_INLINE_MAX_ROWS`` rows is answered 202 with the bulk job to poll; the
benchmark runs no Celery worker, so it then runs the job in this process (``incident_bulk_job_run``, what
the worker's task does) and reads its counts from the job's URL. The figure is the POST plus the job.
"""
from __future__ import annotations

import time
from collections import Counter

import requests
from django.db import connection

from benchmarks.context import BenchContext, route_exists
from benchmarks.dataset import progress
from benchmarks.results import Row, rate, ratio

BULK_PATH = "/api/v1/incidents/install-code-requests/bulk/"
SINGLE_PATH = "/api/v1/incidents/install-code-requests/"
SINGLE_REFERENCE_ROWS = 200
TARGET_ROWS = 100_000
BULK_TARGET_SECONDS = 60.0
RAISABLE_STATUSES = ["Pending", "Whitelisted", "InstalledNotCommissioned"]
#: Device IDs of the devices added for the measurement: FB-EC-xx-xx-xx-xx-xx-xx (hex counter).
ADDED_PREFIX = "FB-EC-"


def _raisable_device_ids(party_id: int, count: int) -> list[str]:
    """Devices the supplier is responsible for that accept a request and have none open."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT d.device_id FROM inventory_device d WHERE d.status = ANY(%s) AND d.smets_version = 'SMETS2+' "
            "AND d.device_type IN ('ESME', 'GSME', 'PPMID', 'HCALCS') "
            "AND d.responsible_supplier_id = %s AND NOT EXISTS "
            "(SELECT 1 FROM incidents_incident i WHERE i.device_id = d.id AND i.state <> 'closed') "
            "ORDER BY d.device_id LIMIT %s",
            [RAISABLE_STATUSES, party_id, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _add_pending_devices(party_id: int, count: int) -> None:
    """Insert ``count`` Pending devices pre-notified by the supplier, each a copy of one existing device with
    a new Device ID, no hub, no commissioning date and not restricted."""
    overridden = {"id", "device_id", "status", "hub_id", "date_commissioned", "restricted", "restricted_since",
                  "responsible_supplier_id", "prenotifying_supplier_id"}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name = 'inventory_device' ORDER BY ordinal_position"
        )
        copied = [row[0] for row in cursor.fetchall() if row[0] not in overridden]
        hex_id = "lpad(upper(to_hex(n)), 12, '0')"
        new_id = " || '-' || ".join(f"substr({hex_id}, {start}, 2)" for start in range(1, 13, 2))
        cursor.execute(
            "INSERT INTO inventory_device (device_id, status, hub_id, date_commissioned, restricted, restricted_since, "
            f"responsible_supplier_id, prenotifying_supplier_id, {', '.join(copied)}) "
            f"SELECT '{ADDED_PREFIX}' || {new_id}, 'Pending', NULL, NULL, false, NULL, %s, %s, "
            f"{', '.join('t.' + column for column in copied)} "
            "FROM generate_series((SELECT count(*) FROM inventory_device WHERE device_id LIKE %s) + 1, "
            "(SELECT count(*) FROM inventory_device WHERE device_id LIKE %s) + %s) AS n "
            "CROSS JOIN (SELECT * FROM inventory_device WHERE responsible_supplier_id IS NOT NULL "
            "AND device_type = 'ESME' AND smets_version = 'SMETS2+' ORDER BY id LIMIT 1) AS t",  # R121-2: Type 1
            [party_id, party_id, f"{ADDED_PREFIX}%", f"{ADDED_PREFIX}%", count],
        )
        cursor.execute("ANALYZE inventory_device")


def _one_at_a_time_rate(context: BenchContext, device_ids: list[str]) -> float:
    """Rows/s of the per-row endpoint, one request after another: what a client without the bulk path gets."""
    session = context.supplier.session()
    started = time.perf_counter()
    for device_id in device_ids:
        response = session.post(context.url(SINGLE_PATH), json={"device_id": device_id}, timeout=60)
        if response.status_code != 201:
            raise RuntimeError(f"single install-code request answered {response.status_code}: {response.text[:300]}")
    return len(device_ids) / (time.perf_counter() - started)


def _check_step(context: BenchContext, upload: bytes, rows: int, target: str) -> Row:
    """The upload's check step (``check=true``): every row judged in a dry run of the one raise, nothing raised."""
    started = time.perf_counter()
    response = requests.post(
        context.url(BULK_PATH), files={"file": ("devices.csv", upload, "text/csv")}, data={"check": "true"},
        headers={"Authorization": f"Token {context.supplier.token}"}, timeout=900,
    )
    seconds = time.perf_counter() - started
    if response.status_code != 201 or response.json().get("status") != "checked":
        raise RuntimeError(f"bulk check answered {response.status_code}: {response.text[:300]}")
    outcomes = response.json()["preview"]["outcomes"]
    if outcomes["raise"] != rows:
        raise RuntimeError(f"the check would raise {outcomes['raise']:,} of {rows:,} rows: {outcomes}")
    return Row(f"Bulk install-code requests, check step before confirming ({rows:,} rows, 1 run)",
               f"{seconds:.1f} s ({rate(rows / seconds, 1)})", "nothing raised (a dry run of the same statements)",
               None, target, rows / seconds >= TARGET_ROWS / BULK_TARGET_SECONDS)


def measure_bulk_install_code_requests(context: BenchContext) -> list[Row]:
    rows_wanted = context.options.bulk_rows
    name = f"Bulk install-code requests, CSV upload ({rows_wanted:,} rows, 1 run)"
    target = f"{TARGET_ROWS:,} rows < {BULK_TARGET_SECONDS:.0f} s (>= {TARGET_ROWS / BULK_TARGET_SECONDS:,.0f}/s)"
    if not route_exists(BULK_PATH):
        return [Row.not_available(name, "POST /api/v1/incidents/install-code-requests/bulk/ is not routed yet", target)]
    single_rows = min(SINGLE_REFERENCE_ROWS, rows_wanted)
    party_id = context.supplier.party_id
    device_ids = _raisable_device_ids(party_id, rows_wanted + single_rows)
    added = rows_wanted + single_rows - len(device_ids)
    if added:
        progress(f"adding {added:,} Pending devices for the bulk request")
        _add_pending_devices(party_id, added)
        device_ids = _raisable_device_ids(party_id, rows_wanted + single_rows)
    single_ids, device_ids = device_ids[:single_rows], device_ids[single_rows:]
    upload = ("device_id\n" + "\n".join(device_ids) + "\n").encode()
    check_row = _check_step(context, upload, len(device_ids), target)
    started = time.perf_counter()
    response = requests.post(
        context.url(BULK_PATH), files={"file": ("devices.csv", upload, "text/csv")},
        headers={"Authorization": f"Token {context.supplier.token}"}, timeout=900,
    )
    if response.status_code == 202:  # a job: run it here (no worker in the benchmark), then read its counts
        from incidents.services.bulk import incident_bulk_job_run

        incident_bulk_job_run(job_id=response.json()["id"])
        job = context.supplier.session().get(response.headers["Location"], timeout=60).json()
        seconds = time.perf_counter() - started
        created = job["created_count"]
        if created != len(device_ids):
            refused = context.supplier.session().get(job["results"], params={"ok": "false", "limit": 1000},
                                                     timeout=60).json()["results"]
            raise RuntimeError(f"only {created:,} of {len(device_ids):,} rows were accepted; most common refusals: "
                               f"{Counter(row['error'] for row in refused).most_common(2)}")
    elif response.status_code == 200:
        seconds = time.perf_counter() - started
        results = response.json()["results"]
        created = sum(1 for row in results if row.get("ok"))
        if created != len(device_ids):
            refusals = Counter(row.get("error") or "" for row in results if not row.get("ok")).most_common(2)
            raise RuntimeError(f"only {created:,} of {len(device_ids):,} rows were accepted; most common refusals: "
                               f"{refusals}")
    else:
        raise RuntimeError(f"bulk request answered {response.status_code}: {response.text[:300]}")
    bulk_rate = len(device_ids) / seconds
    # After the bulk request: on a near-empty incidents table, per-row requests first would leave the
    # worker's connection with foreign-key check plans made for a tiny table (see docs/performance.md).
    single_rate = _one_at_a_time_rate(context, single_ids)
    note = f"; {added:,} Pending devices added for it" if added else ""
    return [check_row, Row(
        name, f"{seconds:.1f} s ({rate(bulk_rate, 1)})",
        f"one request per row ({single_rows} rows): {rate(single_rate, 1)}{note}", ratio(bulk_rate, single_rate),
        target, bulk_rate >= TARGET_ROWS / BULK_TARGET_SECONDS,
    )]
