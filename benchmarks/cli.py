"""``python -m benchmarks``: build the dataset, start gunicorn, measure, print the table."""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import psutil

from benchmarks.database import PROJECT_DIR, BenchDatabase, BenchmarkError
from benchmarks.dataset import progress
from benchmarks.results import Row, render_table

MAX_DEVICES = 10_000_000
MEASUREMENTS = ("extract", "inventory", "gateway", "duis", "report", "restriction", "interference", "bulk")


def positive(text: str) -> int:
    value = int(text.replace(",", "").replace("_", ""))
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse_options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="The portal at national scale: every figure beside a reference measured in the same run.",
    )
    parser.add_argument("--devices", type=positive, default=1_000_000, help="devices to build (default 1,000,000; max 10M)")
    parser.add_argument("--requests", type=positive, default=10_000_000,
                        help="service-request log rows to build (default 10,000,000)")
    parser.add_argument("--traffic-sample", type=positive,
                        help="write only this many log rows with generate_traffic and repeat them in the server up "
                             "to --requests (for logs generate_traffic would take hours to write)")
    parser.add_argument("--no-generation-reference", dest="generation_reference", action="store_false",
                        help="do not time the \\copy FROM references of the data generation (hours at 10M)")
    parser.add_argument("--repeat", type=positive, default=5, help="runs of each measurement; the table shows medians")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                        help="the benchmark's own database (name must contain 'bench'; it is dropped and rebuilt). "
                             "Default: DATABASE_URL")
    parser.add_argument("--skip-build", action="store_true", help="reuse the dataset already in the database")
    parser.add_argument("--samples", type=positive, default=100, help="timed requests per page case per run")
    parser.add_argument("--gateway-requests", type=positive, default=2000, help="service requests per gateway run")
    parser.add_argument("--concurrency", type=positive, default=4, help="client threads for the gateway runs")
    parser.add_argument("--duis-requests", type=positive, default=1000,
                        help="signed DUIS requests per run (signed beforehand by the DCC Boxed tool)")
    parser.add_argument("--workers", type=positive, default=2, help="gunicorn sync workers")
    parser.add_argument("--bulk-rows", type=positive, default=100_000, help="rows in the bulk install-code request")
    parser.add_argument("--restriction-rows", type=positive, default=2_000, help="rows in the bulk restriction job")
    parser.add_argument("--replica", action="store_true",
                        help="interference rows: start a streaming replica of the benchmark's server here "
                             "(pg_basebackup -R; the server must allow replication connections)")
    parser.add_argument("--replica-url", help="interference rows: an existing streaming replica of the benchmark's "
                                              "database instead")
    parser.add_argument("--replica-nice", type=int, default=19,
                        help="CPU niceness of the replica started with --replica (default 19; under Linux "
                             "autogroup scheduling it isolates little, every PostgreSQL backend being a group of "
                             "its own: --split-cpus is the stand-in for a replica on its own machine)")
    parser.add_argument("--split-cpus", action="store_true",
                        help="interference rows: the gateway side (with the primary) on half the CPUs, the heavy "
                             "side (with the replica) on the other half - two machines made of one")
    parser.add_argument("--only", type=lambda text: set(text.split(",")), default=set(MEASUREMENTS),
                        help=f"comma-separated subset of: {','.join(MEASUREMENTS)} (default: all)")
    parser.add_argument("--output", type=Path, help="also write the table (Markdown) to this file")
    options = parser.parse_args(argv)
    if options.devices > MAX_DEVICES:
        parser.error(f"--devices: at most {MAX_DEVICES:,}")
    if unknown := options.only - set(MEASUREMENTS):
        parser.error(f"--only: unknown {', '.join(sorted(unknown))}; choose from {', '.join(MEASUREMENTS)}")
    return options


def guarded(name: str, measure: Callable[[], list[Row]]) -> list[Row]:
    """Run one measurement; an exception becomes an ``error:`` row instead of ending the run."""
    progress(f"measuring: {name}")
    try:
        return measure()
    except Exception as error:  # noqa: BLE001 - reported in the table, the run goes on
        return [Row.failed(name, error)]


