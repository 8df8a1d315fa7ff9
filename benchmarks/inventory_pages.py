"""Inventory reads: one device by Device ID, first and deep pages of filtered lists, search by MPxN.

Latency is measured over HTTP against gunicorn as the DCC service desk (the whole national estate):
the API with its API token, the pages with its logged-in browser session; one request after another,
each for a different device or search term where the case has one. Queries per
request are counted in-process (``CaptureQueriesContext`` around Django's test client) on the same
database. The reference for single requests is ``/api/v1/health/`` served the same way (the cost of
the stack itself); for a deep page it is the first page of the same list (keyset paging: a page
deep in the list should cost what the first costs).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db import connection
from django.test.utils import CaptureQueriesContext

from benchmarks.context import Actor, BenchContext, route_exists
from benchmarks.results import Row, median, milliseconds, percentile, ratio

PAGE_P95_TARGET_SECONDS = 0.030
DEEP_PAGE_TOLERANCE = 1.5
DEEP_FRACTION = 0.9
WARMUP_REQUESTS = 3


@dataclass
class Latency:
    p50: float
    p95: float

    def text(self) -> str:
        return f"p50 {milliseconds(self.p50)}, p95 {milliseconds(self.p95)}"


@dataclass
class Case:
    """A page to time: ``paths(n)`` gives n request paths (different devices or terms where it can)."""

    name: str
    paths: Callable[[int], list[str]]
    deep_of: str = ""


def _repeat(values: list[str], count: int) -> list[str]:
    return [values[index % len(values)] for index in range(count)]


def time_paths(context: BenchContext, actor: Actor, paths: list[str]) -> Latency:
    session = actor.session()
    for path in paths[:WARMUP_REQUESTS]:
        session.get(context.url(path), timeout=60).raise_for_status()
    samples = []
    for path in paths:
        started = time.perf_counter()
        response = session.get(context.url(path), timeout=60)
        samples.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}: {response.text[:200]}")
    return Latency(p50=percentile(samples, 0.5), p95=percentile(samples, 0.95))


def count_queries(actor: Actor, path: str) -> int:
    client = actor.test_client()
    # follow=True: an exact Device ID or MPxN search answers with a redirect to the device's page, and the timed
    # requests (requests.Session) follow it too, so both count the search and the page it opens.
    client.get(path, follow=True)  # the first request may record the token's use; count a steady-state one
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, follow=True)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code} in-process")
    return len(queries)


def _sample(sql: str, params: list, count: int) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()][:count]


def _deep_device_id(where: str, params: list) -> str | None:
    """The last Device ID before a page ``DEEP_FRACTION`` of the way through the list (None if too short)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM inventory_device WHERE {where}", params)
        total = cursor.fetchone()[0]
        if total < 200:
            return None
        cursor.execute(
            f"SELECT device_id FROM inventory_device WHERE {where} ORDER BY device_id OFFSET %s LIMIT 1",
            [*params, int(total * DEEP_FRACTION)],
        )
        return cursor.fetchone()[0]


def _list_cases(prefix: str, label: str, query: dict, deep_after: str | None, deep_parameter) -> list[Case]:
    """A list's first page and, when the list is long enough, the page ``DEEP_FRACTION`` of the way in."""
    first_name = f"{prefix}, {label}: first page"
    first = f"{prefix_path(prefix)}?{urlencode(query)}"
    cases = [Case(first_name, lambda n: [first] * n)]
    if deep_after:
        deep = f"{prefix_path(prefix)}?{urlencode({**query, **deep_parameter(deep_after)})}"
        cases.append(Case(f"{prefix}, {label}: page at {DEEP_FRACTION:.0%}", lambda n: [deep] * n, deep_of=first_name))
    return cases


API_LIST, PAGE_LIST = "Device list (API)", "Device list page (HTML)"


def prefix_path(prefix: str) -> str:
    return "/api/v1/devices/" if prefix == API_LIST else "/inventory/"


