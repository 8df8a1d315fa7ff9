"""Gateway throughput while a full extract and a report build run, without and with the read replica.

Three phases, each ``--repeat`` times, all against the same gateway server (``context.server``):

1. **gateway alone** - the reference;
2. **heavy work on the primary** - while the gateway runs, a loop streams the full DCC extract from a
   second gunicorn ("the heavy server", one worker) and a loop rebuilds the busiest month's performance
   report (``snapshot_build``, new version) in a child process, both configured with no replica;
3. **heavy work on the replica** - the same loops, but the heavy server and the report builder have
   ``DATABASE_REPLICA_URL``: their reads go to a streaming replica of the benchmark's server (started
   here with ``pg_basebackup -R`` when ``--replica`` is given, or ``--replica-url``).

Each figure is the gateway's rate in that phase over its rate alone in the same run. The extract and
report clients and the heavy server are the same in phases 2 and 3 (and run at ``nice 10``, as they would
on other machines); the difference is only which PostgreSQL does their reading. On one machine the
replica shares the CPUs with the primary: ``--replica-nice`` (default 19) starts it at a low CPU
priority, the stand-in for "on its own machine"; the table says so.

Niceness alone does not isolate much on Linux: with autogroup scheduling every session shares the CPUs
equally, and PostgreSQL starts each backend in a session of its own, so a "nice 19" replica backend still
takes as much CPU as the whole gateway. ``--split-cpus`` makes the two machines of the deployment out of
one: the gateway side (this process and its client threads, the gateway's gunicorn, the primary
PostgreSQL) runs on the first half of the CPUs, the heavy side (the heavy gunicorn, the extract and report
clients, the replica) on the other half, in all three phases - the reference too. Without a replica the
heavy reads then still land on the primary, on the gateway's CPUs, as they would in production.
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import requests
from django.db import connection

from benchmarks.context import BenchContext, route_exists
from benchmarks.database import PROJECT_DIR
from benchmarks.gateway import SERVICE_REQUEST_PATH, SRV, run_concurrently
from benchmarks.results import Row, median, rate, ratio
from benchmarks.server import GunicornServer

INTERFERENCE_TARGET_RATIO = 0.9
EXTRACT_PATH = "/api/v1/devices/extract/?format=csv"
HEAVY_NICE = 10

EXTRACT_SCRIPT = """
import sys, requests
with requests.get(sys.argv[1], headers={"Authorization": "Token " + sys.argv[2]}, stream=True, timeout=(10, 900)) as r:
    r.raise_for_status()
    lines = sum(chunk.count(b"\\n") for chunk in r.iter_content(1 << 16))
