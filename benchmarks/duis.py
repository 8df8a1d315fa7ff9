"""DUIS throughput: ``POST /duis/`` with requests signed by the real client (the DCC Boxed tool) against
``GET /api/v1/health/`` on the same server, in the same run.

The requests are 4.1.1 reads of the largest supplier's meters, signed outside the timed loop, each with a fresh
counter (the tool sets it to the current milliseconds). Anti-replay needs one originator's counters to arrive in
order, so each client thread is its own DUIS User: the supplier gets one User ID per thread (demo-CA certificates
registered by the DCC), and a thread sends its own requests one after another. Every answer must be a signed
``I99``; anything else fails the measurement.
"""
from __future__ import annotations

import threading
import time

import requests
from django.db import connection

from benchmarks.context import BenchContext, route_exists
from benchmarks.results import Row, median, rate, ratio

DUIS_PATH = "/duis/"
TARGET_RATIO = 0.5
REQUEST = """<?xml version="1.0" encoding="UTF-8"?>
<sr:Request xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway" schemaVersion="5.1">
  <sr:Header>
    <sr:RequestID>{originator}:{device_id}:1</sr:RequestID>
    <sr:CommandVariant>1</sr:CommandVariant>
    <sr:ServiceReference>4.1</sr:ServiceReference>
    <sr:ServiceReferenceVariant>4.1.1</sr:ServiceReferenceVariant>
  </sr:Header>
  <sr:Body><sr:ReadInstantaneousImportRegisters/></sr:Body>
</sr:Request>
"""


def _identities(context: BenchContext, threads: int):
    """One demo-CA User ID per client thread for the supplier, registered through the DCC's service."""
    from gateway.duis.identities import duis_identity_register, duis_identity_revoke
    from gateway.models import DuisIdentity
    from portal.models import Party, User
    from tests.gateway.duis_client import demo_identity

    supplier = Party.objects.get(pk=context.supplier.party_id)
    desk = User.objects.get(pk=context.dcc.user_id)
    folder = context.workdir / "duis-identities"
    folder.mkdir(exist_ok=True)
    made = []
    for index in range(threads):
        user_id = f"90-B3-D5-1F-BE-00-00-{index + 1:02X}"
        if DuisIdentity.objects.filter(user_id=user_id, revoked_at__isnull=True).exists():
            holder = DuisIdentity.objects.get(user_id=user_id, revoked_at__isnull=True)
            duis_identity_revoke(actor=desk, party=holder.party, user_id=user_id, reason="benchmark rerun")
        identity = demo_identity(folder, user_id)
        duis_identity_register(actor=desk, party=supplier, user_id=user_id, role="IS",
                               certificate_pem=identity.certificate_pem, reason="benchmark")
        made.append(identity)
    return made


def measure_duis(context: BenchContext) -> list[Row]:
    name, target = "Gateway: POST /duis/ (signed by the DCC Boxed tool)", f">= {TARGET_RATIO}x /api/v1/health/"
    if not route_exists(DUIS_PATH):
        return [Row.not_available(name, "POST /duis/ is not routed", target)]
    from gateway.duis import boxed
    from tests.gateway.duis_client import BoxedTool

    try:
        tool = BoxedTool(boxed.boxed_jar())
    except (boxed.BoxedToolUnavailable, OSError) as error:
        return [Row.not_available(name, f"the DCC Boxed tool cannot run: {error}", target)]
    threads, count = context.options.concurrency, context.options.duis_requests
    with connection.cursor() as cursor:
        cursor.execute("SELECT device_id FROM inventory_device WHERE responsible_supplier_id = %s AND device_type = "
                       "'ESME' AND status = 'Commissioned' AND NOT restricted ORDER BY random() LIMIT 2000",
                       [context.supplier.party_id])
        devices = [row[0] for row in cursor.fetchall()]
    if not devices:
        return [Row.not_available(name, f"supplier {context.supplier.party_code} has no commissioned ESME", target)]
    identities = _identities(context, threads)
    per_thread = max(1, count // threads)
    headers = {"Authorization": f"Token {context.supplier.token}", "Content-Type": "application/xml"}
    duis_url, health_url = context.url(DUIS_PATH), context.url("/api/v1/health/")

    def signed_batch(offset: int) -> list[list[bytes]]:
        batches = []
        for index, identity in enumerate(identities):
            batch = []
            for n in range(per_thread):
                device_id = devices[(offset + index * per_thread + n) % len(devices)]
                batch.append(tool.sign(REQUEST.format(originator=identity.user_id, device_id=device_id).encode(),
                                       identity=identity))
            batches.append(batch)
        return batches

    def send_all(batches: list[list[bytes]]) -> tuple[float, int]:
        failures = [0]
        lock = threading.Lock()

        def run(batch: list[bytes]) -> None:
            session = requests.Session()
            for body in batch:
                answer = session.post(duis_url, data=body, headers=headers, timeout=60)
                if answer.status_code != 200 or b"<sr:ResponseCode>I99<" not in answer.content:
                    with lock:
                        failures[0] += 1

        workers = [threading.Thread(target=run, args=(batch,)) for batch in batches]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return time.perf_counter() - started, failures[0]

    def health_all() -> float:
        def run() -> None:
            session = requests.Session()
            for _ in range(per_thread):
                session.get(health_url, timeout=60).raise_for_status()

        workers = [threading.Thread(target=run) for _ in range(threads)]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return time.perf_counter() - started

    try:
        sent = per_thread * threads
        signing_started = time.perf_counter()
        runs = [signed_batch(repeat * sent) for repeat in range(context.options.repeat + 1)]
        signing_seconds = time.perf_counter() - signing_started
        send_all(runs.pop(0))  # warm the workers (connections, schema, certificates)
        duis_rates, health_rates = [], []
        for batches in runs:
            seconds, failures = send_all(batches)
            if failures:
                raise RuntimeError(f"{failures} of {sent} signed DUIS requests were not answered I99")
            duis_rates.append(sent / seconds)
            health_rates.append(sent / health_all())
    finally:
        tool.close()
    duis_rate, health_rate = median(duis_rates), median(health_rates)
    context.notes.append(f"DUIS: {sent * (context.options.repeat + 1):,} requests signed by the DCC Boxed tool in "
                         f"{signing_seconds:.1f} s, outside the timed loop.")
    return [Row(
        f"{name} ({sent:,} requests, {threads} clients)", rate(duis_rate, 1), f"/api/v1/health/: {rate(health_rate, 1)}",
        ratio(duis_rate, health_rate), target, duis_rate >= TARGET_RATIO * health_rate,
    )]
