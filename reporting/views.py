"""Report pages, their CSV downloads and the DCC rebuild job. Views only translate: the figures come
from ``reporting.selectors`` (scoped, snapshot or live) and the writes from ``reporting.services``."""
from __future__ import annotations

import csv
import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gateway.choices import SrvCategory
from portal.csv_safety import spreadsheet_safe
from portal.errors import DomainError, ValidationFailed
from reporting import selectors, services
from reporting.charts import ChartData, chart_figure
from reporting.choices import KIND_FOR_SLUG, KIND_SLUGS, ReportKind
from reporting.models import ReportRebuildJob
from reporting.months import current_month, last_months, parse_month, previous_month

PERFORMANCE_COLUMNS = [
    ("csp_region", "CSP region"), ("srv_category", "SRV category"), ("total", "Total"), ("succeeded", "Succeeded"),
    ("failed", "Failed"), ("success_rate", "Success rate (%)"), ("excluded_restricted", "Excluded (restricted)"),
    ("rejected_user_caused", "Rejected (user-caused)"),
]
SLA_COLUMNS = [
    ("installing_supplier_name", "Installing supplier"), ("requests", "Clocks (requests, hops, reopenings)"),
    ("rerouted", "Of which rerouted"), ("reopened", "Of which reopened"),
    ("counted", "Counted (answered or past due)"), ("answered_in_sla", "Answered in SLA"), ("breached", "Breached"),
    ("in_sla_rate", "In SLA (%)"), ("open_within_sla", "Open, in time (not counted)"),
    ("ended_not_due", "Ended, not due (not counted)"), ("answered_from_deposit", "Answered from a deposit"),
    ("median_response_working_days", "Median response (working days)"),
    ("p90_response_working_days", "90th percentile (working days)"),
    ("median_reopened_response_working_days", "Median reopened response (working days)"),
]
FIRMWARE_COLUMNS = [
    ("device_id", "Device ID"), ("device_type", "Type"), ("manufacturer", "Manufacturer"), ("model", "Model"),
    ("hardware_version", "Hardware"), ("smets_version", "SMETS"), ("firmware_version", "Firmware"),
    ("newest_firmware_version", "Newest Active firmware"), ("responsible_supplier_code", "Responsible supplier"),
    ("csp_region", "CSP region"), ("restricted_since", "Restricted since"),
]
CATEGORY_LABELS = dict(SrvCategory.choices)


def _error_page(request: HttpRequest, error: DomainError) -> HttpResponse:
    return render(request, "reporting/error.html", {"error": error}, status=error.status_code)


def _report(request: HttpRequest, kind: str, month: dt.date | None, *, with_trend: bool = True):
    party = request.user.party
    if kind == ReportKind.PERFORMANCE:
        return selectors.performance_report_for(party, month, with_trend=with_trend)
    if kind == ReportKind.INSTALL_CODE_SLA:
        return selectors.install_code_sla_report_for(party, month, with_trend=with_trend)
    return selectors.restricted_firmware_report_for(party, month)


def _display_rows(kind: str, report) -> list[dict]:
    if kind != ReportKind.PERFORMANCE:
        return report.rows
    return [
        {**row, "csp_region": row["csp_region"] or selectors.NO_REGION_LABEL,
         "srv_category": CATEGORY_LABELS.get(row["srv_category"], row["srv_category"])}
        for row in report.rows
    ]


def _month_label(month: dt.date | None) -> str:
    return f"{month:%b %Y}" if month else "Now"


def _chart_data(kind: str, report) -> ChartData:
    """The trend as one ``ChartData``: the chart and its table are both drawn from it."""
    labels = [_month_label(point["month"]) for point in report.trend]
    if kind == ReportKind.PERFORMANCE:
        return ChartData(
            title="Success rate by SRV category, last 12 months", labels=labels, unit="%", y_max=100,
            series=[(CATEGORY_LABELS[c], [point[c] for point in report.trend]) for c in selectors.CATEGORY_ORDER],
        )
    if kind == ReportKind.INSTALL_CODE_SLA:
        return ChartData(
            title="Install-code requests answered within the SLA (of those answered or past due), last 12 months",
            labels=labels, unit="%", y_max=100,
            series=[("In SLA (%)", [point["in_sla_rate"] for point in report.trend])],
            extra_columns=[("Median response (working days)", [point["median"] for point in report.trend]),
                           ("Open, in time (not counted)", [point["open_within_sla"] for point in report.trend])],
        )
    return ChartData(
        title="Restricted devices behind the newest Active firmware, monthly snapshots and now", labels=labels,
        series=[("Restricted devices behind on firmware", [point["devices"] for point in report.trend])],
    )


