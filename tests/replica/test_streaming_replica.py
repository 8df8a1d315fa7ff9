"""Heavy reads on a real PostgreSQL streaming replica (portal.db_routing; docs/operations.md "Read replica").

The replica logs every statement with its application name (``portal-replica-reads`` for the portal's
``replica`` alias), so each test reads in the replica's own log what ran there, and checks the primary
for what was written. A replica only replays committed rows: these tests are transactional.
"""
from __future__ import annotations

import datetime as dt
import re
import time

import psycopg
import pytest
from django.db import connections
from django.urls import reverse

from gateway.models import ServiceRequestLog
from inventory.models import Device, DeviceExtractJob
from inventory.services.extracts import device_extract_job_run
from portal import db_routing
from portal.choices import JobStatus
from portal.dbenv import database_url
from reporting.choices import ReportKind
from reporting.models import ReportSnapshot
from reporting.services import snapshot_build
from tests.factories import PartyFactory
from tests.replica.conftest import replica_caught_up

pytestmark = [pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
              pytest.mark.usefixtures("fast_password_hashing")]

EXTRACT = "/api/v1/devices/extract/"
HEALTH = "/api/v1/health/"
SET_BODY = {"restricted": True, "reason": "Consumer refused", "all_reasonable_steps_taken": True}
_ENTRY_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", re.MULTILINE)
_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|TRUNCATE|COPY \w+ (\(.*\) )?FROM)\b", re.IGNORECASE)


def replica_statements(replica, since: int, app: str = "portal-replica-reads") -> list[str]:
    """The statements the replica ran for ``app`` since log offset ``since`` (multi-line statements whole)."""
    text = replica.log_text()[since:]
    starts = [match.start() for match in _ENTRY_START.finditer(text)] + [len(text)]
    entries = [text[a:b] for a, b in zip(starts, starts[1:], strict=False)]
    return [entry.split("statement: ", 1)[1].strip() for entry in entries
            if f"app={app} " in entry and "statement: " in entry]


def log_offset(replica) -> int:
    return len(replica.log_text())


def no_writes_on(replica, since: int) -> None:
    text = replica.log_text()[since:]
    writes = [s for s in replica_statements(replica, since, app="") if _WRITE.match(s)]
    assert "read-only transaction" not in text
    assert not writes, writes


def extract(client, **query) -> tuple:
    response = client.get(EXTRACT, query)
    assert response.status_code == 200
    return response, b"".join(response.streaming_content).decode()


def test_stream_extract_and_jsonl_run_on_the_replica(replica_db, api_client_for, dcc_party, sms):
    client = api_client_for(dcc_party)
    replica_caught_up(replica_db)
    since = log_offset(replica_db)
    response, body = extract(client, format="csv")
    assert response["X-Data-Source"] == "replica"
    assert all(device.device_id in body for device in sms.values())
    ran = replica_statements(replica_db, since)
    assert any(s.startswith("COPY (SELECT") and "inventory_device" in s for s in ran), ran
    since = log_offset(replica_db)
    response, body = extract(client, format="jsonl")
    assert response["X-Data-Source"] == "replica" and body.count("\n") == len(sms)
    assert any("FROM \"inventory_device\"" in s for s in replica_statements(replica_db, since))
    no_writes_on(replica_db, 0)


def test_waiting_for_the_primary_sees_a_commit_made_without_waiting_for_its_flush(replica_db):
    """A block that waits for the primary sees every commit made before it, ``synchronous_commit=off`` ones too.

    Such a commit's record can sit in the primary's WAL buffers past ``pg_current_wal_lsn()`` (the write
    position): waiting for that position let an extract file miss devices just committed (CI, stop 23).
    """
    primary_url = database_url(connections["default"].settings_dict)
    with psycopg.connect(primary_url, autocommit=True) as primary:
        primary.execute("CREATE TABLE IF NOT EXISTS replica_async_probe (n integer)")
        try:
            primary.execute("SET synchronous_commit = off")
            for n in range(30):
                primary.execute("INSERT INTO replica_async_probe VALUES (%s)", [n])  # committed, not flushed
                target = db_routing.choose_read_target("async commit probe", wait_for_primary=True)
                with connections[target.alias].cursor() as cursor:
                    cursor.execute("SELECT count(*) FROM replica_async_probe")
                    assert cursor.fetchone()[0] == n + 1, (n, target)
        finally:
            primary.execute("DROP TABLE replica_async_probe")


