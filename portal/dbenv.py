"""The database Django uses, as a URL and environment for another process.

A Celery worker started by a test, the benchmark's gunicorn, a launcher child: each must reach
exactly the database this process uses, whether that is a server named by ``DATABASE_URL`` or the
embedded PostgreSQL (whose "host" is a socket folder, which django-environ puts in
``OPTIONS['host']`` and the settings move to ``HOST``), and under test the test database (pytest-django
renames ``NAME`` to ``test_portal`` or, with pytest-xdist, ``test_portal_gw0`` ...). One function
turns ``settings.DATABASES["default"]`` into that URL, so no caller re-builds it by hand.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

#: Connection OPTIONS that are libpq parameters and can travel in a URL's query string. ``options``
#: (``-c jit=off``) is left out: the settings add it to every connection anyway.
_URL_OPTIONS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "application_name",
                "target_session_attrs", "passfile", "service")


def _default_settings() -> Mapping[str, Any]:
    from django.conf import settings

    return settings.DATABASES["default"]


def database_url(settings_dict: Mapping[str, Any] | None = None, *, name: str | None = None) -> str:
    """A ``postgres://`` URL for the database described by ``settings_dict`` (default: Django's own).

    ``name`` replaces the database name (e.g. ``postgres`` for the server's maintenance database).
    A socket-folder host (``/...``) goes in the query string as ``?host=``, as libpq and django-environ expect.
    """
    db = _default_settings() if settings_dict is None else settings_dict
    options = dict(db.get("OPTIONS") or {})
    host = str(db.get("HOST") or options.pop("host", "") or "")
    options.pop("host", None)
    port = str(db.get("PORT") or options.pop("port", "") or "")
    user = quote(str(db.get("USER") or ""), safe="")
    password = quote(str(db.get("PASSWORD") or ""), safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    query: dict[str, str] = {}
    if host.startswith("/"):
        netloc = credentials
        query["host"] = host
        if port:
            query["port"] = port
    else:
        netloc = credentials + (f"[{host}]" if ":" in host else host) + (f":{port}" if port else "")
    for key in _URL_OPTIONS:
        if options.get(key) not in (None, ""):
            query[key] = str(options[key])
    path = quote(name if name is not None else str(db["NAME"]), safe="")
    url = f"postgres://{netloc}/{path}"
    return f"{url}?{urlencode(query)}" if query else url


def subprocess_env(settings_dict: Mapping[str, Any] | None = None, *, name: str | None = None) -> dict[str, str]:
    """Environment variables that give a child process the same database as this one."""
    return {"DATABASE_URL": database_url(settings_dict, name=name)}