def _scope_words(party) -> str:
    if party is None:
        return "what you can see"
    if party.is_dcc:
        return "any party's figures"
    if party.is_csp:
        return "your region's figures"
    return "your party's figures"


def _empty_reason(kind: str, report, party) -> str:
    """Why there is no chart, in words (an empty month draws no empty axes)."""
    last = report.trend[-1]["month"] if report.trend else report.month
    span = f"the 12 months to {last:%B %Y}" if last else "the stored snapshots or now"
    if kind == ReportKind.PERFORMANCE:
        return (f"No service request succeeded or failed in {span} in {_scope_words(party)}, so there is no success "
                "rate to draw. Requests appear here once they are sent through DUIS or the API.")
    if kind == ReportKind.INSTALL_CODE_SLA:
        follows = "with your party as installing supplier" if _follows_own_sla_row(party) else "nationally"
        return (f"No install-code request was raised {follows} in {span}, so there is no SLA rate to draw.")
    return (f"No restricted device in {_scope_words(party)} was behind the newest Active CPL firmware in {span}, "
            "so there is nothing to draw.")


def _follows_own_sla_row(party) -> bool:
    """A supplier's SLA trend is its own installing-supplier row; everyone else's the national totals
    (as ``reporting.selectors.install_code_sla_report_for`` draws it)."""
    return party is not None and party.is_supplier and not party.is_dcc


def _headline(kind: str, report, party) -> dict | None:
    """The month's figures above the chart, added up from the same rows as the table below it."""
    rows = report.rows
    if kind == ReportKind.PERFORMANCE:
        if not rows:
            return None
        total = sum(row["total"] for row in rows)
        succeeded = sum(row["succeeded"] for row in rows)
        return {"caption": f"{report.month:%B %Y}, {_scope_words(party)}", "figures": [
            ("Requests", f"{total:,}"),
            ("Succeeded", f"{100 * succeeded / total:.1f}%" if total else "no data"),
            ("Excluded (restricted)", f"{sum(row['excluded_restricted'] for row in rows):,}"),
            ("Rejected (user-caused)", f"{sum(row['rejected_user_caused'] for row in rows):,}"),
        ]}
    if kind == ReportKind.INSTALL_CODE_SLA:
        own = _follows_own_sla_row(party)
        row = next((row for row in rows if (row["installing_supplier"] == party.code if own else row["national_total"])),
                   None)
        if row is None or not row["requests"]:
            return None
        rate = row["in_sla_rate"]
        median = row["median_response_working_days"]
        return {"caption": f"{report.month:%B %Y}, " + ("your party as installing supplier" if own else "national totals"),
                "figures": [
                    ("Counted (answered or past due)", f"{row['counted']:,}"),
                    ("In SLA", "no data" if rate is None else f"{rate:g}%"),
                    ("Breached", f"{row['breached']:,}"),
                    ("Median response", "no data" if median is None else f"{median:g} working days"),
                ]}
    return {"caption": ("as stored for " + f"{report.month:%B %Y}") if report.month else "now",
            "figures": [
                ("Restricted devices behind on firmware", f"{len(rows):,}"),
                ("Responsible suppliers with such devices", f"{len(report.summary):,}"),
            ]}


def _chart(kind: str, report, party=None) -> dict:
    figure = chart_figure(_chart_data(kind, report))
    if figure["empty"]:
        figure["empty_reason"] = _empty_reason(kind, report, party)
    elif figure["months_with_data"] == ["Now"]:
        figure["note"] = ("No monthly snapshot is stored yet, so the chart shows one point, today's figure, with its "
                          "value and no line.")
    elif len(figure["months_with_data"]) == 1:
        figure["note"] = (f"Only {figure['months_with_data'][0]} has data in these months, so the chart shows one "
                          "point, with its value, and no line.")
    return figure


@login_required
def report_index(request: HttpRequest) -> HttpResponse:
    months = list(reversed(last_months(current_month())))
    return render(request, "reporting/index.html", {
        "months": months, "snapshots": selectors.snapshot_history(),
    })


