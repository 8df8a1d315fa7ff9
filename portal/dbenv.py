"""The database Django uses, as a URL and environment for another process.

A Celery worker started by a test, the benchmark's gunicorn, a launcher child: each must reach
exactly the database this process uses, whether that is a server named by ``DATABASE_URL`` or the
embedded PostgreSQL (whose "host" is a socket folder, which django-environ puts in
``OPTIONS['host']`` and the settings move to ``HOST``), and under test the test database (pytest-django
renames ``NAME`` to ``test_portal`` or, with pytest-xdist, ``test_portal_gw0`` ...). One function
turns ``settings.DATABASES["default"]`` into that URL, so no caller re-builds it by hand.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
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
    """Environment variables that give a child process the same database as this one (and, for Django's own
    database, its read replica when one is configured)."""
    environment = {"DATABASE_URL": database_url(settings_dict, name=name)}
    if settings_dict is None and name is None:
        environment.update(subprocess_replica_env())
    return environment


def subprocess_replica_env() -> dict[str, str]:
    """``DATABASE_REPLICA_URL`` for a child process, when this one has a read replica configured."""
    from django.conf import settings

    replica = settings.DATABASES.get("replica")
    if not replica or replica.get("TEST", {}).get("MIRROR"):
        return {}
    return {"DATABASE_REPLICA_URL": database_url(replica)}


# --- A real streaming replica of a running server (tests, benchmark) ------------------------------------------
class ReplicaUnavailable(Exception):
    """A streaming replica cannot be started here; the message says why (missing binaries, no replication)."""


def _major_version(postgres: Path) -> int | None:
    try:
        out = subprocess.run([str(postgres), "--version"], capture_output=True, text=True, timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    digits = out.strip().rsplit(" ", 1)[-1].split(".")[0]
    return int(digits) if digits.isdigit() else None


def postgres_bin_dirs() -> list[Path]:
    """Where PostgreSQL server binaries may be: the embedded pgserver's, the machine's, ``pg_config``'s."""
    candidates: list[Path] = []
    with contextlib.suppress(ImportError):
        from pgserver._commands import POSTGRES_BIN_PATH

        candidates.append(Path(POSTGRES_BIN_PATH))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    if found := shutil.which("pg_config"):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            candidates.append(Path(subprocess.run([found, "--bindir"], capture_output=True, text=True,
                                                  check=True).stdout.strip()))
    return [path for path in candidates if (path / "postgres").exists() and (path / "pg_basebackup").exists()]


