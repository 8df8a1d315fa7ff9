"""Heavy reads on a PostgreSQL streaming replica; everything else on the primary.

With ``DATABASE_REPLICA_URL`` set, the settings add a ``replica`` database alias and install
``PrimaryReplicaRouter``. The router sends **nothing** to the replica by default: a read goes there
only inside a ``replica_reads()`` block (or a view decorated with ``replica_reads_view``), which the
read-only heavy work opens - device extracts (stream and file job), report builds and report pages,
the restricted-firmware report, the gateway log pages. Every write, and every read outside such a
block, is on the primary.

A block decides its database **once, at entry** (every read in it sees the same server), and picks
the primary when any of these holds (``ReadTarget.reason`` says which):

- no replica is configured;
- the request is a write (POST, PUT, PATCH, DELETE) or has already written (``db_for_write`` was
  called in it): a read in the same request as a write stays on the primary;
- the user wrote within the last ``DATABASE_REPLICA_READ_YOUR_WRITES_SECONDS`` (the
  ``ReadYourWritesMiddleware`` sets a cookie with that deadline on the response to any write), so a
  supplier never sees its own change missing;
- the primary connection is inside a transaction (a read there may depend on uncommitted rows);
- the replica does not answer (stopped, unreachable): the block falls back to the primary, and the
  replica is not tried again for ``DATABASE_REPLICA_PROBE_SECONDS``;
- the replica is more than ``DATABASE_REPLICA_MAX_LAG_SECONDS`` behind and the lag policy
  (``DATABASE_REPLICA_LAG_POLICY``) is ``primary``; with ``label`` the block stays on the replica and
  ``ReadTarget.data_age_seconds`` says how old the data is (extracts send it as ``X-Data-Age-Seconds``,
  report pages show a notice, report snapshots keep it in their ``meta``).

Jobs (Celery tasks) have no request: a job's block (``wait_for_primary=True``) first waits, up to
``DATABASE_REPLICA_CATCHUP_SECONDS``, until the replica has replayed the primary's WAL position taken
at block entry, so the job reads everything committed before it - its own bookkeeping, and the
change its user made a moment before asking for it. If the replica does not catch up in time, the
job reads the primary.

Lag is measured as PostgreSQL defines it for a standby: ``now() - pg_last_xact_replay_timestamp()``,
except that a replica which has replayed up to the primary's current WAL position is 0 s behind
(an idle primary sends no transactions, so the replay timestamp alone would grow without bound).
"""
from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, connections

logger = logging.getLogger(__name__)

PRIMARY = "default"
REPLICA = "replica"
#: The cookie that holds the end of a user's read-your-writes window (a Unix time, seconds).
READ_YOUR_WRITES_COOKIE = "portal_primary_until"
LAG_POLICIES = ("primary", "label")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
#: Writes that are bookkeeping, not a change a user could miss on the replica: an API token's
#: ``last_used_at`` (once a minute), the session row, django-axes' login records.
BOOKKEEPING_MODELS = frozenset({"portal.apitoken", "sessions.session", "axes.accessattempt", "axes.accesslog",
                                "axes.accessfailurelog"})


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


# --- What a request has done -----------------------------------------------------------------------------------
@dataclass
class UnitOfWork:
    """One request: whether it wrote, and whether its user is inside a read-your-writes window."""

    wrote: bool = False
    pinned: bool = False


_unit: ContextVar[UnitOfWork | None] = ContextVar("portal_db_unit_of_work", default=None)


@contextlib.contextmanager
def unit_of_work(*, wrote: bool = False, pinned: bool = False) -> Iterator[UnitOfWork]:
    """The scope in which writes are remembered (the middleware opens one per request)."""
    unit = UnitOfWork(wrote=wrote, pinned=pinned)
    token = _unit.set(unit)
    try:
        yield unit
    finally:
        _unit.reset(token)


# --- The replica's state -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReplicaStatus:
    """The replica as last probed: reachable or not, and how far behind the primary."""

    configured: bool
    available: bool
    lag_seconds: float | None = None
    error: str = ""
    checked_at: float = field(default_factory=time.time)

    def as_dict(self) -> dict[str, Any]:
        return {
            "configured": self.configured, "available": self.available,
            "lag_seconds": None if self.lag_seconds is None else round(self.lag_seconds, 3),
            "max_lag_seconds": _setting("DATABASE_REPLICA_MAX_LAG_SECONDS", 30.0),
            "lag_policy": _setting("DATABASE_REPLICA_LAG_POLICY", "primary"),
            **({"error": self.error} if self.error else {}),
        }


_status_lock = threading.Lock()
_last_status: ReplicaStatus | None = None

#: Caught up: replayed the primary's position, or replayed all it has received while it streams (the
#: primary's position also moves with WAL that holds no commit, e.g. the running-transactions record).
_LAG_SQL = """
SELECT pg_is_in_recovery(),
       pg_last_wal_replay_lsn() >= %s::pg_lsn
         OR (pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
             AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')),
       extract(epoch FROM now() - pg_last_xact_replay_timestamp())
"""