def describe_run(options: argparse.Namespace, database: BenchDatabase, built: bool) -> str:
    with database.connect() as connection:
        server = connection.execute("SHOW server_version").fetchone()[0]
        devices = connection.execute("SELECT count(*) FROM inventory_device").fetchone()[0]
        try:
            requests = connection.execute("SELECT count(*) FROM gateway_servicerequestlog").fetchone()[0]
        except Exception:  # noqa: BLE001 - the log table may not exist yet
            requests = 0
    memory = psutil.virtual_memory().total / 1024 ** 3
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_DIR, capture_output=True, text=True,
                            check=False).stdout.strip() or "unknown"
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return "\n".join([
        f"Run {datetime.datetime.now():%Y-%m-%d %H:%M}: {devices:,} devices, {requests:,} service-request log rows "
        f"({'built in this run' if built else 'existing dataset, --skip-build'}); "
        f"medians of {options.repeat} runs unless a row says otherwise.",
        f"Machine: {os.cpu_count()} CPU cores, {memory:.0f} GiB RAM, {platform.system()} {platform.release()}; "
        f"PostgreSQL {server}; gunicorn {options.workers} sync workers; Python {platform.python_version()}; "
        f"code at commit {commit}; load average at the end {load}.",
    ])


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    try:
        database = BenchDatabase.from_url(options.database_url)
    except BenchmarkError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    os.environ.update(database.environment())
    import django

    django.setup()
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    try:
        return run(options, database, workdir)
    except BenchmarkError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def run(options: argparse.Namespace, database: BenchDatabase, workdir: Path) -> int:
    from benchmarks.actors import benchmark_actors
    from benchmarks.context import BenchContext
    from benchmarks.dataset import build_dataset
    from benchmarks.duis import measure_duis
    from benchmarks.extracts import measure_extracts
    from benchmarks.gateway import measure_gateway
    from benchmarks.incidents import measure_bulk_install_code_requests
    from benchmarks.interference import measure_interference
    from benchmarks.inventory_pages import measure_health_latency, measure_inventory
    from benchmarks.reports import measure_monthly_report
    from benchmarks.restriction import measure_restriction_bulk_job
    from benchmarks.server import GunicornServer

    if options.skip_build:
        if not database.exists():
            raise BenchmarkError(f"--skip-build: database {database.name} does not exist; run without it first.")
        database.manage("migrate", "--noinput", log=workdir / "commands.log")
        generation = [Row.not_available("Data generation", "--skip-build (the dataset was not built in this run)")]
    else:
        generation = build_dataset(database, devices=options.devices, requests=options.requests, workdir=workdir,
                                   traffic_sample=options.traffic_sample,
                                   generation_reference=options.generation_reference)
    context = BenchContext(options=options, database=database, workdir=workdir)
    context.dcc, context.supplier = benchmark_actors()
    progress(f"starting gunicorn ({options.workers} workers)")
    with GunicornServer(database, workers=options.workers, log=workdir / "gunicorn.log") as server:
        context.server = server
        measurements: list[tuple[str, str, Callable[[], list[Row]]]] = [
            ("extract", "Device extract", lambda: measure_extracts(context)),
            ("inventory", "Inventory pages", lambda: measure_inventory(context, measure_health_latency(context))),
            ("gateway", "Gateway", lambda: measure_gateway(context)),
            ("duis", "DUIS gateway", lambda: measure_duis(context)),
            ("report", "Monthly performance report", lambda: measure_monthly_report(context)),
            ("restriction", "Bulk restriction job", lambda: measure_restriction_bulk_job(context)),
            ("interference", "Gateway throughput while a full extract and a report build run",
             lambda: measure_interference(context)),
            ("generation", "Data generation", lambda: generation),
            # Last: it writes incidents that the other measurements do not expect.
            ("bulk", "Bulk install-code requests", lambda: measure_bulk_install_code_requests(context)),
        ]
        rows = []
        for key, name, measure in measurements:
            if key == "generation" or key in options.only:
                rows += guarded(name, measure)
    table = render_table(rows)
    notes = "".join(f"\n- {note}" for note in context.notes)
    text = f"{describe_run(options, database, not options.skip_build)}\n\n{table}\n{notes}\n"
    print(text)
    if options.output:
        options.output.write_text(text)
    progress(f"logs: {workdir}")
    return 1 if any(row.unavailable.startswith("error:") for row in rows) else 0