print(r.headers.get("X-Data-Source", "primary"), lines - 1)
"""
REPORT_SCRIPT = """
import sys, django
django.setup()
import datetime as dt
from reporting.choices import ReportKind
from reporting.services import snapshot_build
snapshot = snapshot_build(kind=ReportKind.PERFORMANCE, month=dt.date.fromisoformat(sys.argv[1]), new_version=True)
print(snapshot.meta.get("read_from", "primary"))
"""


class CpuSplit:
    """Which CPUs each side runs on (``--split-cpus``), and the pinning of process trees to them."""

    def __init__(self, enabled: bool) -> None:
        cpus = sorted(os.sched_getaffinity(0))
        self.all = cpus
        self.enabled = enabled and len(cpus) >= 2
        half = len(cpus) // 2
        self.gateway = cpus[:half] if self.enabled else cpus
        self.heavy = cpus[half:] if self.enabled else cpus
        self._pinned: list[int] = []

    def pin_tree(self, pid: int, cpus: list[int]) -> None:
        """``pid`` and its children now (later children inherit it from their parent)."""
        if not self.enabled:
            return
        self._pinned.append(pid)
        self._set_tree(pid, cpus)

    @staticmethod
    def _set_tree(pid: int, cpus: list[int]) -> None:
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(pid)
            for process in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    process.cpu_affinity(cpus)

    def command(self, command: list[str], side: list[int]) -> list[str]:
        return ["taskset", "-c", ",".join(map(str, side)), *command] if self.enabled else command

    def restore(self) -> None:
        """Every pinned tree back on all CPUs - the children forked meanwhile too (a server's new backends)."""
        for pid in self._pinned:
            self._set_tree(pid, self.all)
        self._pinned.clear()

    def describe(self) -> str:
        return (f"CPUs split (--split-cpus): gateway, its gunicorn and the primary PostgreSQL on CPU "
                f"{','.join(map(str, self.gateway))}; the heavy server, its clients and the replica on CPU "
                f"{','.join(map(str, self.heavy))} - two machines made of one, in every phase, the reference too.")


def _postmaster_pid() -> int:
    """The primary's postmaster: the parent of this connection's backend."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return psutil.Process(cursor.fetchone()[0]).ppid()


class HeavyLoops:
    """Streams the full extract and rebuilds the report, each in a loop, until stopped; counts what it did."""

    def __init__(self, context: BenchContext, server: GunicornServer, environment: dict[str, str], month,
                 split: CpuSplit) -> None:
        self.context, self.server, self.environment, self.month = context, server, environment, month
        self.split = split
        self.stop = threading.Event()
        self.extracts = self.reports = 0
        self.extract_rows = 0
        self.read_from: set[str] = set()
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self._extract_loop, daemon=True),
                        threading.Thread(target=self._report_loop, daemon=True)]

    def _extract_loop(self) -> None:
        """The extract's client in a process of its own (at the heavy work's niceness): reading 300,000 rows in
        this process would take the interpreter lock from the gateway's client threads, not the server."""
        url = self.server.base_url + EXTRACT_PATH
        while not self.stop.is_set():
            process = subprocess.Popen(
                self.split.command(["nice", "-n", str(HEAVY_NICE), sys.executable, "-c", EXTRACT_SCRIPT, url,
                                    self.context.dcc.token], self.split.heavy),
                cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
            while process.poll() is None:
                if self.stop.wait(0.1):
                    process.terminate()
                    process.wait(timeout=30)
                    return
            out, err = process.communicate()
            if process.returncode != 0:
                self.errors.append(f"extract: {err.strip()[-300:]}")
                return
            source, rows = out.split()
            self.read_from.add(f"extract: {source}")
            self.extract_rows += int(rows)
            self.extracts += 1

    def _report_loop(self) -> None:
        while not self.stop.is_set():
            process = subprocess.Popen(
                self.split.command(["nice", "-n", str(HEAVY_NICE), sys.executable, "-c", REPORT_SCRIPT,
                                    self.month.isoformat()], self.split.heavy),
                cwd=PROJECT_DIR, env=self.environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
            while process.poll() is None:
                if self.stop.wait(0.1):
                    process.terminate()
                    process.wait(timeout=30)
                    return
            out, err = process.communicate()
            if process.returncode != 0:
                self.errors.append(f"report: {err.strip()[-300:]}")
                return
            self.read_from.add(f"report: {out.strip().splitlines()[-1] if out.strip() else '?'}")
            self.reports += 1

    def __enter__(self) -> HeavyLoops:
        for thread in self.threads:
            thread.start()
        time.sleep(2.0)  # let both get going before the gateway is timed
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)


def _gateway_sender(context: BenchContext) -> Callable[[requests.Session, int], int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT device_id FROM inventory_device WHERE responsible_supplier_id = %s ORDER BY random() LIMIT 5000",
            [context.supplier.party_id],
        )
        devices = [row[0] for row in cursor.fetchall()]
    headers = {"Authorization": f"Token {context.supplier.token}"}
    url = context.url(SERVICE_REQUEST_PATH)

    def send(session: requests.Session, index: int) -> int:
        body = {"srv": SRV, "device_id": devices[index % len(devices)], "command_variant": 1}
        return session.post(url, json=body, headers=headers, timeout=120).status_code

    return send


@contextmanager
def _replica_for(context: BenchContext, split: CpuSplit) -> Iterator[tuple[str | None, str]]:
    """(replica URL or None, why not) - started here with ``--replica``, or ``--replica-url``."""
    options = context.options
    if getattr(options, "replica_url", None):
        yield options.replica_url, ""
        return
    if not getattr(options, "replica", False):
        yield None, "no replica: give --replica (start one here) or --replica-url"
        return
    from django.conf import settings

    from benchmarks.server import free_port
    from portal.dbenv import ReplicaUnavailable, StreamingReplica

    try:
        replica = StreamingReplica.start(settings.DATABASES["default"], port=free_port(),
                                         nice=options.replica_nice)
    except ReplicaUnavailable as error:
        yield None, f"could not start a replica: {error}"
        return
    with contextlib.suppress(OSError, ValueError, IndexError):
        split.pin_tree(int((Path(replica.data_dir) / "postmaster.pid").read_text().split()[0]), split.heavy)
    context.notes.append(
        f"Interference rows: the replica is a streaming standby of the benchmark's server on this machine "
        f"(pg_basebackup -R, PostgreSQL binaries {replica.bin_dir}), started at nice {options.replica_nice} as "
        "the stand-in for a replica on its own machine; the heavy server and the report builder ran at "
        f"nice {HEAVY_NICE} in both phases.")
    try:
        yield replica.url(), ""
    finally:
        replica.destroy()


def _report_month():
    from benchmarks.reports import busiest_month
    from reporting.months import current_month

    found = busiest_month()
    if found is None or found[0] >= current_month():
        return None
    return found[0]


def measure_interference(context: BenchContext) -> list[Row]:
    name = "Gateway throughput while a full extract and a report build run"
    target = f">= {INTERFERENCE_TARGET_RATIO}x gateway alone"
    if not route_exists(SERVICE_REQUEST_PATH):
        return [Row.not_available(name, "POST /api/v1/service-requests/ is not routed yet", target)]
    month = _report_month()
    if month is None:
        return [Row.not_available(name, "no finished month in the service-request log", target)]
    send = _gateway_sender(context)
    count, threads = context.options.gateway_requests, context.options.concurrency
    run_concurrently(min(count, 50), threads, send)

    def gateway_rate() -> float:
        seconds, errors = run_concurrently(count, threads, send)
        if errors:
            raise RuntimeError(f"{errors} of {count} service requests were not answered 200")
        return count / seconds

    split = CpuSplit(getattr(context.options, "split_cpus", False))
    if split.enabled:
        split.pin_tree(os.getpid(), split.gateway)  # this process: the gateway's client threads
        split.pin_tree(context.server.process.pid, split.gateway)
        split.pin_tree(_postmaster_pid(), split.gateway)
        context.notes.append(split.describe())
    try:
        return _measure_phases(context, split, month, gateway_rate,
                               f"{count:,} requests, {threads} clients", name, target)
    finally:
        split.restore()


def _measure_phases(context: BenchContext, split: CpuSplit, month, gateway_rate: Callable[[], float],
                    load: str, name: str, target: str) -> list[Row]:
    """The three phases (module docstring); ``load`` describes the gateway's load for the rows."""
    base = {key: value for key, value in context.database.environment().items() if key != "DATABASE_REPLICA_URL"}
    rows: list[Row] = []
    with _replica_for(context, split) as (replica_url, why_not):
        setups = [("heavy work on the primary (no replica)", base)]
        if replica_url:
            setups.append(("heavy work on the replica", {**base, "DATABASE_REPLICA_URL": replica_url}))
        alone: list[float] = []
        loaded: dict[str, list[float]] = {label: [] for label, _env in setups}
        done: dict[str, HeavyLoops] = {}
        for label, environment in setups:
            server = GunicornServer(context.database, workers=1, log=context.workdir / "heavy-gunicorn.log",
                                    environment=environment, nice=HEAVY_NICE)
            with server:
                split.pin_tree(server.process.pid, split.heavy)
                for _ in range(context.options.repeat):
                    alone.append(gateway_rate())
                    with HeavyLoops(context, server, environment, month, split) as loops:
                        loaded[label].append(gateway_rate())
                    if loops.errors:
                        raise RuntimeError("; ".join(loops.errors))
                    done[label] = loops
        reference = median(alone)
        for label, _environment in setups:
            figure = median(loaded[label])
            loops = done[label]
            sources = ", ".join(sorted(loops.read_from)) or "nothing finished"
            rows.append(Row(
                f"{name}: {label} ({load}; read from: {sources})",
                rate(figure, 1), f"gateway alone: {rate(reference, 1)}", ratio(figure, reference), target,
                figure >= INTERFERENCE_TARGET_RATIO * reference,
            ))
        if not replica_url:
            rows.append(Row.not_available(f"{name}: heavy work on the replica", why_not, target))
    return rows

