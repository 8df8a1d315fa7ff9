"""Run the whole portal on one machine: ``python -m config.launch [--demo-devices N]``.

Owns the embedded PostgreSQL and Redis when ``DATABASE_URL`` / ``REDIS_URL`` are unset, applies
migrations, collects the static files, loads demo data, then starts and supervises gunicorn (web),
a Celery worker and Celery beat. In demo mode (demo data loaded, or ``--demo-mailbox``) it also runs
the demo's mail catcher and CSP notification endpoint (``portal.demo_mailbox``) and points the
portal's email and the CSP parties at them, so every outbox message is delivered and readable in the
portal. Ctrl-C stops everything; if one child dies, the others are stopped too.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
#: The demo mail catcher and CSP endpoint listen here when the ports are free (MailHog's SMTP port, and
#: ``EMAIL_PORT``'s default), else on any free port; the launcher passes the ports to the other processes.
DEMO_SMTP_PORT = 1025
DEMO_CSP_PORT = 8025


@dataclass
class Plan:
    """What the launcher runs: one-off setup commands in order, then the supervised children."""

    env: dict[str, str]
    setup: list[list[str]] = field(default_factory=list)
    children: dict[str, list[str]] = field(default_factory=dict)
    #: Children that must accept connections on these ports before the worker starts delivering.
    ports: dict[str, int] = field(default_factory=dict)


def port_or_free(preferred: int) -> int:
    """``preferred`` if nothing listens on it on loopback, else a free port."""
    for candidate in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind((LOOPBACK, candidate))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise OSError("no free port on loopback")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo-devices", type=int, default=5000, help="devices to generate (0: no demo data)")
    parser.add_argument("--bind", default="127.0.0.1:8000")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument(
        "--demo-mailbox", action=argparse.BooleanOptionalAction, default=None,
        help="run the demo mail catcher and CSP endpoint (default: on when demo data is loaded)")
    return parser


def build_plan(args: argparse.Namespace, env: dict[str, str], *, python: str = sys.executable,
               smtp_port: int | None = None, csp_port: int | None = None) -> Plan:
    """The commands and children for ``args``; ``env`` already holds DATABASE_URL / REDIS_URL."""
    env = dict(env)
    env.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    env.setdefault("SECURE_COOKIES", "false")  # plain HTTP on localhost
    env.setdefault("PORTAL_BASE_URL", f"http://{args.bind}")
    manage = [python, str(BASE_DIR / "manage.py")]
    demo_mailbox = args.demo_mailbox if args.demo_mailbox is not None else args.demo_devices > 0

    plan = Plan(env=env)
    plan.setup.append([*manage, "migrate", "--no-input"])
    # WhiteNoise serves STATIC_ROOT; without it every web process warns "No directory at: .../staticfiles/".
    plan.setup.append([*manage, "collectstatic", "--no-input", "--verbosity", "0"])
    if args.demo_devices:
        plan.setup.append([*manage, "demo_data", "--devices", str(args.demo_devices)])
        # DUIS User IDs and certificates for the demo parties (DCC Boxed test identities for HRTH and ENNW).
        plan.setup.append([*manage, "duis_demo_identities"])
    if demo_mailbox:
        smtp_port = smtp_port or port_or_free(DEMO_SMTP_PORT)
        csp_port = csp_port or port_or_free(DEMO_CSP_PORT)
        env.update({
            "DEMO_MAILBOX_ENABLED": "true",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": LOOPBACK,
            "EMAIL_PORT": str(smtp_port),
        })
        # After demo_data, which resets the CSP parties' endpoints.
        plan.setup.append([*manage, "demo_mailbox", "point-csps", "--url", f"http://{LOOPBACK}:{csp_port}"])
        plan.children["mail"] = [*manage, "demo_mailbox", "smtp", "--host", LOOPBACK, "--port", str(smtp_port)]
        plan.children["csp-endpoint"] = [*manage, "demo_mailbox", "csp", "--host", LOOPBACK, "--port", str(csp_port)]
        plan.ports = {"mail": smtp_port, "csp-endpoint": csp_port}
    else:
        env["DEMO_MAILBOX_ENABLED"] = "false"
    plan.children["web"] = [
        python, "-m", "gunicorn", "portal.wsgi:application", "--bind", args.bind,
        "--workers", str(args.workers), "--access-logfile", "-"]
    plan.children["worker"] = [python, "-m", "celery", "-A", "portal", "worker", "--loglevel", "INFO",
                               "--concurrency", "2"]
    plan.children["beat"] = [python, "-m", "celery", "-A", "portal", "beat", "--loglevel", "INFO",
                             "--schedule", str(BASE_DIR / ".local" / "celerybeat-schedule")]
    return plan


def _wait_for_port(port: int, child: subprocess.Popen, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and child.poll() is None:
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    env = dict(os.environ)
    from portal import embedded

    if "DATABASE_URL" not in env:
        env["DATABASE_URL"] = embedded.embedded_database_url()
        print(f"Embedded PostgreSQL: {env['DATABASE_URL']}")
    if not env.get("REDIS_URL"):
        env["REDIS_URL"] = embedded.start_embedded_redis()
        print(f"Embedded Redis: {env['REDIS_URL']}")
    (BASE_DIR / ".local").mkdir(exist_ok=True)

    plan = build_plan(args, env)
    for command in plan.setup:
        subprocess.run(command, env=plan.env, check=True, cwd=BASE_DIR)

    children: dict[str, subprocess.Popen] = {}
    for name, command in plan.children.items():
        children[name] = subprocess.Popen(command, env=plan.env, cwd=BASE_DIR)
        if name in plan.ports and not _wait_for_port(plan.ports[name], children[name]):
            print(f"{name} did not start listening on port {plan.ports[name]}.")
    print(f"\nPortal running at http://{args.bind}/  (Ctrl-C to stop)")
    if plan.ports:
        print(f"Demo mailbox: http://{args.bind}/demo/mailbox/ (DCC: dcc-desk) - emails caught on "
              f"smtp://{LOOPBACK}:{plan.ports['mail']}")
        print(f"CSP notifications received: http://{args.bind}/demo/csp-notifications/ (csp-north ...) - endpoint "
              f"http://{LOOPBACK}:{plan.ports['csp-endpoint']}/csp/<code>/")
    print()

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                print(f"{name} exited with {child.returncode}; stopping the portal.")
                exit_code = child.returncode or 1
                stopping = True
        time.sleep(0.5)
    for child in children.values():
        if child.poll() is None:
            child.terminate()
    for child in children.values():
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