def test_extract_file_job_reads_the_replica_and_writes_its_progress_on_the_primary(replica_db, dcc_user, sms):
    job = DeviceExtractJob.objects.create(party=dcc_user.party, user=dcc_user, filters="")
    since = log_offset(replica_db)
    device_extract_job_run(job_id=job.pk)  # the Celery task's body, in this process
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.total_rows == len(sms)
    content = job.file.read().decode()
    assert all(device.device_id in content for device in sms.values())
    ran = replica_statements(replica_db, since)
    assert any(s.startswith("COPY (SELECT") for s in ran), ran
    assert any("count(*)" in s.lower() for s in ran)  # the job's total, read where the rows are
    no_writes_on(replica_db, since)


def test_report_build_aggregates_on_the_replica_and_stores_on_the_primary(replica_db, supplier):
    month = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    at = dt.datetime.combine(month, dt.time(12), tzinfo=dt.UTC)
    ServiceRequestLog.objects.bulk_create([
        ServiceRequestLog(request_id=f"REQ-R-{n}", requested_at=at, party=supplier, srv="4.1.1",
                          srv_category="consumption", device_id="00-DB-12-00-00-00-00-01", response_code="I0",
                          restricted_at_request=False, csp_region="North", channel="json")
        for n in range(3)
    ])
    since = log_offset(replica_db)
    snapshot = snapshot_build(kind=ReportKind.PERFORMANCE, month=month)
    assert snapshot.meta["read_from"] == "replica"
    assert sum(row["succeeded"] + row["failed"] + row["rejected_user_caused"] for row in snapshot.rows) == 3, snapshot.rows
    assert ReportSnapshot.objects.filter(pk=snapshot.pk).exists()  # stored on the primary
    assert any("gateway_servicerequestlog" in s for s in replica_statements(replica_db, since))
    no_writes_on(replica_db, since)


def test_writes_and_reads_of_a_writing_request_stay_on_the_primary(replica_db, api_client_for, supplier, sms):
    client = api_client_for(supplier)
    since = log_offset(replica_db)
    response = client.post(f"/api/v1/devices/{sms['ESME'].device_id}/restriction/", SET_BODY, format="json")
    assert response.status_code == 200, response.content
    assert Device.objects.get(pk=sms["ESME"].pk).restricted
    assert replica_statements(replica_db, since) == []  # not one statement of that request on the replica
    replica_caught_up(replica_db)  # ... and the change reached the replica by replication alone
    with psycopg.connect(replica_db.url(), autocommit=True) as connection:
        assert connection.execute("SELECT restricted FROM inventory_device WHERE id = %s",
                                  [sms["ESME"].pk]).fetchone()[0] is True
    router = db_routing.PrimaryReplicaRouter()
    with db_routing.replica_reads("test") as target:
        assert target.on_replica and router.db_for_write(Device) == "default"
    no_writes_on(replica_db, 0)


