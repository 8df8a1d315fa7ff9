"""The gateway's speed measures (issue 16 item 11, docs/decisions/0005): active API tokens remembered per process
for a few seconds, revocation forgotten at once in the revoking process; the REST gateway's log row committed
without waiting for the WAL flush, the DUIS gateway's (with its anti-replay counter) always durably."""
from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from gateway.models import ServiceRequestLog
from portal.authentication import api_token_cache_forget
from portal.models import ApiToken
from portal.services import api_token_revoke
from tests.duis_samples import duis
from tests.factories import DeviceFactory


def _request(api, device_id):
    return api.post("/api/v1/service-requests/", {"srv": "4.1.1", "device_id": device_id, "command_variant": 1},
                    format="json")


def test_a_token_is_looked_up_once_per_burst(api_client_for, supplier, settings):
    settings.API_TOKEN_CACHE_SECONDS = 5
    api_token_cache_forget()
    meter = DeviceFactory(responsible_supplier=supplier)
    api = api_client_for(supplier)
    _request(api, meter.device_id)
    with CaptureQueriesContext(connection) as queries:
        assert _request(api, meter.device_id).json()["response_code"] == "I99"
    assert not [q for q in queries.captured_queries if "portal_apitoken" in q["sql"]]


def test_a_revoked_token_is_refused_at_once_in_the_revoking_process(api_client_for, supplier, settings):
    settings.API_TOKEN_CACHE_SECONDS = 5
    api = api_client_for(supplier)
    assert api.get("/api/v1/parties/").status_code == 200
    api_token_revoke(token=ApiToken.objects.get(user=api.user), actor=api.user)
    assert api.get("/api/v1/parties/").status_code == 401


def test_the_cache_can_be_turned_off(api_client_for, supplier, settings):
    settings.API_TOKEN_CACHE_SECONDS = 0
    api = api_client_for(supplier)
    assert api.get("/api/v1/parties/").status_code == 200
    ApiToken.objects.filter(user=api.user).update(revoked_at="2026-01-01T00:00:00Z")  # another process revoked it
    assert api.get("/api/v1/parties/").status_code == 401


def test_the_rest_log_row_is_committed_without_waiting_for_the_wal(api_client_for, supplier):
    meter = DeviceFactory(responsible_supplier=supplier)
    with CaptureQueriesContext(connection) as queries:
        _request(api_client_for(supplier), meter.device_id)
    inserts = [q["sql"] for q in queries.captured_queries if "INSERT INTO gateway_servicerequestlog" in q["sql"]]
    assert len(inserts) == 1 and "set_config('synchronous_commit', 'off', true)" in inserts[0]
    assert ServiceRequestLog.objects.get().response_code == "I99"


def test_the_rest_log_row_is_durable_when_configured(api_client_for, supplier, settings):
    settings.GATEWAY_LOG_ASYNC_COMMIT = False
    meter = DeviceFactory(responsible_supplier=supplier)
    with CaptureQueriesContext(connection) as queries:
        _request(api_client_for(supplier), meter.device_id)
    assert not [q for q in queries.captured_queries if "synchronous_commit" in q["sql"]]
    assert ServiceRequestLog.objects.get().response_code == "I99"


def test_the_duis_transaction_stays_durable(duis_sender, duis_identities):
    hrth = duis_identities[0]
    DeviceFactory(device_id="00-DB-12-34-56-78-90-A0", responsible_supplier=hrth)
    sender = duis_sender(hrth)
    with CaptureQueriesContext(connection) as queries:
        assert b"I99" in sender.post(duis("4.1.1")).content
    assert not [q for q in queries.captured_queries if "synchronous_commit" in q["sql"]]
