"""The demo's stand-ins for the outside world: a mail catcher and a CSP notification endpoint.

``make demo`` has no mail relay and no CSP systems to talk to, so without these every outbox message
would fail with "Connection refused". The launcher (``python -m config.launch``, demo mode) runs both on
loopback, supervised like web, worker and beat (``manage.py demo_mailbox smtp|csp``):

- the **mail catcher**, a real SMTP server (aiosmtpd), accepts every message and stores it as a
  ``CaughtEmail``; the DCC reads them on the demo mailbox page (like MailHog);
- the **CSP endpoint**, a small HTTP server, acknowledges every notification POSTed to
  ``/csp/<party code>/`` (``200``) and stores it as a ``CaughtNotification`` for that CSP; the demo's CSP
  parties' ``notification_endpoint`` points there (``manage.py demo_mailbox point-csps``), and their users
  see what it received.

Both serve loopback only and only while ``settings.DEMO_MAILBOX_ENABLED`` (never in production settings).
"""
from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import re
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.conf import settings
from django.db import close_old_connections, connections

from portal.models import CaughtEmail, CaughtNotification, Party

logger = logging.getLogger(__name__)

#: The largest notification body the endpoint reads (the portal's are a few hundred bytes).
MAX_NOTIFICATION_BYTES = 1024 * 1024
_CSP_PATH = re.compile(r"^/csp/(?P<code>[A-Za-z0-9_-]{1,16})/?$")
_OUTBOX_KEY = re.compile(r"^outbox-(?P<id>\d{1,18})$")


class DemoMailboxDisabled(Exception):
    """The demo mailbox is off (``DEMO_MAILBOX_ENABLED`` false, as in production)."""


def ensure_enabled() -> None:
    if not settings.DEMO_MAILBOX_ENABLED:
        raise DemoMailboxDisabled(
            "The demo mail catcher and CSP endpoint only run in the launcher's demo mode "
            "(DEMO_MAILBOX_ENABLED=true); production settings never start them.")


def ensure_loopback(host: str) -> None:
    """Both servers accept anything from anyone who reaches them: never bind them beyond this machine."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise ValueError(f"The demo mailbox serves loopback only, not {host!r} (use 127.0.0.1).")


def csp_endpoint_url(base_url: str, party_code: str) -> str:
    """The demo endpoint URL for one CSP party: ``<base>/csp/<code>/``."""
    return f"{base_url.rstrip('/')}/csp/{party_code}/"


def _plain_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        return part.get_content()
    except (LookupError, KeyError, ValueError):  # an unknown charset or a broken part: show the raw payload
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else str(payload)


def store_email(*, mail_from: str, rcpt_tos: list[str], data: bytes) -> CaughtEmail:
    """Store one message as the SMTP server received it."""
    message = message_from_bytes(data, policy=policy.default)
    outbox_header = str(message.get("X-Outbox-Id", "") or "").strip()
    return CaughtEmail.objects.create(
        mail_from=mail_from[:320],
        recipients=", ".join(rcpt_tos),
        subject=str(message.get("Subject", "") or "")[:500],
        body=_plain_text(message),
        raw=data.decode("utf-8", errors="replace"),
        outbox_id=int(outbox_header) if outbox_header.isdigit() and len(outbox_header) <= 18 else None,
    )


def store_notification(*, path: str, idempotency_key: str, body: bytes) -> CaughtNotification | None:
    """Store one notification POSTed to ``path``; None if the path names no CSP party (answered 404)."""
    match = _CSP_PATH.match(path.split("?", 1)[0])
    party = Party.objects.filter(code=match["code"], roles__contains=["CSP"]).first() if match else None
    if party is None:
        return None
    payload = json.loads(body or b"{}")
    key_match = _OUTBOX_KEY.match(idempotency_key)
    return CaughtNotification.objects.create(
        party=party, path=path[:500], idempotency_key=idempotency_key[:100],
        payload=payload if isinstance(payload, dict) else {"payload": payload},
        outbox_id=int(key_match["id"]) if key_match else None,
    )


def _in_server_thread(store, **kwargs):
    """Run ``store`` in a server thread with a connection of its own, closed after: the servers' threads come
    and go (one per HTTP request), and a thread's Django connection would outlive it."""
    close_old_connections()
    try:
        return store(**kwargs)
    finally:
        connections.close_all()  # this thread's connections only (Django keeps them per thread)


