"""Issue 19 item 5, honest charts: an empty state that says why instead of empty axes, headline figures above
the chart added up from the table's rows, the chart and its table drawn from one set of points, labels never
cut ("Dec 202"), phone-sized drawings whose text stays >= 12 px (measured in tests/e2e/test_report_layout.py),
and a lone month labelled with its value."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from lxml import etree

from reporting.charts import NARROW, WIDE, ChartData, chart_figure, line_chart
from reporting.models import ReportRebuildJob

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
TWELVE = [f"{dt.date(2026, m, 1):%b %Y}" for m in range(1, 13)]


@pytest.fixture
def browser_for(client, make_user):
    def _login(party):
        client.force_login(make_user(party))
        return client

    return _login


def axis_texts(svg: str) -> list[etree._Element]:
    root = etree.fromstring(svg.encode())
    return [text for text in root.iter(f"{SVG}text") if text.get("class") == "chart-axis"]


@pytest.mark.parametrize("layout", [WIDE, NARROW], ids=["wide", "narrow"])
@pytest.mark.parametrize("labels", [TWELVE, TWELVE[:1], TWELVE[:3], [*TWELVE[-3:], "Now"]], ids=len)
def test_no_label_runs_past_the_drawing(layout, labels):
    svg = str(line_chart(title="t", description="d", labels=labels, series=[("s", [50.0] * len(labels))],
                         unit="%", y_max=100, layout=layout))
    for text in axis_texts(svg):
        width = len(text.text) * layout.font * 0.62
        x = float(text.get("x"))
        left = x - width if text.get("text-anchor") == "end" else x - width / 2
        right = x if text.get("text-anchor") == "end" else x + width / 2
        assert left >= 0 and right <= layout.width, (text.text, left, right)
    # The last month is always labelled, whole: "Dec" over "2026", never "Dec 202".
    bottom = [t.text for t in axis_texts(svg) if t.get("text-anchor") == "middle"]
    last = labels[-1].split(" ")
    assert bottom[-len(last):] == last or bottom[-1] == last[0]


def test_month_labels_are_thinned_on_a_phone_and_the_year_written_where_it_changes():
    svg = str(line_chart(title="t", description="d", labels=TWELVE, series=[("s", [1.0] * 12)], layout=NARROW))
    bottom = [t.text for t in axis_texts(svg) if t.get("text-anchor") == "middle"]
    assert "Dec" in bottom and bottom.count("2026") == 1
    assert len([text for text in bottom if text != "2026"]) < 12  # 12 labels do not fit 320 units at 14
    wide = str(line_chart(title="t", description="d", labels=TWELVE, series=[("s", [1.0] * 12)], layout=WIDE))
    assert len([t for t in axis_texts(wide) if t.get("text-anchor") == "middle" and t.text != "2026"]) == 12


def test_a_lone_month_is_drawn_with_its_value_not_as_a_bare_dot():
    values = [None] * 11 + [97.5]
    figure = chart_figure(ChartData(title="t", labels=TWELVE, series=[("Rate", values)], unit="%", y_max=100))
    root = etree.fromstring(str(figure["svg"]).encode())
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "chart-value"] == ["97.5%"]
    assert not list(root.iter(f"{SVG}polyline"))
    assert figure["months_with_data"] == ["Dec 2026"]
    # One month only: the point is in the middle, not on the left edge.
    [circle] = root.iter(f"{SVG}circle")
    lone = etree.fromstring(str(line_chart(title="t", description="d", labels=["Dec 2026"], series=[("s", [5.0])],
                                           layout=WIDE)).encode())
    [only] = lone.iter(f"{SVG}circle")
    assert float(only.get("cx")) == pytest.approx((WIDE.left + WIDE.width - WIDE.right) / 2, abs=1)
    assert float(circle.get("cx")) > WIDE.width / 2


def test_no_value_gives_no_chart_but_a_reason():
    figure = chart_figure(ChartData(title="t", labels=TWELVE, series=[("Rate", [None] * 12)]))
    assert figure["empty"] and "svg" not in figure
    assert figure["table"][0] == ["Jan 2026", None]


def test_the_table_is_the_charts_points():
    data = ChartData(title="t", labels=TWELVE[:2], series=[("A", [1.0, None]), ("B", [2.0, 3.0])],
                     extra_columns=[("Median", [4.0, 5.0])])
    figure = chart_figure(data)
    assert figure["columns"] == ["Month", "A", "B", "Median"]
    assert figure["table"] == [["Jan 2026", 1.0, 2.0, 4.0], ["Feb 2026", None, 3.0, 5.0]]
    desc = etree.fromstring(str(figure["svg"]).encode()).find(f"{SVG}desc").text
    assert desc == "Jan 2026: A 1, B 2; Feb 2026: A no data, B 3"


def test_an_empty_report_month_says_why_instead_of_drawing_empty_axes(browser_for, supplier):
    response = browser_for(supplier).get(reverse("reporting:report-month", args=["performance", "2025-03"]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "<svg" not in page and "No chart: nothing to draw yet." in page
    assert "No service request succeeded or failed in the 12 months to March 2025 in your party&#x27;s figures" in page
    assert "No service request was sent in March 2025" in page
    assert "In figures" not in page  # no headline of zeros


def test_performance_headline_is_the_sum_of_the_table_and_the_chart_ends_on_the_month(
        march_traffic, browser_for, dcc_party):
    response = browser_for(dcc_party).get(reverse("reporting:report-month", args=["performance", "2025-03"]))
    rows = response.context["report"].rows
    headline = dict(response.context["headline"]["figures"])
    total = sum(row["total"] for row in rows)
    assert headline["Requests"] == f"{total:,}" == "14"
    assert headline["Succeeded"] == f"{100 * sum(row['succeeded'] for row in rows) / total:.1f}%"
    assert headline["Excluded (restricted)"] == "2"
    chart = response.context["chart"]
    assert chart["table"][-1][0] == "Mar 2025"
    # The chart's March point per category is the table's: all regions' succeeded over succeeded + failed.
    consumption = [row for row in rows if row["srv_category"] == "consumption"]
    succeeded = sum(row["succeeded"] for row in consumption)
    assert chart["table"][-1][1] == pytest.approx(100 * succeeded / sum(row["total"] for row in consumption), abs=0.01)
    page = response.content.decode()
    assert page.index("In figures") < page.index('id="trend-heading"') < page.index('id="figures-heading"')


@pytest.mark.parametrize("role", ["dcc", "supplier"])
def test_sla_headline_chart_point_and_table_row_are_the_same_row(april_incidents, browser_for, dcc_party, supplier,
                                                                 role):
    party = {"dcc": dcc_party, "supplier": supplier}[role]
    response = browser_for(party).get(reverse("reporting:report-month", args=["install-code-sla", "2025-04"]))
    rows = response.context["report"].rows
    row = next(r for r in rows if (r["installing_supplier"] == supplier.code if role == "supplier"
                                   else r["national_total"]))
    headline = dict(response.context["headline"]["figures"])
    chart_point = response.context["chart"]["table"][-1]
    assert chart_point[0] == "Apr 2025"
    assert chart_point[1] == row["in_sla_rate"]
    assert headline["In SLA"] == ("no data" if row["in_sla_rate"] is None else f"{row['in_sla_rate']:g}%")
    assert headline["Counted (answered or past due)"] == f"{row['counted']:,}"
    assert ("your party as installing supplier" if role == "supplier" else "national totals") in \
        response.context["headline"]["caption"]


def test_firmware_report_headline_counts_the_listed_devices(browser_for, dcc_party):
    response = browser_for(dcc_party).get(reverse("reporting:firmware"))
    page = response.content.decode()
    assert response.status_code == 200
    assert dict(response.context["headline"]["figures"])["Restricted devices behind on firmware"] == "0"
    # No snapshot yet: one point, today's, drawn with its value and said so (not a bare dot).
    assert response.context["chart"]["months_with_data"] == ["Now"]
    assert "No monthly snapshot is stored yet, so the chart shows one point" in page
    assert re.search(r'<text class="chart-value"[^>]*>0</text>', page)


def test_the_rebuild_job_does_not_repeat_its_status(dcc_party, make_user):
    job = ReportRebuildJob(pk=1, kind="performance", month=dt.date(2025, 3, 1), status="queued", step="Queued",
                           requested_by=make_user(dcc_party))
    html = render_to_string("reporting/_job.html", {"job": job, "slug": "performance"})
    assert "Queued (Queued)" not in html and re.search(r"Queued, 0%", html)

