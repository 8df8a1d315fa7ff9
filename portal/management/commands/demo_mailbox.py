"""``manage.py demo_mailbox smtp|csp|point-csps``: the demo's mail catcher and CSP endpoint (``portal.demo_mailbox``).

- ``smtp --port 1025``: run the mail catcher until stopped (SIGTERM / Ctrl-C);
- ``csp --port 8025``: run the CSP notification endpoint until stopped;
- ``point-csps --url http://127.0.0.1:8025``: point every CSP party's notification endpoint at it.

The launcher's demo mode (``make demo``) runs all three; each refuses unless ``DEMO_MAILBOX_ENABLED``.
"""
from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from portal import demo_mailbox


class Command(BaseCommand):
    help = "Run the demo's mail catcher or CSP endpoint, or point the CSP parties at the endpoint."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["smtp", "csp", "point-csps"])
        parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
        parser.add_argument("--port", type=int, help="port to listen on (smtp: 1025, csp: 8025)")
        parser.add_argument("--url", help="point-csps: the CSP endpoint's base URL")

    def handle(self, *args, action: str, host: str, port: int | None, url: str | None, **options):
        try:
            demo_mailbox.ensure_enabled()
            if action == "point-csps":
                if not url:
                    raise CommandError("point-csps needs --url, e.g. --url http://127.0.0.1:8025")
                for code, endpoint in demo_mailbox.point_csps_at(url):
                    self.stdout.write(f"{code} notifications go to {endpoint}")
                return
            if action == "smtp":
                controller = demo_mailbox.start_smtp(host, port or 1025)
                self.stdout.write(f"Demo mail catcher listening on smtp://{host}:{controller.port}", ending="\n")
                stop = controller.stop
            else:
                server = demo_mailbox.start_csp_endpoint(host, port or 8025)
                self.stdout.write(f"Demo CSP endpoint listening on http://{host}:{server.server_address[1]}/csp/<code>/")
                stop = server.shutdown
        except (demo_mailbox.DemoMailboxDisabled, ValueError) as error:
            raise CommandError(str(error)) from error
        self.stdout.flush()
        self._serve_until_signalled(stop)

    @staticmethod
    def _serve_until_signalled(stop) -> None:
        done = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: done.set())
        while not done.wait(0.5):
            pass
        stop()
