"""``python -m benchmarks`` end to end at a tiny size: it builds its dataset with the project's commands,
starts gunicorn, and prints every row of the table beside its reference. No timing is asserted."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from benchmarks.database import BenchDatabase, BenchmarkError

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
    "Search by MPxN (HTML)",
    "Queries per list page",
    "Gateway: POST /api/v1/service-requests/",
    "Gateway: POST /duis/ (signed by the DCC Boxed tool)",
    "Monthly performance report",
    "Demo data: demo_data --devices 2,000",
    "Traffic: generate_traffic",
    "Bulk restriction job, in-process (30 rows)",
    "Bulk install-code requests",
]


def test_benchmark_refuses_a_database_it_would_destroy():
    with pytest.raises(BenchmarkError, match="must contain 'bench'"):
        BenchDatabase.from_url("postgres://postgres@127.0.0.1:5432/portal")
    with pytest.raises(BenchmarkError, match="its own database"):
        BenchDatabase.from_url("")


@pytest.fixture
def scratch_bench_url():
    """A database of its own on the test server, named after this run's test database, dropped afterwards."""
    server_url = os.environ.get("DATABASE_URL")
    if not server_url:
        pytest.skip("needs DATABASE_URL (a PostgreSQL server the benchmark can create its database on)")
    name = f"{os.environ.get('TEST_DATABASE_NAME', 'test_portal')}_smoke_bench"
    url = urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    yield url
    with psycopg.connect(urlunsplit(urlsplit(server_url)._replace(path="/postgres")), autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.mark.integration
def test_benchmark_prints_every_measurement_beside_its_reference(scratch_bench_url, tmp_path):
    output_file = tmp_path / "table.md"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--database-url", scratch_bench_url, "--devices", "2000",
         "--requests", "20000", "--repeat", "1", "--samples", "3", "--gateway-requests", "20", "--duis-requests", "20", "--concurrency", "2",
         "--bulk-rows", "50", "--restriction-rows", "30", "--output", str(output_file)],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=900, check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    table = completed.stdout
    for row in EXPECTED_ROWS:
        assert row in table, f"missing row {row!r} in:\n{table}"
    assert "error:" not in table and "not available" not in table, table
    assert "| Measurement" in table and "Reference (same run)" in table
    assert output_file.read_text() in table
