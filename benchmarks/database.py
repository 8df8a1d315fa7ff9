"""The benchmark's own PostgreSQL database: recreate, migrate, and ``psql`` as the reference client.

The benchmark drops and rebuilds its database, so it refuses any database whose name does not
contain ``bench``: pointing it at ``portal`` or a test database by mistake must not destroy data.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

PROJECT_DIR = Path(__file__).resolve().parent.parent


def psql_program() -> str:
    """``psql`` from PATH, else the one pgserver ships (a machine with only the embedded server has no other)."""
    found = shutil.which("psql")
    if found:
        return found
    from pgserver import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / "psql")

MANAGE = [sys.executable, str(PROJECT_DIR / "manage.py")]
COPY_CHUNK = 1 << 16


class BenchmarkError(Exception):
    """The benchmark cannot go on (wrong database, a command failed); the message says why."""


@dataclass(frozen=True)
class BenchDatabase:
    url: str

    @classmethod
    def from_url(cls, url: str | None) -> BenchDatabase:
        if not url:
            raise BenchmarkError(
                "Give the benchmark its own database: --database-url or DATABASE_URL, e.g. "
                "postgres://postgres@127.0.0.1:5432/portal_bench (it is dropped and rebuilt)."
            )
        database = cls(url)
        if urlsplit(url).scheme not in {"postgres", "postgresql"}:
            raise BenchmarkError(f"Not a PostgreSQL URL: {url!r}.")
        if "bench" not in database.name:
            raise BenchmarkError(
                f"Refusing database {database.name!r}: the benchmark drops and rebuilds its database, "
                "so its name must contain 'bench' (e.g. portal_bench)."
            )
        return database

    @property
    def name(self) -> str:
        return urlsplit(self.url).path.lstrip("/")

    def _maintenance_url(self) -> str:
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(path="/postgres"))

    def connect(self, **kwargs) -> psycopg.Connection:
        return psycopg.connect(self.url, autocommit=True, **kwargs)

    def exists(self) -> bool:
        with psycopg.connect(self._maintenance_url(), autocommit=True) as connection:
            return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.name]).fetchone() is not None

    def recreate(self) -> None:
        with psycopg.connect(self._maintenance_url(), autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))

    def environment(self) -> dict[str, str]:
        """The environment for the portal's processes (commands, gunicorn) on this database."""
        environment = dict(os.environ)
        environment.update({
            "DATABASE_URL": self.url,
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "SECURE_COOKIES": "false",
        })
        return environment

    def manage(self, *arguments: str, log: Path) -> float:
        """Run ``manage.py <arguments>`` on this database; return its wall-clock seconds."""
        started = time.perf_counter()
        with log.open("ab") as output:
            output.write(f"\n$ manage.py {' '.join(arguments)}\n".encode())
            output.flush()
            completed = subprocess.run(
                [*MANAGE, *arguments], cwd=PROJECT_DIR, env=self.environment(),
                stdout=output, stderr=subprocess.STDOUT, check=False,
            )
        elapsed = time.perf_counter() - started
        if completed.returncode != 0:
            tail = log.read_text(errors="replace").splitlines()[-15:]
            command = " ".join(arguments)
            raise BenchmarkError(f"manage.py {command} failed (exit {completed.returncode}):\n" + "\n".join(tail))
        return elapsed

    def psql(self, *commands: str) -> float:
        """Run ``psql -c <command>`` for each command in one session; return its wall-clock seconds."""
        arguments = [psql_program(), self.url, "-X", "-q", "-v", "ON_ERROR_STOP=1"]
        for command in commands:
            arguments += ["-c", command]
        started = time.perf_counter()
        completed = subprocess.run(arguments, capture_output=True, check=False)
        elapsed = time.perf_counter() - started
        if completed.returncode != 0:
            raise BenchmarkError(f"psql failed: {completed.stderr.decode(errors='replace').strip()}")
        return elapsed

    def psql_copy_out_rows(self, select: str) -> tuple[int, float]:
        """``\\copy (<select>) TO STDOUT CSV HEADER`` read through a pipe like an HTTP client reads a
        download; returns (data rows, seconds)."""
        command = f"\\copy ({' '.join(select.split())}) TO STDOUT WITH (FORMAT csv, HEADER)"
        started = time.perf_counter()
        process = subprocess.Popen([psql_program(), self.url, "-X", "-q", "-c", command], stdout=subprocess.PIPE)
        lines = count_lines(iter(lambda: process.stdout.read(COPY_CHUNK), b""))
        process.wait()
        elapsed = time.perf_counter() - started
        if process.returncode != 0:
            raise BenchmarkError(f"psql \\copy failed (exit {process.returncode})")
        return lines - 1, elapsed

    def table_counts(self) -> dict[str, int]:
        """Exact row counts of every ordinary and partitioned table of the public schema (leaf
        partitions are counted through their parent)."""
        with self.connect() as connection:
            tables = [row[0] for row in connection.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1"
            )]
            return {
                table: connection.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0]
                for table in tables
            }


def count_lines(chunks: Iterable[bytes]) -> int:
    return sum(chunk.count(b"\n") for chunk in chunks)
