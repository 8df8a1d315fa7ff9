"""Report pages, CSV downloads and the REST endpoints: shapes, scoping, month errors, query budgets."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.choices import CPLStatus
from reporting.choices import ReportKind
from reporting.models import ReportRebuildJob
from reporting.months import add_months, current_month
from reporting.services import snapshot_build
from tests.factories import CPLEntryFactory, DeviceFactory

MARCH = dt.date(2025, 3, 1)


@pytest.fixture
def browser_for(client, make_user):
    def _login(party):
        client.force_login(make_user(party))
        return client
    return _login


def test_performance_api_shape_and_figures(march_traffic, api_client_for, dcc_party):
    response = api_client_for(dcc_party).get("/api/v1/reports/performance/2025-03/")
    assert response.status_code == 200
    body = response.json()
    assert body["month"] == "2025-03" and body["source"] == "live" and body["version"] is None
    north = next(r for r in body["rows"] if (r["csp_region"], r["srv_category"]) == ("North", "consumption"))
    assert north == {"csp_region": "North", "srv_category": "consumption", "total": 5, "succeeded": 3, "failed": 2,
                     "excluded_restricted": 2, "rejected_user_caused": 1, "success_rate": 60.0}


def test_performance_api_reads_snapshot_and_says_so(march_traffic, api_client_for, dcc_party):
    snapshot_build(kind=ReportKind.PERFORMANCE, month=MARCH)
    body = api_client_for(dcc_party).get("/api/v1/reports/performance/2025-03/").json()
    assert body["source"] == "snapshot" and body["version"] == 1 and body["generated_at"]


@pytest.mark.parametrize("month, code", [("2025-13", "invalid_month"), ("March", "invalid_month"),
                                         ("2025-3", "invalid_month")])
def test_malformed_month_is_400_with_a_clear_message(db, api_client_for, supplier, month, code):
    response = api_client_for(supplier).get(f"/api/v1/reports/performance/{month}/")
    assert response.status_code == 400
    assert response.json()["code"] == code and "YYYY-MM" in response.json()["detail"]


def test_future_month_is_400(db, api_client_for, supplier):
    future = add_months(current_month(), 1)
    for path in (f"/api/v1/reports/performance/{future:%Y-%m}/", f"/api/v1/reports/install-code-sla/{future:%Y-%m}/"):
        response = api_client_for(supplier).get(path)
        assert response.status_code == 400 and response.json()["code"] == "month_in_future"


def test_unauthenticated_is_401(db, client):
    assert client.get("/api/v1/reports/performance/2025-03/").status_code == 401


def test_csp_api_sees_only_its_region(march_traffic, api_client_for, csp_north):
    rows = api_client_for(csp_north).get("/api/v1/reports/performance/2025-03/").json()["rows"]
    assert {row["csp_region"] for row in rows} == {"North", "4G North"}


def test_sla_api_shape_for_a_supplier(april_incidents, api_client_for, supplier):
    body = api_client_for(supplier).get("/api/v1/reports/install-code-sla/2025-04/").json()
    assert [row["installing_supplier"] for row in body["rows"]] == [None, "SUPA"]
    own = body["rows"][1]
    assert {key: own[key] for key in ("requests", "answered_in_sla", "breached", "median_response_working_days")} == {
        "requests": 4, "answered_in_sla": 2, "breached": 2, "median_response_working_days": 5.0}
    assert own["p90_response_working_days"] == pytest.approx(15.4)


def test_firmware_api_paginates_devices_by_keyset(api_client_for, dcc_party, supplier):
    old = CPLEntryFactory(firmware_version="1.9.0")
    CPLEntryFactory(firmware_version="1.10.0", status=CPLStatus.ACTIVE)
    devices = sorted(
        DeviceFactory(cpl_entry=old, responsible_supplier=supplier, restricted=True, restricted_since=timezone.now())
        .device_id for _ in range(3)
    )
    client = api_client_for(dcc_party)
    first = client.get("/api/v1/reports/restricted-firmware/?limit=2").json()
    assert [row["device_id"] for row in first["results"]] == devices[:2]
    assert first["summary"] == [{"responsible_supplier": "SUPA", "responsible_supplier_name": "Supplier A",
                                 "devices": 3}]
    second = client.get(first["next"]).json()
    assert [row["device_id"] for row in second["results"]] == devices[2:] and second["next"] is None


def test_report_endpoints_query_count_is_bounded(march_traffic, april_incidents, api_client_for, dcc_party,
                                                 django_assert_max_num_queries):
    client = api_client_for(dcc_party)
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/reports/performance/2025-03/").status_code == 200
    with django_assert_max_num_queries(7):
        assert client.get("/api/v1/reports/install-code-sla/2025-04/").status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/reports/restricted-firmware/").status_code == 200


def test_openapi_describes_the_report_endpoints(db, api_client_for, supplier):
    schema = api_client_for(supplier).get("/api/schema/?format=json").json()
    for path in ("/api/v1/reports/performance/{month}/", "/api/v1/reports/install-code-sla/{month}/",
                 "/api/v1/reports/restricted-firmware/"):
        assert path in schema["paths"]


def test_performance_page_has_accessible_svg_chart_and_table(march_traffic, browser_for, dcc_party,
                                                             django_assert_max_num_queries):
    client = browser_for(dcc_party)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("reporting:report-month", args=["performance", "2025-03"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html and "<title id=" in html and "<desc id=" in html and 'role="img"' in html
    assert "computed now from the current data" in html
    assert "<script" not in html.split("</head>")[1] and "style=" not in html
    assert '<th scope="row">North</th>' in html and "60.0" in html


def test_page_says_snapshot_when_stored(march_traffic, browser_for, dcc_party):
    snapshot_build(kind=ReportKind.PERFORMANCE, month=MARCH)
    html = browser_for(dcc_party).get(reverse("reporting:report-month", args=["performance", "2025-03"])).content
    assert b"Stored snapshot" in html and b"version 1" in html


def test_page_with_bad_or_future_month_is_400(db, browser_for, supplier):
    client = browser_for(supplier)
    assert client.get(reverse("reporting:report-month", args=["performance", "2025-99"])).status_code == 400
    future = f"{add_months(current_month(), 2):%Y-%m}"
    response = client.get(reverse("reporting:report-month", args=["install-code-sla", future]))
    assert response.status_code == 400 and b"in the future" in response.content


def test_csv_download_is_what_the_page_shows_for_the_party(march_traffic, browser_for, other_supplier):
    response = browser_for(other_supplier).get(reverse("reporting:report-csv", args=["performance"]) + "?month=2025-03")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:6] == ["CSP region", "SRV category", "Total", "Succeeded", "Failed", "Success rate (%)"]
    assert rows[1:] == [["South", "Consumption data", "4", "3", "1", "75.0", "0", "0"]]


def test_firmware_csv_neutralises_formula_text_from_the_cpl(browser_for, dcc_party, supplier):
    entry = CPLEntryFactory(firmware_version="1.9.0", manufacturer="=HYPERLINK(1)", model="+SUM(A1)")
    CPLEntryFactory(firmware_version="1.10.0", status=CPLStatus.ACTIVE, manufacturer=entry.manufacturer,
                    model=entry.model)
    DeviceFactory(cpl_entry=entry, responsible_supplier=supplier, restricted=True, restricted_since=timezone.now())
    response = browser_for(dcc_party).get(reverse("reporting:report-csv", args=["restricted-firmware"]))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(rows) == 2, rows
    assert rows[1][2:4] == ["'=HYPERLINK(1)", "'+SUM(A1)"]
    assert not [cell for cell in rows[1] if cell[:1] in "=+-@"]


def test_index_lists_reports_and_snapshots(march_traffic, browser_for, supplier):
    snapshot_build(kind=ReportKind.PERFORMANCE, month=MARCH)
    html = browser_for(supplier).get(reverse("reporting:report-index")).content.decode()
    assert "Service request performance" in html and "Install-code request SLA" in html
    assert reverse("reporting:report-month", args=["performance", "2025-03"]) in html


def test_rebuild_button_only_for_dcc_and_htmx_returns_polling_progress(march_traffic, browser_for, dcc_party, supplier,
                                                                       django_capture_on_commit_callbacks):
    url = reverse("reporting:report-rebuild", args=["performance", "2025-03"])
    supplier_client = browser_for(supplier)
    assert b"Rebuild the stored snapshot" not in supplier_client.get(
        reverse("reporting:report-month", args=["performance", "2025-03"])).content
    supplier_client.post(url)
    assert not ReportRebuildJob.objects.exists()
    client = browser_for(dcc_party)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and len(callbacks) == 1
    job = ReportRebuildJob.objects.get()
    assert f'hx-get="{reverse("reporting:report-job", args=[job.pk])}"' in response.content.decode()
    assert 'hx-trigger="every 1s"' in response.content.decode()