def _server_user() -> str | None:
    """PostgreSQL refuses to run as root: as root, run it as ``pgserver`` (as the embedded server does) or
    ``postgres``; otherwise as ourselves (``None``)."""
    if os.geteuid() != 0:
        return None
    import pwd

    for name in ("pgserver", "postgres"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise ReplicaUnavailable("running as root and no 'pgserver' or 'postgres' user to run the replica as")


@dataclass
class StreamingReplica:
    """A hot standby of the server ``primary`` (a Django settings dict) made with ``pg_basebackup -R`` into
    ``data_dir`` and run as a second ``postgres`` on ``port`` (Unix socket in ``data_dir``).

    Every statement it runs is logged (``log_statement = all``, with the application name), so a test can
    read in ``log_file`` what ran on the replica.
    """

    primary: dict[str, Any]
    data_dir: Path
    bin_dir: Path
    port: int
    log_file: Path
    nice: int = 0
    user: str | None = None

    @classmethod
    def start(cls, primary: Mapping[str, Any], workdir: Path | None = None, *, port: int,
              nice: int = 0) -> StreamingReplica:
        """Take the base backup and start the standby; ``workdir`` default: a new folder under the system's
        temporary directory (the server's user must be able to reach it)."""
        primary = dict(primary)
        import tempfile

        import psycopg

        user = _server_user()
        workdir = Path(tempfile.mkdtemp(prefix="portal-replica-", dir=workdir))
        if user:
            import pwd

            entry = pwd.getpwnam(user)
            os.chown(workdir, entry.pw_uid, entry.pw_gid)

        try:
            with psycopg.connect(database_url(primary), autocommit=True, connect_timeout=5) as connection:
                major = int(connection.execute("SHOW server_version_num").fetchone()[0]) // 10000
                wal_level = connection.execute("SHOW wal_level").fetchone()[0]
                senders = int(connection.execute("SHOW max_wal_senders").fetchone()[0])
                can_replicate = connection.execute(
                    "SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]
        except psycopg.Error as error:
            raise ReplicaUnavailable(f"cannot reach the primary: {error}") from error
        if wal_level not in ("replica", "logical") or senders < 1:
            raise ReplicaUnavailable(f"the primary has wal_level={wal_level}, max_wal_senders={senders}")
        if not can_replicate:
            raise ReplicaUnavailable("the primary's user has no REPLICATION attribute")
        bin_dir = next((path for path in postgres_bin_dirs() if _major_version(path / "postgres") == major), None)
        if bin_dir is None:
            raise ReplicaUnavailable(f"no PostgreSQL {major} server binaries (postgres, pg_basebackup) on this machine")
        data_dir = workdir / "replica-data"
        shutil.rmtree(data_dir, ignore_errors=True)
        host = str(primary.get("HOST") or "")
        command = [str(bin_dir / "pg_basebackup"), "-D", str(data_dir), "-R", "-X", "stream", "-c", "fast",
                   "-h", host or "localhost", "-U", str(primary.get("USER") or "postgres")]
        if primary.get("PORT"):
            command += ["-p", str(primary["PORT"])]
        environment = {**os.environ, "PGAPPNAME": "portal-replica-stream"}
        if primary.get("PASSWORD"):
            environment["PGPASSWORD"] = str(primary["PASSWORD"])
        done = subprocess.run(command, capture_output=True, text=True, env=environment, check=False, timeout=600,
                              user=user, cwd=workdir)
        if done.returncode != 0:
            raise ReplicaUnavailable(f"pg_basebackup failed (the primary must allow replication connections in "
                                     f"pg_hba.conf): {done.stderr.strip()[-400:]}")
        data_dir.chmod(0o700)
        (data_dir / "postmaster.opts").unlink(missing_ok=True)
        with (data_dir / "postgresql.auto.conf").open("a") as conf:
            conf.write(
                f"\n# portal.dbenv.StreamingReplica\nport = {port}\nlisten_addresses = ''\n"
                f"unix_socket_directories = '{data_dir}'\nhot_standby = on\nhot_standby_feedback = on\n"
                "max_standby_streaming_delay = -1\nlog_statement = 'all'\nlogging_collector = off\n"
                "log_line_prefix = '%m [%p] app=%a db=%d '\n"
                f"cluster_name = 'portal-replica-{port}'\n"
            )
        replica = cls(primary=primary, data_dir=data_dir, bin_dir=bin_dir, port=port, log_file=workdir / "replica.log",
                      nice=nice, user=user)
        replica.resume()
        return replica

    def _pg_ctl(self, *arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *arguments],
                              capture_output=True, text=True, check=False, timeout=120, user=self.user,
                              cwd=self.data_dir.parent)

    def resume(self) -> None:
        """Start (or restart) the replica's postgres and wait until it accepts connections."""
        command = [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "60",
                   "start"]
        if self.nice:
            command = ["nice", "-n", str(self.nice), *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120, user=self.user,
                              cwd=self.data_dir.parent)
        if done.returncode != 0:
            tail = self.log_file.read_text(errors="replace")[-1500:] if self.log_file.exists() else ""
            raise ReplicaUnavailable(f"the replica did not start: {done.stderr.strip()} {tail}")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "-w", "stop")

    @property
    def running(self) -> bool:
        return self._pg_ctl("status").returncode == 0

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)

    def settings_dict(self, *, name: str | None = None, application_name: str = "portal-replica-reads") -> dict:
        """A Django ``DATABASES`` entry for this replica (the primary's, with the replica's socket and port)."""
        options = {k: v for k, v in dict(self.primary.get("OPTIONS") or {}).items() if k != "host"}
        options.update({"application_name": application_name, "connect_timeout": 2})
        return {**self.primary, "HOST": str(self.data_dir), "PORT": str(self.port), "OPTIONS": options,
                "NAME": name or self.primary["NAME"], "TEST": {"MIRROR": "default"}}

    def url(self, name: str | None = None) -> str:
        return database_url(self.settings_dict(name=name))

    def log_text(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