# --- the SMTP server ---------------------------------------------------------------------------------

class _CatcherHandler:
    """aiosmtpd handler: every message is accepted and stored (in a thread: the ORM is synchronous)."""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", errors="replace")
        try:
            caught = await asyncio.get_running_loop().run_in_executor(
                None, lambda: _in_server_thread(store_email, mail_from=envelope.mail_from or "",
                                                rcpt_tos=list(envelope.rcpt_tos), data=data))
        except Exception:
            logger.exception("Demo mail catcher could not store a message")
            return "451 Requested action aborted: could not store the message"
        logger.info("Caught email %s: %s", caught.pk, caught.subject)
        return "250 Message accepted"


def start_smtp(host: str = "127.0.0.1", port: int = 1025):
    """Start the mail catcher in a background thread; returns the aiosmtpd ``Controller`` (``.stop()``)."""
    from aiosmtpd.controller import Controller

    ensure_enabled()
    ensure_loopback(host)
    controller = Controller(_CatcherHandler(), hostname=host, port=port)
    controller.start()
    return controller


# --- the CSP endpoint ----------------------------------------------------------------------------------

class _CspEndpointHandler(BaseHTTPRequestHandler):
    server_version = "DemoCspEndpoint/1.0"

    def do_POST(self):  # noqa: N802 (http.server's hook name)
        try:
            length = int(self.headers.get("Content-Length", 0) or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_NOTIFICATION_BYTES:
            self._answer(413 if length > 0 else 400, {"error": "bad Content-Length"})
            return
        body = self.rfile.read(length)
        try:
            caught = _in_server_thread(store_notification, path=self.path,
                                       idempotency_key=self.headers.get("Idempotency-Key", ""), body=body)
        except (ValueError, UnicodeDecodeError):
            self._answer(400, {"error": "the body is not JSON"})
            return
        except Exception:
            logger.exception("Demo CSP endpoint could not store a notification")
            self._answer(503, {"error": "could not store it; the portal will retry"})
            return
        if caught is None:
            self._answer(404, {"error": "no CSP party with this code: POST to /csp/<party code>/"})
            return
        logger.info("Caught CSP notification %s for %s (%s)", caught.pk, caught.party.code, caught.idempotency_key)
        self._answer(200, {"status": "received", "id": caught.pk})

    def do_GET(self):  # noqa: N802
        self._answer(200, {"status": "ok", "hint": "POST notifications to /csp/<party code>/"})

    def _answer(self, status: int, body: dict) -> None:
        encoded = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(encoded)))
        self.end_headers()
        self.wfile.write(encoded)

    def log_message(self, format, *args):  # noqa: A002 (http.server's signature)
        logger.debug("demo CSP endpoint: " + format, *args)


def start_csp_endpoint(host: str = "127.0.0.1", port: int = 8025) -> ThreadingHTTPServer:
    """Start the CSP endpoint in a background thread; returns the server (``.shutdown()``)."""
    ensure_enabled()
    ensure_loopback(host)
    server = ThreadingHTTPServer((host, port), _CspEndpointHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="demo-csp-endpoint", daemon=True).start()
    return server


def point_csps_at(base_url: str) -> list[tuple[str, str]]:
    """Point every CSP party's ``notification_endpoint`` at the demo endpoint; returns (code, url) pairs."""
    ensure_enabled()
    pointed = []
    for party in Party.objects.filter(roles__contains=["CSP"]).order_by("code"):
        url = csp_endpoint_url(base_url, party.code)
        Party.objects.filter(pk=party.pk).update(notification_endpoint=url)
        pointed.append((party.code, url))
    return pointed
