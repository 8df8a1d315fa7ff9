"""A real PostgreSQL streaming replica of the test cluster, for the read-replica tests.

``streaming_replica`` (once per test process) takes ``pg_basebackup -R`` of the server the test database
is on into a temporary folder and starts a second ``postgres`` on another port (the embedded pgserver's
binaries or the machine's, whichever match the primary's major version). If that cannot be done here
(no binaries, the primary refuses replication connections) the tests skip and say why - unless
``PORTAL_REQUIRE_REPLICA_TESTS`` is set (CI's ``.ci/run`` sets it), where they fail instead.

``replica_db`` adds the ``replica`` database alias pointing at it for one (transactional) test: a
replica only ever sees committed rows.
"""
from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

import psycopg
import pytest
from django.db import connections

from portal import db_routing
from portal.dbenv import ReplicaUnavailable, StreamingReplica, database_url
from tests.services import free_port


@pytest.fixture(scope="session")
def streaming_replica(django_db_setup, django_db_blocker) -> Iterator[StreamingReplica]:
    with django_db_blocker.unblock():
        primary = dict(connections["default"].settings_dict)
    try:
        replica = StreamingReplica.start(primary, port=free_port())
    except ReplicaUnavailable as reason:
        if os.environ.get("PORTAL_REQUIRE_REPLICA_TESTS"):
            pytest.fail(f"a streaming replica is required here (PORTAL_REQUIRE_REPLICA_TESTS) but: {reason}")
        pytest.skip(f"no streaming replica on this machine: {reason}")
    # The alias is known to Django's connections for the rest of the session (the tests' marker may then name
    # it); ``settings.DATABASES`` has it - so the router uses it - only inside a ``replica_db`` test.
    # ``connections.settings`` *is* the ``settings.DATABASES`` dict: adding the alias to it in place would leave
    # a configured replica to every later test in the process (whose reads then went to an undeclared 'replica'),
    # so the connections get a copy of their own.
    original = connections.settings
    connections.settings = {**original, db_routing.REPLICA: replica.settings_dict(name=primary["NAME"])}
    yield replica
    with contextlib.suppress(Exception):
        connections[db_routing.REPLICA].close()
    connections.settings = original
    replica.destroy()


def primary_lsn() -> str:
    with psycopg.connect(database_url(connections["default"].settings_dict), autocommit=True) as connection:
        # the insert position: past every commit, synchronous_commit=off ones too (portal.db_routing._primary_lsn)
        return connection.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()[0]


def replica_caught_up(replica: StreamingReplica, timeout: float = 15.0) -> None:
    """Wait until the replica has replayed everything the primary has committed so far."""
    lsn = primary_lsn()
    deadline = time.monotonic() + timeout
    with psycopg.connect(replica.url(), autocommit=True) as connection:
        while True:
            if connection.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]).fetchone()[0]:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"the replica did not replay {lsn} within {timeout}s")
            time.sleep(0.05)


@pytest.fixture
def replica_db(streaming_replica, transactional_db, settings) -> Iterator[StreamingReplica]:
    """The ``replica`` alias on the streaming replica for this test (after the test database is set up, so
    pytest-django's guard for undeclared databases does not wrap it)."""
    if not streaming_replica.running:
        streaming_replica.resume()
    settings.DATABASES = {**settings.DATABASES, "replica": connections.settings[db_routing.REPLICA]}
    settings.DATABASE_REPLICA_PROBE_SECONDS = 0
    db_routing.forget_replica_status()
    yield streaming_replica
    connections[db_routing.REPLICA].close()
    db_routing.forget_replica_status()