def _primary_lsn() -> str:
    """The primary's WAL *insert* position: past every commit so far, asynchronous ones included.

    ``pg_current_wal_lsn()`` is the *write* position; a transaction committed with ``synchronous_commit=off``
    (the gateway's log rows, docs/decisions/0005) may still sit in WAL buffers beyond it, so a replica that has
    replayed that far may not yet show the commit. The WAL writer flushes within ``wal_writer_delay``.
    """
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
        return cursor.fetchone()[0]


def _probe() -> ReplicaStatus:
    """Ask the primary for its WAL position, then the replica how far it has replayed."""
    try:
        lsn = _primary_lsn()
    except DatabaseError as error:  # the primary itself is down: nothing to compare with
        return ReplicaStatus(configured=True, available=False, error=f"primary: {error}".strip()[:200])
    replica = connections[REPLICA]
    try:
        with replica.cursor() as cursor:
            cursor.execute(_LAG_SQL, [lsn])
            in_recovery, caught_up, behind = cursor.fetchone()
            if in_recovery and not caught_up:  # WAL in flight is replayed within milliseconds: look once more
                time.sleep(0.05)
                cursor.execute(_LAG_SQL, [lsn])
                in_recovery, caught_up, behind = cursor.fetchone()
    except (DatabaseError, InterfaceError) as error:
        # A stopped replica leaves a dead connection: drop it, so the next probe connects afresh.
        with contextlib.suppress(Exception):
            replica.close()
        logger.warning("Database replica unavailable, reading from the primary: %s", str(error).strip())
        return ReplicaStatus(configured=True, available=False, error=str(error).strip()[:200])
    if not in_recovery:
        logger.warning("DATABASE_REPLICA_URL names a server that is not a standby; treating it as 0 s behind.")
    lag = 0.0 if (caught_up or not in_recovery or behind is None) else max(float(behind), 0.0)
    return ReplicaStatus(configured=True, available=True, lag_seconds=lag)


def replica_status(*, fresh: bool = False) -> ReplicaStatus:
    """The replica's state, probed at most once per ``DATABASE_REPLICA_PROBE_SECONDS`` per process
    (``fresh``: probe now). Without a replica: not configured, no I/O."""
    global _last_status
    if not replica_configured():
        return ReplicaStatus(configured=False, available=False)
    max_age = float(_setting("DATABASE_REPLICA_PROBE_SECONDS", 1.0))
    with _status_lock:
        cached = _last_status
        if not fresh and cached is not None and time.time() - cached.checked_at < max_age:
            return cached
        _last_status = _probe()
        return _last_status


def forget_replica_status() -> None:
    """Drop the cached probe (tests that stop and start the replica)."""
    global _last_status
    with _status_lock:
        _last_status = None


def _wait_for_replay(lsn: str, timeout: float) -> bool:
    """True once the replica has replayed ``lsn`` (polled every 20 ms, for at most ``timeout`` s)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with connections[REPLICA].cursor() as cursor:
                cursor.execute("SELECT NOT pg_is_in_recovery() OR pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
                if cursor.fetchone()[0]:
                    return True
        except (DatabaseError, InterfaceError):
            with contextlib.suppress(Exception):
                connections[REPLICA].close()
            return False
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


# --- Read blocks -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReadTarget:
    """Where a block's reads go, and why."""

    alias: str
    purpose: str
    reason: str
    lag_seconds: float | None = None
    stale: bool = False

    @property
    def on_replica(self) -> bool:
        return self.alias == REPLICA

    @property
    def data_age_seconds(self) -> float | None:
        """How old the data may be when the block reads a replica past the lag limit (else ``None``)."""
        return self.lag_seconds if self.stale else None

    @property
    def notice(self) -> str:
        """A sentence for a page or file whose data is older than the lag limit; empty when it is not."""
        age = self.data_age_seconds
        if age is None:
            return ""
        return (f"This data comes from a copy of the database that is {_duration(age)} behind: "
                "changes made in that time are not in it yet.")

    def headers(self) -> dict[str, str]:
        """Response headers that say where the data came from (and how old it is, when stale)."""
        headers = {"X-Data-Source": "replica" if self.on_replica else "primary"}
        if self.data_age_seconds is not None:
            headers["X-Data-Age-Seconds"] = f"{self.data_age_seconds:.0f}"
        return headers


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} seconds"
    if seconds < 7200:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.1f} hours"


_block: ContextVar[ReadTarget | None] = ContextVar("portal_db_read_block", default=None)


