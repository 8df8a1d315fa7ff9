"""The real server stack under test: gunicorn serving ``portal.wsgi:application`` on localhost.

The benchmark starts it on a free loopback port, waits for ``/api/v1/health/`` and stops it (TERM,
then KILL) when done, so it never outlives the run. ``RssSampler`` watches the workers' resident
memory from outside while a request streams.
"""
from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import requests

from benchmarks.database import PROJECT_DIR, BenchDatabase, BenchmarkError

STARTUP_SECONDS = 60


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class GunicornServer:
    """``gunicorn portal.wsgi:application`` with sync workers, as in production, on 127.0.0.1."""

    def __init__(self, database: BenchDatabase, *, workers: int, log: Path, environment: dict[str, str] | None = None,
                 nice: int = 0):
        self.database = database
        self.environment = environment
        self.nice = nice
        self.workers = workers
        self.log = log
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> GunicornServer:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        command = [
            sys.executable, "-m", "gunicorn", "portal.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
            # Long enough for a national extract or a 100,000-row bulk request in one sync worker.
            "--timeout", "900", "--graceful-timeout", "5", "--log-level", "warning",
        ]
        if self.nice:
            command = ["nice", "-n", str(self.nice), *command]
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                command, cwd=PROJECT_DIR, env=self.environment or self.database.environment(), stdout=output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchmarkError(f"gunicorn exited with {self.process.returncode}; see {self.log}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.base_url}/api/v1/health/", timeout=2).status_code == 200 and self._all_workers_up():
                    return
            time.sleep(0.2)
        self.stop()
        raise BenchmarkError(f"gunicorn did not answer /api/v1/health/ within {STARTUP_SECONDS} s; see {self.log}")

    def _all_workers_up(self) -> bool:
        return len(self.worker_processes()) >= self.workers

    def worker_processes(self) -> list[psutil.Process]:
        if self.process is None:
            return []
        try:
            return psutil.Process(self.process.pid).children()
        except psutil.NoSuchProcess:
            return []

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)


class RssSampler:
    """Samples the largest resident set size among the server's workers every ``interval`` seconds."""

    def __init__(self, server: GunicornServer, interval: float = 0.02):
        self.server = server
        self.interval = interval
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def current_max_bytes(self) -> int:
        sizes = []
        for worker in self.server.worker_processes():
            with contextlib.suppress(psutil.Error):
                sizes.append(worker.memory_info().rss)
        return max(sizes, default=0)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, self.current_max_bytes())
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_bytes = max(self.peak_bytes, self.current_max_bytes())
