"""Device extracts: ``GET /api/v1/devices/extract/?format=csv`` against ``psql \\copy`` of the same rows.

The reference selects the extract's columns for the same scoped rows with a plain SELECT (no
formula escaping, no HTTP) and reads ``\\copy ... TO STDOUT`` through a pipe, counting lines as
the HTTP client does: the floor for getting those rows out of PostgreSQL on this machine. While
the HTTP extract streams, the gunicorn workers' resident memory is sampled.
"""
from __future__ import annotations

import time

import psycopg
from django.db import connection

from benchmarks.context import Actor, BenchContext, route_exists
from benchmarks.database import COPY_CHUNK, count_lines
from benchmarks.results import Row, median, rate, ratio
from benchmarks.server import RssSampler

EXTRACT_PATH = "/api/v1/devices/extract/?format=csv"
EXTRACT_TARGET_RATIO = 0.5
RSS_TARGET_BYTES = 200 * 1024 * 1024
MIB = 1024 * 1024


def reference_select(party_id: int) -> str:
    """The extract's columns over the rows ``party`` may see, as one bound SELECT for ``psql``."""
    from inventory.models import Device
    from inventory.selectors import COLUMNS, device_scope_q
    from portal.models import Party

    scope = device_scope_q(Party.objects.get(pk=party_id))
    queryset = Device.objects.filter(scope).order_by("device_id").values_list(*(lookup for _name, lookup in COLUMNS))
    statement, params = queryset.query.sql_with_params()
    connection.ensure_connection()
    return psycopg.ClientCursor(connection.connection).mogrify(statement, params)


def http_extract(context: BenchContext, actor: Actor) -> tuple[int, float]:
    """(data rows, seconds) of one streamed CSV extract read to the end."""
    session = actor.session()
    started = time.perf_counter()
    with session.get(context.url(EXTRACT_PATH), stream=True, timeout=(10, 600)) as response:
        if response.status_code != 200:
            raise RuntimeError(f"extract answered {response.status_code}: {response.text[:200]}")
        lines = count_lines(response.iter_content(COPY_CHUNK))
    elapsed = time.perf_counter() - started
    return lines - 1, elapsed


def file_job_extract(context: BenchContext, actor: Actor) -> tuple[int, float]:
    """(data rows, seconds) of the page's extract job (``device_extract_job_run``) writing its file, in-process."""
    from django.test import override_settings

    from inventory.models import DeviceExtractJob
    from inventory.services.extracts import device_extract_job_run
    from portal.models import User

    user = User.objects.select_related("party").get(pk=actor.user_id)
    with override_settings(MEDIA_ROOT=str(context.workdir / "media")):
        job = DeviceExtractJob.objects.create(party=user.party, user=user)
        started = time.perf_counter()
        device_extract_job_run(job_id=job.pk)
        elapsed = time.perf_counter() - started
        job.refresh_from_db()
        job.file.delete(save=False)
    return job.processed_rows, elapsed


def measure_extracts(context: BenchContext) -> list[Row]:
    rows_target = f">= {EXTRACT_TARGET_RATIO}x psql COPY"
    rss_name = "Web worker peak RSS while streaming"
    if not route_exists(EXTRACT_PATH):
        why = "GET /api/v1/devices/extract/ is not routed yet"
        return [Row.not_available("Device extract", why, rows_target), Row.not_available(rss_name, why, "< 200 MB")]
    server = context.server
    idle_rss = RssSampler(server).current_max_bytes()
    peak_rss = 0
    rows = []
    for label, actor in (("all devices as DCC", context.dcc), (f"supplier {context.supplier.party_code}", context.supplier)):
        select = reference_select(actor.party_id)
        http_rates, psql_rates, row_counts = [], [], set()
        for _ in range(context.options.repeat):
            with RssSampler(server) as sampler:
                http_rows, http_seconds = http_extract(context, actor)
            peak_rss = max(peak_rss, sampler.peak_bytes)
            psql_rows, psql_seconds = context.database.psql_copy_out_rows(select)
            row_counts.update({http_rows, psql_rows})
            http_rates.append(http_rows / http_seconds)
            psql_rates.append(psql_rows / psql_seconds)
        if len(row_counts) != 1:
            raise RuntimeError(f"extract and psql returned different row counts: {sorted(row_counts)}")
        http_rate, psql_rate = median(http_rates), median(psql_rates)
        row_count = row_counts.pop()
        rows.append(Row(
            f"Device extract CSV, {label} ({row_count:,} rows)", rate(http_rate, 1),
            f"psql \\copy: {rate(psql_rate, 1)}",
            ratio(http_rate, psql_rate), rows_target, http_rate >= EXTRACT_TARGET_RATIO * psql_rate,
        ))
        if actor is context.dcc:  # the page's background extract: the same rows written to a file in chunks
            job_rates = []
            for _ in range(context.options.repeat):
                job_rows, job_seconds = file_job_extract(context, actor)
                if job_rows != row_count:
                    raise RuntimeError(f"the extract job wrote {job_rows:,} rows, the stream {row_count:,}")
                job_rates.append(job_rows / job_seconds)
            job_rate = median(job_rates)
            rows.append(Row(
                f"Device extract file (job), {label} ({row_count:,} rows)", rate(job_rate, 1),
                f"psql \\copy: {rate(psql_rate, 1)}", ratio(job_rate, psql_rate), rows_target,
                job_rate >= EXTRACT_TARGET_RATIO * psql_rate,
            ))
    rows.append(Row(
        rss_name, f"{peak_rss / MIB:.0f} MB", f"idle worker: {idle_rss / MIB:.0f} MB", ratio(peak_rss, idle_rss),
        "< 200 MB", peak_rss < RSS_TARGET_BYTES,
    ))
    return rows
