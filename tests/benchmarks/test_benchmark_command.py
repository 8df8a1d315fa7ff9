"""``python -m benchmarks`` end to end at a tiny size: it builds its dataset with the project's commands,
starts gunicorn, and prints every row of the table beside its reference. No timing is asserted."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from benchmarks.database import BenchDatabase, BenchmarkError
from portal.dbenv import database_url

PROJECT_DIR = Path(__file__).resolve().parents[2]

EXPECTED_ROWS = [
    "Device extract CSV, all devices as DCC",
    "Device extract file (job), all devices as DCC",
    "Device extract CSV, supplier",
    "Web worker peak RSS while streaming",
    "Device by Device ID (API)",
    "Device page (HTML)",
    "Device list (API), all devices: first page",
    "Device list (API), all devices: page at 90%",
    "Device list page (HTML), all devices: first page",
    "Device list page (HTML), all devices: page at 90%",
    "Device list (API), Restricted: first page",
    "Device list (API), supplier",
    "Device list by postcode (API)",
    "Search by MPxN (API)",
    "Search by MPxN (HTML, opens the device)",
    "Queries per list page",
    "Gateway: POST /api/v1/service-requests/",
    "Gateway: POST /duis/ (signed by the DCC Boxed tool)",
    "Monthly performance report",
    "Demo data: demo_data --devices 2,000",
    "Traffic: generate_traffic",
    "Traffic: the sample repeated 1 times in the server",
    "Bulk restriction job, in-process (30 rows)",
    "Bulk install-code requests",
    "Gateway throughput while a full extract and a report build run: heavy work on the primary (no replica)",
    "Gateway throughput while a full extract and a report build run: heavy work on the replica",
]
#: On a server that refuses replication connections (a shared machine server) the replica row says so;
#: CI (embedded server, PORTAL_REQUIRE_REPLICA_TESTS) must measure it.
NO_REPLICA_HERE = "not available: could not start a replica"


def test_benchmark_refuses_a_database_it_would_destroy():
    with pytest.raises(BenchmarkError, match="must contain 'bench'"):
        BenchDatabase.from_url("postgres://postgres@127.0.0.1:5432/portal")
    with pytest.raises(BenchmarkError, match="its own database"):
        BenchDatabase.from_url("")


@pytest.fixture
def scratch_bench_url(django_db_setup):
    """A database of its own on the test server (``DATABASE_URL``'s or the embedded one), named after this
    process's test database (one per xdist worker), dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_smoke_bench"
    url = database_url(connection.settings_dict, name=name)
    yield url
    with psycopg.connect(database_url(connection.settings_dict, name="postgres"), autocommit=True) as maintenance:
        maintenance.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.mark.integration
def test_benchmark_prints_every_measurement_beside_its_reference(scratch_bench_url, tmp_path):
    output_file = tmp_path / "table.md"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--database-url", scratch_bench_url, "--devices", "2000",
         "--requests", "20000", "--repeat", "1", "--samples", "3", "--gateway-requests", "20", "--duis-requests", "20",
         "--concurrency", "2", "--traffic-sample", "10000",
         "--bulk-rows", "50", "--restriction-rows", "30", "--replica", "--split-cpus",
         "--output", str(output_file)],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=900, check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    table = completed.stdout
    for row in EXPECTED_ROWS:
        assert row in table, f"missing row {row!r} in:\n{table}"
    if not os.environ.get("PORTAL_REQUIRE_REPLICA_TESTS"):
        table = "\n".join(line for line in table.splitlines() if NO_REPLICA_HERE not in line)
    assert "error:" not in table and "not available" not in table, table
    assert "| Measurement" in table and "Reference (same run)" in table
    assert output_file.read_text() in completed.stdout
    with psycopg.connect(scratch_bench_url, autocommit=True) as bench:
        # --traffic-sample: 10,000 rows written by generate_traffic, then repeated once to the 20,000 asked for,
        # under new request IDs, with the log's indexes dropped for the load and built again.
        repeated = bench.execute("SELECT count(*) FROM gateway_servicerequestlog WHERE request_id LIKE 'R1-%'")
        assert 9000 <= repeated.fetchone()[0] <= 11000
        # valid (built on every partition), not only declared on the partitioned table
        indexes = {name: valid for name, valid in bench.execute(
            "SELECT indexrelid::regclass::text, indisvalid FROM pg_index "
            "WHERE indrelid = 'gateway_servicerequestlog'::regclass")}
        assert {name: True for name in ("gateway_srlog_device_time_idx", "gateway_srlog_party_time_idx",
                                        "gateway_srlog_time_brin", "gateway_srlog_time_id_idx")}.items() \
            <= indexes.items(), indexes
        partitions, partition_indexes = bench.execute(
            "SELECT count(DISTINCT i.inhrelid), count(x.indexrelid) FROM pg_inherits i "
            "JOIN pg_index x ON x.indrelid = i.inhrelid "
            "WHERE i.inhparent = 'gateway_servicerequestlog'::regclass").fetchone()
        assert partition_indexes == 5 * partitions  # the primary key and the four indexes on each
