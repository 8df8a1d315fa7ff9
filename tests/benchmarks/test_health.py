"""The liveness probe the ops monitoring and the gateway benchmark use as their reference."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_health_is_public_and_answers_ok():
    response = APIClient().get("/api/v1/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_makes_no_database_query():
    with CaptureQueriesContext(connection) as queries:
        APIClient().get("/api/v1/health/", HTTP_AUTHORIZATION="Token not-checked")
    assert len(queries) == 0
