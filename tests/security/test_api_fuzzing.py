"""Property-based fuzzing of the REST API from its own OpenAPI schema (schemathesis, in-process WSGI).

Every operation in ``/api/schema/`` gets up to ``MAX_EXAMPLES`` generated requests, sent with the real
API token of a supplier user and of a DCC service desk user. Checks: no 5xx (``not_a_server_error``)
and every documented response conforms to its schema (``response_schema_conformance``). The number of
cases run per operation is printed at the end of the module (``pytest -s``) and kept in ``CASES``.
"""
from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from portal.models import Party
from portal.services import api_token_issue
from portal.wsgi import application
from tests.factories import SupplierFactory, UserFactory, make_sms

pytestmark = pytest.mark.fuzz

#: Generated requests per operation and role: 10 in the normal run (the largest single cost of ``make test``);
#: a longer run: ``FUZZ_EXAMPLES=200 .venv/bin/pytest -m fuzz`` (README).
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
CASES: Counter[str] = Counter()

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture(scope="module", autouse=True)
def report_case_counts():
    yield
    if CASES:
        print(f"\nschemathesis cases per operation and role ({sum(CASES.values())} in all):")
        for label, count in sorted(CASES.items()):
            print(f"  {count:4d}  {label}")


@pytest.fixture
def in_test_transaction():
    """The WSGI handler closes the database connection at the end of each request; inside a test's
    transaction that would lose it. Django's own test client detaches that handler the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(params=["supplier", "dcc"])
def token(request, db, in_test_transaction, fast_password_hashing) -> tuple[str, str]:
    """A real API token of a supplier user (with a small estate) or of a DCC service desk user."""
    if request.param == "dcc":
        party = Party.objects.get(code="DCC")
    else:
        party = SupplierFactory(code="FUZZ", name="Fuzz Supplier")
        make_sms(supplier=party)
    _token, key = api_token_issue(user=UserFactory(party=party))
    return request.param, key


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_operation_survives_generated_requests(case, token):
    role, key = token
    CASES[f"{case.operation.label} as {role}"] += 1
    response = case.call(headers={"Authorization": f"Token {key}"})
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
