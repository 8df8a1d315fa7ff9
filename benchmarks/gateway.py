"""Gateway throughput: ``POST /api/v1/service-requests/`` against ``GET /api/v1/health/``.

A bounded number of requests is sent by a pool of threads, one ``requests.Session`` each, to the
same gunicorn; the reference is the trivial health endpoint served the same way, so the ratio is
what the gateway's own work (SRV checks, device lookup, the log write) costs relative to the stack.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import requests
from django.db import connection

from benchmarks.context import BenchContext, route_exists
from benchmarks.results import Row, median, rate, ratio

SERVICE_REQUEST_PATH = "/api/v1/service-requests/"
GATEWAY_TARGET_RATIO = 0.5
SRV = "4.1.1"  # Read Instantaneous Import Registers: an on-demand read an Import Supplier sends all day


def run_concurrently(count: int, threads: int, send: Callable[[requests.Session, int], int]) -> tuple[float, int]:
    """Send ``count`` requests from ``threads`` sessions; returns (seconds, requests not answered 200)."""
    local = threading.local()
    errors = 0
    lock = threading.Lock()

    def one(index: int) -> None:
        nonlocal errors
        if not hasattr(local, "session"):
            local.session = requests.Session()
        if send(local.session, index) != 200:
            with lock:
                errors += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(one, range(count)))
    return time.perf_counter() - started, errors


def measure_gateway(context: BenchContext) -> list[Row]:
    name, target = "Gateway: POST /api/v1/service-requests/", f">= {GATEWAY_TARGET_RATIO}x /api/v1/health/"
    if not route_exists(SERVICE_REQUEST_PATH):
        return [Row.not_available(name, "POST /api/v1/service-requests/ is not routed yet", target)]
    supplier = context.supplier
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT device_id FROM inventory_device WHERE responsible_supplier_id = %s ORDER BY random() LIMIT 5000",
            [supplier.party_id],
        )
        devices = [row[0] for row in cursor.fetchall()]
    if not devices:
        return [Row.not_available(name, f"supplier {supplier.party_code} has no devices", target)]
    headers = {"Authorization": f"Token {supplier.token}"}
    gateway_url, health_url = context.url(SERVICE_REQUEST_PATH), context.url("/api/v1/health/")

    def service_request(session: requests.Session, index: int) -> int:
        body = {"srv": SRV, "device_id": devices[index % len(devices)], "command_variant": 1}
        return session.post(gateway_url, json=body, headers=headers, timeout=60).status_code

    def health(session: requests.Session, index: int) -> int:
        return session.get(health_url, headers=headers, timeout=60).status_code

    count, threads = context.options.gateway_requests, context.options.concurrency
    run_concurrently(min(count, 50), threads, service_request)  # warm both workers' connections and caches
    gateway_rates, health_rates = [], []
    for _ in range(context.options.repeat):
        seconds, errors = run_concurrently(count, threads, service_request)
        if errors:
            raise RuntimeError(f"{errors} of {count} service requests were not answered 200")
        gateway_rates.append(count / seconds)
        seconds, errors = run_concurrently(count, threads, health)
        if errors:
            raise RuntimeError(f"{errors} of {count} health requests were not answered 200")
        health_rates.append(count / seconds)
    gateway_rate, health_rate = median(gateway_rates), median(health_rates)
    return [Row(
        f"{name} ({count:,} requests, {threads} clients)", rate(gateway_rate, 1), f"/api/v1/health/: {rate(health_rate, 1)}",
        ratio(gateway_rate, health_rate), target, gateway_rate >= GATEWAY_TARGET_RATIO * health_rate,
    )]
