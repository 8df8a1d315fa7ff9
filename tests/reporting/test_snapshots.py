"""Monthly snapshots: idempotent schedule, immutable rows, DCC rebuilds as new versions (a real worker)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, transaction

from gateway.models import ServiceRequestLog
from portal.errors import PermissionDenied, RuleRefused
from reporting.choices import RebuildStatus, ReportKind, SnapshotTrigger
from reporting.models import ReportRebuildJob, ReportSnapshot
from reporting.months import current_month
from reporting.selectors import performance_report_for
from reporting.services import report_rebuild_request, reports_build_monthly, snapshot_build
from tests.reporting.conftest import sr
from tests.services import wait_for

MARCH = dt.date(2025, 3, 1)


def test_scheduled_build_is_idempotent_same_month_same_snapshot(march_traffic):
    first = snapshot_build(kind=ReportKind.PERFORMANCE, month=MARCH)
    again = snapshot_build(kind=ReportKind.PERFORMANCE, month=MARCH)
    assert again.pk == first.pk and ReportSnapshot.objects.count() == 1
    assert first.version == 1 and first.trigger == SnapshotTrigger.SCHEDULED


def test_report_reads_the_snapshot_not_later_traffic(march_traffic, dcc_party, supplier):
    snapshot_build(kind=ReportKind.PERFORMANCE, month=MARCH)
    ServiceRequestLog.objects.bulk_create([
        sr(dt.datetime(2025, 3, 15, tzinfo=dt.UTC), party=supplier, srv="4.1.1", category="consumption", code="E21"),
    ])
    report = performance_report_for(dcc_party, MARCH, with_trend=False)
    assert report.source == "snapshot" and report.version == 1
    north = next(row for row in report.rows if (row["csp_region"], row["srv_category"]) == ("North", "consumption"))
    assert north["failed"] == 2  # as stored, not 3


def test_snapshot_rows_cannot_be_changed_or_deleted(march_traffic):
    snapshot = snapshot_build(kind=ReportKind.PERFORMANCE, month=MARCH)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ReportSnapshot.objects.filter(pk=snapshot.pk).update(rows=[])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ReportSnapshot.objects.filter(pk=snapshot.pk).delete()
    snapshot.refresh_from_db()
    assert snapshot.rows


def test_rebuild_adds_a_version_and_keeps_history(march_traffic, make_user, dcc_party):
    first = snapshot_build(kind=ReportKind.PERFORMANCE, month=MARCH)
    second = snapshot_build(kind=ReportKind.PERFORMANCE, month=MARCH, new_version=True,
                            trigger=SnapshotTrigger.ON_DEMAND, requested_by=make_user(dcc_party))
    assert (first.version, second.version) == (1, 2)
    assert list(ReportSnapshot.objects.values_list("version", flat=True).order_by("version")) == [1, 2]
    assert performance_report_for(dcc_party, MARCH, with_trend=False).version == 2


def test_unfinished_month_is_not_stored(db):
    with pytest.raises(RuleRefused, match="not finished"):
        snapshot_build(kind=ReportKind.PERFORMANCE, month=current_month())
    assert not ReportSnapshot.objects.exists()


def test_only_dcc_can_request_a_rebuild(db, make_user, supplier):
    with pytest.raises(PermissionDenied):
        report_rebuild_request(kind=ReportKind.PERFORMANCE, month=MARCH, actor=make_user(supplier))
    assert not ReportRebuildJob.objects.exists()


def test_monthly_job_waits_for_the_first_working_day_then_stores_last_month_once(db, dcc_party):
    # 1 June 2025 is a Sunday, 2 June the first working day.
    assert reports_build_monthly(today=dt.date(2025, 6, 1)) == []
    built = reports_build_monthly(today=dt.date(2025, 6, 2))
    assert sorted((s.kind, s.month) for s in built) == sorted((kind, dt.date(2025, 5, 1)) for kind in ReportKind.values)
    reports_build_monthly(today=dt.date(2025, 6, 3))
    assert ReportSnapshot.objects.count() == 3


@pytest.mark.integration
def test_dcc_rebuild_runs_on_a_real_worker_and_stores_a_new_version(
    celery_worker_process, make_user, dcc_party, supplier,
):
    ServiceRequestLog.objects.bulk_create([
        sr(dt.datetime(2025, 3, 5, tzinfo=dt.UTC), party=supplier, srv="4.1.1", category="consumption", code="I99"),
    ])
    snapshot_build(kind=ReportKind.PERFORMANCE, month=MARCH)
    with transaction.atomic():
        job = report_rebuild_request(kind=ReportKind.PERFORMANCE, month=MARCH, actor=make_user(dcc_party))
    wait_for(lambda: ReportRebuildJob.objects.get(pk=job.pk).is_finished, timeout=60, message="rebuild job")
    job.refresh_from_db()
    assert job.status == RebuildStatus.DONE and job.progress == 100 and job.snapshot.version == 2
    assert job.snapshot.trigger == SnapshotTrigger.ON_DEMAND


def test_beat_schedules_the_monthly_snapshot_task(settings):
    from config.celery import app

    app.loader.import_default_modules()
    entry = settings.CELERY_BEAT_SCHEDULE["reporting-monthly-snapshots"]
    assert entry["task"] in app.tasks