def test_read_your_writes_window_after_a_change(replica_db, client, supplier_user, sms, settings):
    settings.DATABASE_REPLICA_READ_YOUR_WRITES_SECONDS = 2
    client.force_login(supplier_user)
    page = reverse("reporting:firmware")
    replica_caught_up(replica_db)
    assert client.get(page)["X-Data-Source"] == "replica"
    response = client.post(f"/api/v1/devices/{sms['GSME'].device_id}/restriction/", SET_BODY,
                           content_type="application/json")
    assert response.status_code == 200, response.content
    assert db_routing.READ_YOUR_WRITES_COOKIE in response.cookies
    since = log_offset(replica_db)
    pinned = client.get(page)
    assert pinned["X-Data-Source"] == "primary"
    assert replica_statements(replica_db, since) == []
    time.sleep(2.2)  # the window is over: back to the replica
    assert client.get(page)["X-Data-Source"] == "replica"
    log_page = client.get(reverse("gateway:log-index"))
    assert log_page.status_code == 200 and log_page["X-Data-Source"] == "replica"


def test_lag_past_the_limit_falls_back_or_labels_and_health_reports_it(replica_db, api_client_for, dcc_party, sms,
                                                                       client, dcc_user, settings):
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 1
    settings.DATABASE_REPLICA_CATCHUP_SECONDS = 0.3
    api = api_client_for(dcc_party)
    replica_caught_up(replica_db)
    health = client.get(HEALTH).json()["database_replica"]
    assert health["available"] and health["lag_seconds"] < 1
    with psycopg.connect(replica_db.url(), autocommit=True) as connection:
        connection.execute("SELECT pg_wal_replay_pause()")
        try:
            PartyFactory(code="LAGX")  # committed on the primary, not replayed on the replica
            time.sleep(1.6)
            health = client.get(HEALTH).json()["database_replica"]
            assert health["available"] and health["lag_seconds"] > 1, health
            settings.DATABASE_REPLICA_LAG_POLICY = "primary"
            response, body = extract(api)
            assert response["X-Data-Source"] == "primary" and "X-Data-Age-Seconds" not in response
            settings.DATABASE_REPLICA_LAG_POLICY = "label"
            response, body = extract(api)
            assert response["X-Data-Source"] == "replica" and float(response["X-Data-Age-Seconds"]) >= 1
            assert all(device.device_id in body for device in sms.values())
            client.force_login(dcc_user)
            page = client.get(reverse("gateway:log-index"))
            assert page["X-Data-Source"] == "replica"
            assert "This data comes from a copy of the database that is" in page.content.decode()
            job = DeviceExtractJob.objects.create(party=dcc_party, user=dcc_user, filters="")
            since = log_offset(replica_db)
            device_extract_job_run(job_id=job.pk)  # a file cannot say its age: the job reads the primary
            assert DeviceExtractJob.objects.get(pk=job.pk).status == JobStatus.DONE
            assert not [s for s in replica_statements(replica_db, since) if s.startswith("COPY")]
        finally:
            connection.execute("SELECT pg_wal_replay_resume()")
    replica_caught_up(replica_db)
    assert client.get(HEALTH).json()["database_replica"]["lag_seconds"] < 1


def test_a_stopped_replica_falls_back_to_the_primary_cleanly(replica_db, api_client_for, dcc_party, sms, client,
                                                            dcc_user):
    api = api_client_for(dcc_party)
    replica_caught_up(replica_db)
    assert extract(api)[0]["X-Data-Source"] == "replica"  # a live connection to the replica, then...
    replica_db.stop()
    try:
        response, body = extract(api)
        assert response["X-Data-Source"] == "primary"
        assert all(device.device_id in body for device in sms.values())
        health = client.get(HEALTH).json()["database_replica"]
        assert health["available"] is False and health["error"]
        job = DeviceExtractJob.objects.create(party=dcc_party, user=dcc_user, filters="")
        device_extract_job_run(job_id=job.pk)
        assert DeviceExtractJob.objects.get(pk=job.pk).status == JobStatus.DONE
        page = client.get(reverse("reporting:firmware"))
        assert page.status_code == 302 or page["X-Data-Source"] == "primary"
    finally:
        replica_db.resume()
    replica_caught_up(replica_db)
    assert extract(api)[0]["X-Data-Source"] == "replica"  # and back once it answers again
