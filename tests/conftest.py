"""Shared fixtures. Tests run on real PostgreSQL (DATABASE_URL, or the embedded server)."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from portal.models import Party
from portal.services import api_token_issue
from tests.factories import NetworkOperatorFactory, PartyFactory, SupplierFactory, UserFactory, make_sms

#: ``pytest --hypothesis-profile=long``: the long property and model-based runs (minutes, not part of ``make
#: test``): the form fuzzing (tests/security/test_form_fuzzing.py) and the model-based test
#: (tests/security/test_model_based.py) read it instead of their small defaults.
hypothesis_settings.register_profile("long", max_examples=300, stateful_step_count=50, deadline=None,
                                     suppress_health_check=[HealthCheck.too_slow])
#: The default for the suite: no per-example deadline and no "too slow" health check. Both time the machine,
#: not the code (speed is measured by the benchmark, never asserted in a test); on a loaded CI machine they
#: failed property tests whose examples were right.
hypothesis_settings.register_profile("portal", deadline=None, suppress_health_check=[HealthCheck.too_slow])
if hypothesis_settings.get_current_profile_name() == "default":  # not --hypothesis-profile=long
    hypothesis_settings.load_profile("portal")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix) -> None:
    """The suite's own connections do not wait for the WAL flush at commit (``synchronous_commit=off``): a
    crash could lose the last commits of a test database, which nobody keeps, and the flushes of the
    transactional tests get quicker. Still one test database per xdist worker (the parallel suffix)."""
    from django.conf import settings

    options = settings.DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c synchronous_commit=off".strip()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup) -> None:
    """The snapshot serialized rollback restores leaves out the audit chain's links: the migrations seed audit rows
    (gateway 0013's allow-list changes), and restoring a row fires the chain trigger, which writes its link again -
    the same hash, the rows being restored in id order - so a restored link would collide with it."""
    import json

    from django.db import connections

    for connection in connections.all():
        contents = getattr(connection, "_test_serialized_contents", None)
        if contents:
            kept = [item for item in json.loads(contents) if item.get("model") != "portal.auditchainlink"]
            connection._test_serialized_contents = json.dumps(kept)
            _restore_only_after_a_flush(connection)


def _restore_only_after_a_flush(connection) -> None:
    """Serialized rollback restores the snapshot before each transactional test, by saving every row again: on
    the first transactional test of a process nothing has been flushed yet, the rows are there, and re-saving
    one is an UPDATE, which the append-only audit tables refuse (gateway 0013's allow-list changes). The
    snapshot *is* what is there then, so that restore is skipped; after a flush (the tables are empty) it runs."""
    restore = connection.creation.deserialize_db_from_string

    def restore_when_flushed(data: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT EXISTS (SELECT 1 FROM portal_party)")
            if cursor.fetchone()[0]:
                return
        restore(data)

    connection.creation.deserialize_db_from_string = restore_when_flushed


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory) -> None:
    """Files the portal writes (device extracts) go to a fresh folder per test, never the checkout's."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture
def dcc_party(db) -> Party:
    return Party.objects.get(code="DCC")


@pytest.fixture
def supplier(db) -> Party:
    return SupplierFactory(code="SUPA", name="Supplier A")


@pytest.fixture
def other_supplier(db) -> Party:
    return SupplierFactory(code="SUPB", name="Supplier B")


@pytest.fixture
def network_operator(db) -> Party:
    return NetworkOperatorFactory(code="DNOA", name="Network Operator A")


@pytest.fixture
def make_user(db):
    def _make(party: Party, username: str | None = None):
        kwargs = {"party": party}
        if username:
            kwargs["username"] = username
        return UserFactory(**kwargs)

    return _make


@pytest.fixture
def csp_north(db) -> Party:
    """CSP North (CSPN), as the data migration seeds it; made again if a transactional test's flush removed it."""
    return PartyFactory(code="CSPN", name="CSP North", roles=["CSP"], csp_region="North")


@pytest.fixture
def dcc_user(dcc_party, make_user):
    """A DCC service desk user (``dcc-desk``)."""
    return make_user(dcc_party, "dcc-desk")


@pytest.fixture
def supplier_user(supplier, make_user):
    """A user of supplier A (SUPA)."""
    return make_user(supplier)


@pytest.fixture
def sms(supplier, network_operator) -> dict:
    """Supplier A's commissioned SMETS2+ SMS (``CHF``, ``ESME``, ``GPF``, ``GSME``) on network operator A's network."""
    return make_sms(supplier=supplier, network_operator=network_operator)


@pytest.fixture
def fast_password_hashing(settings) -> None:
    """MD5 instead of PBKDF2 for the users a test makes: at full strength the hashing dominates a module that
    makes many. A module asks for it with ``pytestmark = pytest.mark.usefixtures("fast_password_hashing")``."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api_client_for(make_user):
    """An APIClient authenticated with a real API token of a new user of ``party``."""

    def _client(party: Party) -> APIClient:
        user = make_user(party)
        _token, key = api_token_issue(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        client.user = user
        return client

    return _client


def _uses_test_database(item) -> bool:
    names = getattr(item, "fixturenames", [])
    return item.get_closest_marker("django_db") is not None or any(
        name in names for name in ("db", "transactional_db", "live_server"))


def pytest_collection_modifyitems(items):
    """Restore migration-seeded rows (DCC/CSP parties, SRV and alert catalogues, allow-lists) after a
    transactional test: those tests end with a flush that empties every table. Serialized rollback
    reloads the snapshot taken when the test database was created.

    pytest-django takes that snapshot only if a test of the session asks for it, and for a test with a
    ``django_db`` marker it reads the wish from the marker, not from the fixture names: so the marker
    says it too. Otherwise a pytest-xdist worker that happens to get only marked transactional tests
    would never take the snapshot and would leave every later test without the seeded rows."""
    # pytest-django runs the tests that use no database last; the slowest of them (the benchmark smoke run, the
    # production-settings subprocesses) then made a tail where one xdist process worked and the other waited.
    # They touch no test database, so they go first; the database tests keep pytest-django's order (plain,
    # then transactional: a transactional test's flush must not come before a test that needs the seeded rows).
    items.sort(key=lambda item: 1 if _uses_test_database(item) else 0)
    for item in items:
        marker = item.get_closest_marker("django_db")
        names = getattr(item, "fixturenames", [])
        transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
            name in names for name in ("transactional_db", "live_server", "celery_worker_process")
        )
        if not transactional:
            continue
        if "django_db_serialized_rollback" not in names:
            names.append("django_db_serialized_rollback")
        if marker is not None and not marker.kwargs.get("serialized_rollback"):
            item.add_marker(pytest.mark.django_db(*marker.args, **{**marker.kwargs, "serialized_rollback": True}),
                            append=False)


from tests.services import celery_worker_process, csp_endpoint, redis_url, smtp_sink  # noqa: E402,F401
