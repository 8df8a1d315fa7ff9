"""R169-10: the monthly performance report excludes requests to devices restricted at the time."""
from __future__ import annotations

import datetime as dt

import pytest

from reporting.queries import performance_rows
from reporting.selectors import performance_report_for

MARCH = dt.date(2025, 3, 1)


def _by_key(report):
    return {(row["csp_region"], row["srv_category"]): row for row in report.rows}


def _figures(row):
    return (row["total"], row["succeeded"], row["failed"], row["excluded_restricted"], row["rejected_user_caused"],
            row["success_rate"])


def test_every_figure_of_the_month_for_the_dcc(march_traffic, dcc_party):
    report = performance_report_for(dcc_party, MARCH, with_trend=False)
    assert report.source == "live"
    assert {key: _figures(row) for key, row in _by_key(report).items()} == {
        ("North", "consumption"): (5, 3, 2, 2, 1, 60.0),
        ("North", "other_device"): (2, 1, 1, 0, 1, 50.0),
        ("South", "consumption"): (4, 3, 1, 0, 0, 75.0),
        ("4G North", "consumption"): (1, 1, 0, 0, 0, 100.0),
        ("", "consumption"): (0, 0, 0, 0, 1, None),
        ("", "non_device"): (2, 2, 0, 0, 1, 100.0),
    }


def test_restriction_mid_month_excludes_only_requests_after_it(march_traffic, dcc_party):
    """The device was restricted on the 20th: its three consumption requests before count (2 ok, 1 failed),
    the two after are excluded even though one of them failed (E20) - the CSP is not marked down."""
    rows = [row for row in performance_rows(first=MARCH, last=MARCH)
            if row["csp_region"] == "North" and row["srv_category"] == "consumption"]
    assert sum(row["excluded_restricted"] for row in rows) == 2
    north = _by_key(performance_report_for(dcc_party, MARCH, with_trend=False))[("North", "consumption")]
    assert north["failed"] == 2  # E21 on the 10th (before) and E20 to another device; not the E20 on the 25th


def test_other_device_requests_to_a_restricted_device_count_normally(march_traffic, dcc_party):
    other = _by_key(performance_report_for(dcc_party, MARCH, with_trend=False))[("North", "other_device")]
    assert other["excluded_restricted"] == 0 and other["succeeded"] == 1 and other["failed"] == 1


def test_csp_sees_only_its_region_and_4g_region(march_traffic, csp_north):
    report = performance_report_for(csp_north, MARCH, with_trend=False)
    assert set(_by_key(report)) == {("North", "consumption"), ("North", "other_device"), ("4G North", "consumption")}


def test_supplier_sees_the_requests_its_party_made(march_traffic, supplier, other_supplier):
    assert set(_by_key(performance_report_for(other_supplier, MARCH, with_trend=False))) == {("South", "consumption")}
    assert set(_by_key(performance_report_for(supplier, MARCH, with_trend=False))) == {
        ("North", "consumption"), ("North", "other_device"), ("", "consumption"), ("", "non_device"),
    }


def test_network_operator_sees_its_own_requests(march_traffic, network_operator):
    report = performance_report_for(network_operator, MARCH, with_trend=False)
    assert {key: _figures(row) for key, row in _by_key(report).items()} == {
        ("4G North", "consumption"): (1, 1, 0, 0, 0, 100.0),
    }


def test_trend_covers_twelve_months_with_february_and_march(march_traffic, dcc_party):
    trend = performance_report_for(dcc_party, MARCH).trend
    assert len(trend) == 12 and trend[0]["month"] == dt.date(2024, 4, 1) and trend[-1]["month"] == MARCH
    february = trend[-2]
    assert february["consumption"] == 0.0  # one E21 on the 28th
    # March consumption: 3 + 3 + 1 succeeded of 5 + 4 + 1 + 0 measured.
    assert trend[-1]["consumption"] == pytest.approx(70.0)
    assert trend[-1]["non_device"] == 100.0 and trend[0]["consumption"] is None