def build_cases(context: BenchContext) -> list[Case]:
    from portal.pagination import encode_cursor

    samples = context.options.samples + WARMUP_REQUESTS
    devices = _sample("SELECT device_id FROM inventory_device ORDER BY random() LIMIT %s", [samples], samples)
    mpxns = _sample(
        "SELECT mpxn FROM inventory_device WHERE mpxn <> '' ORDER BY random() LIMIT %s", [samples], samples,
    )
    postcodes = _sample(
        "SELECT postcode FROM inventory_device WHERE postcode <> '' ORDER BY random() LIMIT %s", [samples], samples,
    )
    supplier_id = context.supplier.party_id
    cases = [Case("Device by Device ID (API)", lambda n: [f"/api/v1/devices/{d}/" for d in _repeat(devices, n)])]
    if route_exists("/inventory/devices/00-00-00-00-00-00-00-00/"):
        cases.append(Case("Device page (HTML)", lambda n: [f"/inventory/devices/{d}/" for d in _repeat(devices, n)]))
    lists = [
        ("all devices", {}, "true", []),
        ("Restricted", {"restricted": "true"}, "restricted", []),
        (f"supplier {context.supplier.party_code}", {"responsible_supplier": supplier_id},
         "responsible_supplier_id = %s", [supplier_id]),
    ]
    for label, query, where, params in lists:
        deep_after = _deep_device_id(where, params)
        cases += _list_cases(API_LIST, label, query, deep_after, lambda after: {"cursor": encode_cursor(after)})
        if route_exists("/inventory/"):
            cases += _list_cases(PAGE_LIST, label, query, deep_after, lambda after: {"after": after})
    if postcodes:
        cases.append(Case("Device list by postcode (API)", lambda n: [
            "/api/v1/devices/?" + urlencode({"q": code}) for code in _repeat(postcodes, n)]))
    if mpxns:
        cases.append(Case("Search by MPxN (API)", lambda n: [
            "/api/v1/devices/?" + urlencode({"q": mpxn}) for mpxn in _repeat(mpxns, n)]))
        if route_exists("/inventory/"):
            cases.append(Case("Search by MPxN (HTML, opens the device)", lambda n: [
                "/inventory/?" + urlencode({"q": mpxn}) for mpxn in _repeat(mpxns, n)]))
    return cases


def measure_inventory(context: BenchContext, health: Latency | None) -> list[Row]:
    if not route_exists("/api/v1/devices/"):
        return [Row.not_available("Inventory pages", "GET /api/v1/devices/ is not routed yet")]
    cases = build_cases(context)
    per_case: dict[str, list[Latency]] = {case.name: [] for case in cases}
    count = context.options.samples + WARMUP_REQUESTS
    for _ in range(context.options.repeat):
        for case in cases:
            per_case[case.name].append(time_paths(context, context.dcc, case.paths(count)))
    medians = {
        name: Latency(p50=median([r.p50 for r in runs]), p95=median([r.p95 for r in runs]))
        for name, runs in per_case.items()
    }
    queries = {case.name: count_queries(context.dcc, case.paths(1)[0]) for case in cases}
    rows = []
    for case in cases:
        latency, query_count = medians[case.name], queries[case.name]
        figure = f"{latency.text()}; {query_count} queries"
        if case.deep_of:
            first, first_queries = medians[case.deep_of], queries[case.deep_of]
            rows.append(Row(
                case.name, figure, f"first page: {first.text()}; {first_queries} queries", ratio(latency.p95, first.p95),
                f"p95 <= {DEEP_PAGE_TOLERANCE}x first page; same queries",
                latency.p95 <= DEEP_PAGE_TOLERANCE * first.p95 and query_count == first_queries,
            ))
            continue
        reference = f"/api/v1/health/: {health.text()}" if health else ""
        rows.append(Row(
            case.name, figure, reference, ratio(latency.p95, health.p95) if health else None,
            f"p95 < {PAGE_P95_TARGET_SECONDS * 1000:.0f} ms", latency.p95 < PAGE_P95_TARGET_SECONDS,
        ))
    rows.append(_queries_fixed_row(context))
    return rows


def _queries_fixed_row(context: BenchContext) -> Row:
    """Queries for a 50-row and a 1,000-row API page of the same list: fixed, whatever the page holds."""
    small = count_queries(context.dcc, "/api/v1/devices/?limit=50")
    large = count_queries(context.dcc, "/api/v1/devices/?limit=1000")
    return Row(
        "Queries per list page (1,000 rows)", f"{large} queries", f"50-row page: {small} queries",
        ratio(large, small), "fixed per page (1.00x)", large == small,
    )


def measure_health_latency(context: BenchContext) -> Latency:
    """The same-run reference: ``/api/v1/health/`` one request after another, median over repeats."""
    count = context.options.samples + WARMUP_REQUESTS
    runs = [time_paths(context, context.dcc, ["/api/v1/health/"] * count) for _ in range(context.options.repeat)]
    return Latency(p50=median([r.p50 for r in runs]), p95=median([r.p95 for r in runs]))
