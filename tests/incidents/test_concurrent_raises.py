"""Issue 14 finding 1: two install-code requests for one device by one party, at the same moment.

The partial unique index ``incident_one_open_per_device_and_raiser`` allows one open request per
device and raising party. A second raise must answer with the first request - whichever path (one
device, or bulk) each of the two takes - and never fail with the index's IntegrityError (a 500).

Each test runs the first raise on its own connection inside a transaction it holds open until the
second raise, on another connection, is seen waiting on it in ``pg_stat_activity``; then the first
commits. That is the worst interleaving, made deterministic rather than left to timing.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections, transaction
from rest_framework.test import APIClient

from incidents.choices import IncidentChannel, IncidentEventKind
from incidents.models import Incident, IncidentEvent
from incidents.services import (
    incident_bulk_job_submit,
    incident_bulk_raise_install_code_requests,
    incident_raise_install_code_request,
)
from portal.choices import OutboxKind
from portal.models import OutboxMessage
from portal.services import api_token_issue

# serialized_rollback: the flush after each test empties the migration-seeded rows (the DCC party); with a
# django_db marker pytest-django serializes them only when the marker asks (tests/conftest.py cannot).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WAIT_SECONDS = 20


def _blocked_backends() -> int:
    """Connections to this test database that are waiting for a lock (row, tuple or advisory)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def race(first: Callable[[], Any], second: Callable[[], Any]) -> tuple[Any, Any]:
    """Run ``first`` in a transaction held open until ``second`` waits on it, then commit; return both results.

    Each runs in its own thread, so on its own database connection. An exception in either is re-raised.
    """
    first_done, release = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def run_first() -> None:
        try:
            with transaction.atomic():
                outcome["first"] = first()
                first_done.set()
                release.wait(WAIT_SECONDS)
        except BaseException as error:  # noqa: BLE001 - re-raised below in the test's thread
            outcome["first_error"] = error
        finally:
            first_done.set()
            connections.close_all()

    def run_second() -> None:
        try:
            first_done.wait(WAIT_SECONDS)
            outcome["second"] = second()
        except BaseException as error:  # noqa: BLE001 - re-raised below in the test's thread
            outcome["second_error"] = error
        finally:
            connections.close_all()

    one, two = threading.Thread(target=run_first), threading.Thread(target=run_second)
    one.start()
    first_done.wait(WAIT_SECONDS)
    two.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while two.is_alive() and not _blocked_backends() and time.monotonic() < deadline:
        time.sleep(0.02)
    release.set()
    one.join(WAIT_SECONDS)
    two.join(WAIT_SECONDS)
    assert not one.is_alive() and not two.is_alive(), "a raise did not finish"
    for key in ("first_error", "second_error"):
        if key in outcome:
            raise outcome[key]
    return outcome["first"], outcome["second"]


def single(device, user) -> Callable[[], tuple[Incident, bool]]:
    return lambda: incident_raise_install_code_request(device_id=device.device_id, actor=user)


def bulk(devices, user) -> Callable[[], list]:
    return lambda: incident_bulk_raise_install_code_requests(device_ids=[d.device_id for d in devices], actor=user)


def assert_one_open_request(device) -> Incident:
    incidents = list(Incident.objects.filter(device=device))
    assert len(incidents) == 1, incidents
    kinds = list(IncidentEvent.objects.filter(incident=incidents[0]).values_list("kind", flat=True))
    assert kinds == [IncidentEventKind.CREATED, IncidentEventKind.ASSIGNED]
    return incidents[0]


def test_concurrent_bulk_install_code_requests_for_one_device_answer_with_the_existing_request(
        make_device, gaining_user):
    device, other = make_device(), make_device()

    first, second = race(bulk([device], gaining_user), bulk([other, device], gaining_user))

    incident = assert_one_open_request(device)
    assert first[0].ok and not first[0].existing and first[0].reference == incident.reference
    by_device = {row.device_id: row for row in second}
    assert by_device[device.device_id].ok and by_device[device.device_id].existing
    assert by_device[device.device_id].reference == incident.reference
    assert by_device[device.device_id].assigned_party_id == incident.assigned_party_id
    assert by_device[other.device_id].ok and not by_device[other.device_id].existing
    assert_one_open_request(other)
    # The second upload's summary email lists only the request it really raised.
    summaries = OutboxMessage.objects.filter(kind=OutboxKind.EMAIL).order_by("pk")
    assert [message.body.count(" device ") for message in summaries] == [1, 1]
    assert incident.reference not in summaries[1].body


def test_bulk_install_code_request_while_a_single_one_is_open_answers_with_it(make_device, gaining_user):
    device = make_device()

    (incident, created), rows = race(single(device, gaining_user), bulk([device], gaining_user))

    assert created and assert_one_open_request(device) == incident
    assert rows[0].ok and rows[0].existing and rows[0].reference == incident.reference


def test_single_install_code_request_while_a_bulk_one_is_open_answers_with_it(make_device, gaining_user):
    device = make_device()

    rows, (incident, created) = race(bulk([device], gaining_user), single(device, gaining_user))

    assert not created and assert_one_open_request(device) == incident
    assert rows[0].reference == incident.reference and not rows[0].existing


def test_concurrent_single_install_code_requests_answer_with_the_existing_request(make_device, gaining_user):
    device = make_device()

    (first, first_created), (second, second_created) = race(single(device, gaining_user), single(device, gaining_user))

    assert first_created and not second_created and first == second == assert_one_open_request(device)


def test_browser_bulk_upload_while_a_bulk_one_is_open_counts_the_existing_request(make_device, gaining_user):
    device = make_device()

    _rows, job = race(bulk([device], gaining_user),
                      lambda: incident_bulk_job_submit(device_ids=[device.device_id], actor=gaining_user))

    job.refresh_from_db()
    incident = assert_one_open_request(device)
    assert (job.created_count, job.failed_count) == (0, 0)
    row = job.rows.get()
    assert row.ok and row.existing and row.reference == incident.reference


def test_rest_bulk_install_code_request_while_one_is_open_is_answered_200_not_500(make_device, gaining_user):
    device = make_device()
    _token, key = api_token_issue(user=gaining_user)

    def post_bulk():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client.post("/api/v1/incidents/install-code-requests/bulk/", {"device_ids": [device.device_id]},
                           format="json")

    (incident, _created), response = race(
        lambda: incident_raise_install_code_request(device_id=device.device_id, actor=gaining_user,
                                                    channel=IncidentChannel.API),
        post_bulk,
    )

    assert response.status_code == 200, response.content
    assert response.json()["results"] == [{"device_id": device.device_id, "ok": True, "reference": incident.reference,
                                           "existing": True, "error": None}]