def choose_read_target(purpose: str, *, wait_for_primary: bool = False, lag_policy: str | None = None) -> ReadTarget:
    """Where the reads of a heavy read-only block should go now (see the module docstring)."""
    if not replica_configured():
        return ReadTarget(PRIMARY, purpose, "no replica configured")
    unit = _unit.get()
    if unit is not None and unit.wrote:
        return ReadTarget(PRIMARY, purpose, "this request writes")
    if unit is not None and unit.pinned:
        return ReadTarget(PRIMARY, purpose, "read-your-writes window")
    if connections[PRIMARY].in_atomic_block:
        return ReadTarget(PRIMARY, purpose, "inside a transaction")
    if wait_for_primary:
        try:
            lsn = _primary_lsn()
        except DatabaseError:
            return ReadTarget(PRIMARY, purpose, "primary position unknown")
        if not _wait_for_replay(lsn, float(_setting("DATABASE_REPLICA_CATCHUP_SECONDS", 2.0))):
            status = replica_status(fresh=True)
            reason = "replica unavailable" if not status.available else "replica did not catch up"
            return ReadTarget(PRIMARY, purpose, reason, lag_seconds=status.lag_seconds)
        return ReadTarget(REPLICA, purpose, "replica (caught up with the primary)", lag_seconds=0.0)
    status = replica_status()
    if not status.available:
        return ReadTarget(PRIMARY, purpose, "replica unavailable")
    limit = float(_setting("DATABASE_REPLICA_MAX_LAG_SECONDS", 30.0))
    lag = status.lag_seconds or 0.0
    if lag > limit:
        policy = lag_policy or _setting("DATABASE_REPLICA_LAG_POLICY", "primary")
        if policy == "primary":
            return ReadTarget(PRIMARY, purpose, f"replica {lag:.0f} s behind (limit {limit:.0f} s)", lag_seconds=lag)
        return ReadTarget(REPLICA, purpose, f"replica {lag:.0f} s behind, labelled", lag_seconds=lag, stale=True)
    return ReadTarget(REPLICA, purpose, "replica", lag_seconds=lag)


@contextlib.contextmanager
def replica_reads(purpose: str, *, wait_for_primary: bool = False,
                  lag_policy: str | None = None) -> Iterator[ReadTarget]:
    """Run a read-only block on the replica when that is safe (else the primary); yields the choice.

    Nested blocks keep the outer block's choice. Writes inside still go to the primary (the router).
    """
    outer = _block.get()
    if outer is not None:
        yield outer
        return
    target = choose_read_target(purpose, wait_for_primary=wait_for_primary, lag_policy=lag_policy)
    logger.debug("%s reads from %s (%s)", purpose, target.alias, target.reason)
    token = _block.set(target)
    try:
        yield target
    finally:
        _block.reset(token)


def read_alias() -> str:
    """The alias the current block reads from (the primary outside a block): for raw SQL cursors."""
    target = _block.get()
    return target.alias if target else PRIMARY


def current_read_target() -> ReadTarget | None:
    return _block.get()


def _request_of(args: tuple) -> Any:
    for value in args:
        if hasattr(value, "META") and hasattr(value, "method"):
            return value
    return None


def replica_reads_view(purpose: str, *, notice: bool = True, **options: Any) -> Callable:
    """Decorate a page or API view (function, or a class-based view's method) whose reads are heavy and
    read-only: it runs inside ``replica_reads(purpose)``; the response says where its data came from
    (``X-Data-Source``) and, past the lag limit, how old it is (``X-Data-Age-Seconds``, and for an HTML page
    - a plain Django view with ``notice`` - a warning among the page's messages)."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with replica_reads(purpose, **options) as target:
                request = _request_of(args)
                is_page = request is not None and not hasattr(request, "_request")  # not a DRF Request
                if notice and is_page and target.notice and hasattr(request, "_messages"):
                    from django.contrib import messages

                    messages.warning(request, target.notice)
                response = view(*args, **kwargs)
            for name, value in target.headers().items():
                response[name] = value
            return response

        return wrapped

    return decorate


# --- The router ----------------------------------------------------------------------------------------------
class PrimaryReplicaRouter:
    """Reads in a ``replica_reads`` block go where the block decided; every other read, every write and every
    migration go to the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        target = _block.get()
        return target.alias if target else PRIMARY

    def db_for_write(self, model: Any, **hints: Any) -> str:
        unit = _unit.get()
        if unit is not None and getattr(getattr(model, "_meta", None), "label_lower", "") not in BOOKKEEPING_MODELS:
            unit.wrote = True
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica is a copy of the primary: the same rows

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY


# --- Read-your-writes ----------------------------------------------------------------------------------------
class ReadYourWritesMiddleware:
    """Remembers whether a request writes; after a write, the user's heavy reads stay on the primary for
    ``DATABASE_REPLICA_READ_YOUR_WRITES_SECONDS`` (a cookie holds the deadline). Inert without a replica."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        if not replica_configured():
            return self.get_response(request)
        now = time.time()
        try:
            pinned = float(request.COOKIES.get(READ_YOUR_WRITES_COOKIE, "0")) > now
        except ValueError:
            pinned = False
        with unit_of_work(wrote=request.method not in _SAFE_METHODS, pinned=pinned) as unit:
            response = self.get_response(request)
        window = int(_setting("DATABASE_REPLICA_READ_YOUR_WRITES_SECONDS", 10))
        if unit.wrote and window > 0:
            response.set_cookie(
                READ_YOUR_WRITES_COOKIE, f"{now + window:.3f}", max_age=window, httponly=True, samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response
