"""Build the dataset with the project's own commands, and measure that as data generation.

``demo_data`` (devices) and ``generate_traffic`` (service-request log) are timed as they write into
the freshly migrated database. The reference is PostgreSQL's bulk load of the very same rows: every
table the command filled is exported with ``\\copy TO`` a file and loaded with ``\\copy FROM`` into a
scratch copy (``LIKE ... INCLUDING ALL``: same columns, same indexes and constraints except foreign
keys), so the ratio says how close the command comes to a plain bulk load.
"""
from __future__ import annotations

import datetime as dt
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from psycopg import sql

from benchmarks.database import BenchDatabase, BenchmarkError
from benchmarks.results import Row, rate, ratio

SCRATCH_SCHEMA = "bench_scratch"
GENERATION_TARGET_RATIO = 0.5
TRAFFIC_MONTHS = 3


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def available_commands() -> set[str]:
    from django.core.management import get_commands

    return set(get_commands())


@dataclass
class Generation:
    """What one data-generation command wrote: rows per table and its wall-clock seconds."""

    command: str
    seconds: float
    rows: dict[str, int]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def run_generation(database: BenchDatabase, arguments: list[str], log: Path) -> Generation:
    before = database.table_counts()
    seconds = database.manage(*arguments, log=log)
    after = database.table_counts()
    grown = {table: after[table] - before.get(table, 0) for table in after if after[table] > before.get(table, 0)}
    return Generation(command=" ".join(arguments), seconds=seconds, rows=grown)


def copy_from_seconds(database: BenchDatabase, tables: list[str], workdir: Path) -> float:
    """Seconds for ``\\copy FROM`` of the tables' current rows into empty scratch copies of them."""
    files = {table: workdir / f"{table}.copy" for table in tables}
    with database.connect() as connection:
        connection.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(SCRATCH_SCHEMA)))
        connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(SCRATCH_SCHEMA)))
        for table in tables:
            connection.execute(sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL)").format(
                sql.Identifier(SCRATCH_SCHEMA, table), sql.Identifier("public", table)))
    try:
        database.psql(*(f"\\copy (SELECT * FROM public.{table}) TO '{files[table]}'" for table in tables))
        seconds = database.psql(*(f"\\copy {SCRATCH_SCHEMA}.{table} FROM '{files[table]}'" for table in tables))
    finally:
        for path in files.values():
            path.unlink(missing_ok=True)
        with database.connect() as connection:
            connection.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(SCRATCH_SCHEMA)))
    return seconds


def generation_row(name: str, generation: Generation, reference_seconds: float | None) -> Row:
    figure_rate = generation.total_rows / generation.seconds
    if reference_seconds is None:
        return Row(f"{name} ({generation.total_rows:,} rows, 1 run)",
                   f"{rate(figure_rate, 1)} ({generation.seconds:.1f} s)", "not measured (--no-generation-reference)",
                   target=f">= {GENERATION_TARGET_RATIO}x \\copy FROM")
    reference_rate = generation.total_rows / reference_seconds
    return Row(
        f"{name} ({generation.total_rows:,} rows, 1 run)",
        f"{rate(figure_rate, 1)} ({generation.seconds:.1f} s)",
        f"psql \\copy FROM: {rate(reference_rate, 1)} ({reference_seconds:.1f} s)",
        ratio(figure_rate, reference_rate), f">= {GENERATION_TARGET_RATIO}x \\copy FROM",
        figure_rate >= GENERATION_TARGET_RATIO * reference_rate,
    )


def traffic_arguments(requests: int, months: int = TRAFFIC_MONTHS) -> list[str]:
    """``generate_traffic`` arguments for about ``requests`` rows over the last ``months`` finished months
    (UTC), so the busiest month is a finished one whose report the monthly job would store."""
    last_day = dt.datetime.now(dt.UTC).date().replace(day=1) - dt.timedelta(days=1)
    first_day = last_day.replace(day=1)
    for _ in range(months - 1):
        first_day = (first_day - dt.timedelta(days=1)).replace(day=1)
    per_day = math.ceil(requests / ((last_day - first_day).days + 1))
    return ["generate_traffic", "--months", str(months), "--per-day", str(per_day), "--end", last_day.isoformat()]


