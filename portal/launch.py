"""Run the whole portal on one machine: ``python -m portal.launch [--demo-devices N]``.

Owns the embedded PostgreSQL and Redis when ``DATABASE_URL`` / ``REDIS_URL`` are unset, applies
migrations, loads demo data, then starts and supervises gunicorn (web), a Celery worker and
Celery beat. Ctrl-C stops everything; if one child dies, the others are stopped too.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo-devices", type=int, default=5000, help="devices to generate (0: no demo data)")
    parser.add_argument("--bind", default="127.0.0.1:8000")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args(argv)

    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    env.setdefault("SECURE_COOKIES", "false")  # plain HTTP on localhost
    env.setdefault("PORTAL_BASE_URL", f"http://{args.bind}")
    from portal import embedded

    if "DATABASE_URL" not in env:
        env["DATABASE_URL"] = embedded.embedded_database_url()
        print(f"Embedded PostgreSQL: {env['DATABASE_URL']}")
    if not env.get("REDIS_URL"):
        env["REDIS_URL"] = embedded.start_embedded_redis()
        print(f"Embedded Redis: {env['REDIS_URL']}")

    python = sys.executable
    manage = [python, str(BASE_DIR / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input"], env=env, check=True, cwd=BASE_DIR)
    if args.demo_devices:
        subprocess.run([*manage, "demo_data", "--devices", str(args.demo_devices)], env=env, check=True, cwd=BASE_DIR)
        # DUIS User IDs and certificates for the demo parties (DCC Boxed test identities for HRTH and ENNW).
        subprocess.run([*manage, "duis_demo_identities"], env=env, check=True, cwd=BASE_DIR)

    children = {
        "web": subprocess.Popen(
            [python, "-m", "gunicorn", "portal.wsgi:application", "--bind", args.bind,
             "--workers", str(args.workers), "--access-logfile", "-"], env=env, cwd=BASE_DIR),
        "worker": subprocess.Popen(
            [python, "-m", "celery", "-A", "portal", "worker", "--loglevel", "INFO", "--concurrency", "2"],
            env=env, cwd=BASE_DIR),
        "beat": subprocess.Popen(
            [python, "-m", "celery", "-A", "portal", "beat", "--loglevel", "INFO",
             "--schedule", str(BASE_DIR / ".local" / "celerybeat-schedule")], env=env, cwd=BASE_DIR),
    }
    print(f"\nPortal running at http://{args.bind}/  (Ctrl-C to stop)\n")

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