@login_required
def report_latest(request: HttpRequest, slug: str) -> HttpResponse:
    """A report without a month: last month's."""
    if slug not in KIND_FOR_SLUG or KIND_FOR_SLUG[slug] == ReportKind.RESTRICTED_FIRMWARE:
        raise Http404("No such report.")
    return redirect("reporting:report-month", slug=slug, month=f"{previous_month():%Y-%m}")


def _kind_and_month(slug: str, month_text: str | None) -> tuple[str, dt.date | None]:
    kind = KIND_FOR_SLUG.get(slug)
    if kind is None:
        raise Http404("No such report.")
    return kind, (parse_month(month_text) if month_text else None)


@login_required
def report_page(request: HttpRequest, slug: str, month: str | None = None) -> HttpResponse:
    month_text = month or request.GET.get("month") or None
    try:
        kind, report_month = _kind_and_month(slug, month_text)
        report = _report(request, kind, report_month)
    except DomainError as error:
        return _error_page(request, error)
    columns = {ReportKind.PERFORMANCE: PERFORMANCE_COLUMNS, ReportKind.INSTALL_CODE_SLA: SLA_COLUMNS}.get(
        kind, FIRMWARE_COLUMNS)
    csv_query = f"?month={report_month:%Y-%m}" if report_month else ""
    rows = _display_rows(kind, report)
    return render(request, "reporting/report.html", {
        "report": report, "kind": kind, "slug": slug, "month": report_month, "title": ReportKind(kind).label,
        "headers": [label for _, label in columns], "table": [[row.get(field) for field, _ in columns] for row in rows],
        "chart": _chart(kind, report, request.user.party), "csv_query": csv_query,
        "headline": _headline(kind, report, request.user.party),
        "months": list(reversed(last_months(current_month()))),
        "can_rebuild": request.user.party is not None and request.user.party.is_dcc and report_month is not None
        and report_month < current_month(),
    })


@login_required
def report_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """The rows the page shows, as CSV (the report month in ``?month=``; firmware: live without it)."""
    try:
        kind, report_month = _kind_and_month(slug, request.GET.get("month") or None)
        if report_month is None and kind != ReportKind.RESTRICTED_FIRMWARE:
            raise ValidationFailed("Name the report month: ?month=YYYY-MM.", code="invalid_month")
        report = _report(request, kind, report_month, with_trend=False)
    except DomainError as error:
        return _error_page(request, error)
    columns = {ReportKind.PERFORMANCE: PERFORMANCE_COLUMNS, ReportKind.INSTALL_CODE_SLA: SLA_COLUMNS}.get(
        kind, FIRMWARE_COLUMNS)
    name = f"{slug}-{report_month:%Y-%m}" if report_month else f"{slug}-{dt.date.today():%Y-%m-%d}"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    writer = csv.writer(response)
    writer.writerow([label for _, label in columns])
    for row in _display_rows(kind, report):
        writer.writerow([_csv_cell(row.get(field)) for field, _ in columns])
    return response


def _csv_cell(value):
    """Numbers as they are; text (CPL names, codes) never as a spreadsheet formula."""
    if value is None:
        return ""
    return spreadsheet_safe(value) if isinstance(value, str) else value


@login_required
@require_POST
def report_rebuild(request: HttpRequest, slug: str, month: str) -> HttpResponse:
    """DCC: queue a rebuild of the month's snapshot (a new version); the page then polls the job."""
    try:
        kind, report_month = _kind_and_month(slug, month)
        job = services.report_rebuild_request(kind=kind, month=report_month, actor=request.user)
    except DomainError as error:
        if request.htmx:
            return render(request, "reporting/_rebuild_error.html", {"error": error}, status=error.status_code)
        messages.error(request, error.detail)
        return redirect("reporting:report-index")
    if request.htmx:
        return render(request, "reporting/_job.html", {"job": job})
    messages.success(request, f"Rebuild of {report_month:%Y-%m} queued.")
    return redirect(reverse("reporting:report-job", args=[job.pk]))


@login_required
def report_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """A rebuild job's progress: the whole page, or the polled fragment for htmx."""
    party = request.user.party
    job = get_object_or_404(ReportRebuildJob, pk=job_id)
    if party is None or not party.is_dcc:
        raise Http404("No such job.")
    template = "reporting/_job.html" if request.htmx else "reporting/job.html"
    return render(request, template, {"job": job, "slug": KIND_SLUGS[ReportKind(job.kind)]})