def traffic_repeat(database: BenchDatabase, *, copies: int) -> int:
    """Grow the log to ``copies`` more times the sample ``generate_traffic`` wrote, in the server.

    Each copy is the sample's requests again - same party, SRV, device, time and the judgement made for them
    (E72 where the device was restricted then) - under a new request ID, so the report's groups and the pages'
    filters see the sample's mix at the larger volume. For runs whose log would take ``generate_traffic`` hours
    to write (it judges each request in Python); the generation row then measures only the sample. Returns the
    rows added.
    """
    columns = "requested_at, party_id, srv, srv_category, device_id, command_variant, response_code, detail, " \
              "restricted_at_request, csp_region, channel"
    added = 0
    with database.connect() as connection:
        # The secondary indexes are dropped for the load and built once after it (sorted, not row by row into
        # indexes far larger than the buffer cache), from their own definitions: the migrations' indexes again.
        indexes = connection.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = 'gateway_servicerequestlog' "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)").fetchall()
        for name, _definition in indexes:
            connection.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        connection.execute("DROP TABLE IF EXISTS bench_traffic_sample")
        connection.execute(f"CREATE UNLOGGED TABLE bench_traffic_sample AS "
                           f"SELECT request_id, {columns} FROM gateway_servicerequestlog")
        for copy in range(1, copies + 1):
            added += connection.execute(
                f"INSERT INTO gateway_servicerequestlog (request_id, {columns}) "
                f"SELECT 'R{copy}-' || request_id, {columns} FROM bench_traffic_sample").rowcount
            progress(f"traffic copy {copy}/{copies}: {added:,} rows added")
        connection.execute("DROP TABLE bench_traffic_sample")
        connection.execute("SET maintenance_work_mem = '1GB'")
        for name, definition in indexes:
            progress(f"building {name}")
            # pg_indexes shows a partitioned index as "ON ONLY <table>", which would create only the (invalid)
            # parent index; without ONLY it is built on every partition and attached.
            connection.execute(definition.replace(" ON ONLY ", " ON ", 1))
    return added


def build_dataset(database: BenchDatabase, *, devices: int, requests: int, workdir: Path,
                  traffic_sample: int | None = None, generation_reference: bool = True) -> list[Row]:
    """Drop and rebuild the benchmark database; returns the data-generation rows.

    Without ``generation_reference`` the ``\\copy FROM`` references are not timed (at 10 million devices the
    reference alone, a load into a table with every index, takes most of an hour)."""

    def reference(tables: list[str]) -> float | None:
        if not generation_reference:
            return None
        progress(f"timing \\copy FROM of the same rows ({', '.join(tables)})")
        return copy_from_seconds(database, tables, workdir)

    log = workdir / "commands.log"
    progress(f"recreating database {database.name} and migrating (log: {log})")
    database.recreate()
    database.manage("migrate", "--noinput", log=log)
    commands = available_commands()
    if "demo_data" not in commands:
        raise BenchmarkError("manage.py demo_data does not exist yet: the benchmark has no way to build its devices.")
    rows = []
    progress(f"demo_data --devices {devices:,}")
    demo = run_generation(database, ["demo_data", "--devices", str(devices)], log)
    progress(f"demo_data wrote {demo.total_rows:,} rows in {demo.seconds:.1f} s")
    rows.append(generation_row(f"Demo data: demo_data --devices {devices:,}", demo, reference(sorted(demo.rows))))
    traffic_name = f"Traffic: generate_traffic ({requests:,} service requests)"
    if "generate_traffic" not in commands:
        rows.append(Row.not_available(traffic_name, "manage.py generate_traffic does not exist yet"))
    else:
        sample = min(traffic_sample or requests, requests)
        arguments = traffic_arguments(sample)
        progress(" ".join(arguments))
        traffic = run_generation(database, arguments, log)
        progress(f"generate_traffic wrote {traffic.total_rows:,} rows in {traffic.seconds:.1f} s")
        rows.append(generation_row(f"Traffic: {' '.join(arguments)}", traffic, reference(sorted(traffic.rows))))
        if copies := max(0, round(requests / max(traffic.total_rows, 1)) - 1):
            progress(f"repeating the {traffic.total_rows:,}-row sample {copies} times in the server")
            started = time.perf_counter()
            added = traffic_repeat(database, copies=copies)
            seconds = time.perf_counter() - started
            rows.append(Row(f"Traffic: the sample repeated {copies} times in the server (INSERT ... SELECT, new "
                            f"request IDs; {added:,} rows)", f"{rate(added / seconds, 1)} ({seconds:.0f} s)",
                            target="none: the benchmark's own loader, not a project command"))
    progress("VACUUM ANALYZE")
    database.psql("VACUUM (ANALYZE)")
    return rows
