"""Reads of the reports, scoped to the reader's party.

A report is read from its newest snapshot when one exists for the month, otherwise computed live
(``reporting.queries``); either way the same scoping applies, row by row over the stored full-grain
aggregate rows (a few thousand at most, never the service-request log itself):

- DCC service desk: everything.
- CSP: performance rows of its region (and the matching 4G region); restricted devices in them; the
  national SLA totals only.
- Supplier: performance of the requests its party made; its own installing-supplier SLA row plus the
  national totals; restricted devices it is responsible for.
- Network operator (and any other party that sends requests): performance of its own requests; its
  devices for the firmware report (network operators); national SLA totals.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.choices import SrvCategory
from inventory.selectors import csp_regions_of
from portal.errors import NotFound, PermissionDenied
from portal.models import Party
from reporting import queries
from reporting.choices import ReportKind
from reporting.models import ReportSnapshot
from reporting.months import current_month, last_months

RowFilter = Callable[[dict], bool]
CATEGORY_ORDER = [SrvCategory.CONSUMPTION, SrvCategory.OTHER_DEVICE, SrvCategory.NON_DEVICE]
NO_REGION_LABEL = "No region (non-device)"


@dataclass
class Report:
    """A report as one party sees it: where its figures come from and the scoped rows."""

    kind: str
    month: dt.date | None
    source: str  # "snapshot" or "live"
    rows: list[dict]
    rules: str
    snapshot: ReportSnapshot | None = None
    summary: list[dict] = field(default_factory=list)
    trend: list[dict] = field(default_factory=list)

    @property
    def generated_at(self) -> dt.datetime | None:
        return self.snapshot.generated_at if self.snapshot else None

    @property
    def version(self) -> int | None:
        return self.snapshot.version if self.snapshot else None


def _require_party(party: Party | None) -> Party:
    if party is None:
        raise PermissionDenied("Reports are for users acting for a party.", code="no_party")
    return party


# --- Scopes -----------------------------------------------------------------------------------

def performance_filter(party: Party) -> RowFilter:
    if party.is_dcc:
        return lambda row: True
    regions = set(csp_regions_of(party)) if party.is_csp and party.csp_region else set()
    own_requests = not party.is_csp or party.is_supplier or party.is_network_operator
    return lambda row: row["csp_region"] in regions or (own_requests and row["party_id"] == party.pk)


def sla_filter(party: Party) -> RowFilter:
    if party.is_dcc:
        return lambda row: True
    if party.is_supplier:
        return lambda row: row["supplier_id"] in (None, party.pk)
    return lambda row: row["supplier_id"] is None


def firmware_filter(party: Party) -> RowFilter:
    if party.is_dcc:
        return lambda row: True
    regions = set(csp_regions_of(party)) if party.is_csp and party.csp_region else set()
    supplier = party.is_supplier
    network_operator = party.is_network_operator
    return lambda row: (
        row["csp_region"] in regions
        or (supplier and row["responsible_supplier_id"] == party.pk)
        or (network_operator and row["network_operator_id"] == party.pk)
    )


# --- Snapshots or live ----------------------------------------------------------------------

def latest_snapshots(kind: str, months: list[dt.date]) -> dict[dt.date, ReportSnapshot]:
    """The newest version of each month's snapshot (one query)."""
    snapshots = (
        ReportSnapshot.objects.filter(kind=kind, month__in=months)
        .order_by("month", "-version").distinct("month")
    )
    return {snapshot.month: snapshot for snapshot in snapshots}


def _monthly_rows(kind: str, months: list[dt.date]) -> tuple[dict[dt.date, list[dict]], dict[dt.date, ReportSnapshot]]:
    """Rows per month: from snapshots, and one live range query for the months that have none."""
    snapshots = latest_snapshots(kind, months)
    rows = {month: snapshot.rows for month, snapshot in snapshots.items()}
    missing = [month for month in months if month not in snapshots]
    if missing:
        compute = queries.performance_rows if kind == ReportKind.PERFORMANCE else queries.install_code_sla_rows
        live = defaultdict(list)
        for row in compute(first=min(missing), last=max(missing)):
            live[dt.date.fromisoformat(row["month"])].append(row)
        rows.update({month: live.get(month, []) for month in missing})
    return rows, snapshots


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def _performance_aggregate(rows: list[dict]) -> list[dict]:
    """Adds up the visible (month, region, category, party) rows per region and category."""
    sums: dict[tuple[str, str], dict] = {}
    for row in rows:
        key = (row["csp_region"], row["srv_category"])
        total = sums.setdefault(key, {
            "csp_region": row["csp_region"], "srv_category": row["srv_category"], "total": 0, "succeeded": 0,
            "failed": 0, "excluded_restricted": 0, "rejected_user_caused": 0,
        })
        for name in ("succeeded", "failed", "excluded_restricted", "rejected_user_caused"):
            total[name] += row[name]
    result = []
    for key in sorted(sums, key=lambda k: (k[0] == "", k[0], CATEGORY_ORDER.index(k[1]))):
        row = sums[key]
        row["total"] = row["succeeded"] + row["failed"]
        row["success_rate"] = _rate(row["succeeded"], row["total"])
        result.append(row)
    return result


def _performance_trend(monthly: dict[dt.date, list[dict]], keep: RowFilter) -> list[dict]:
    trend = []
    for month in sorted(monthly):
        point = {"month": month}
        for category in CATEGORY_ORDER:
            rows = [row for row in monthly[month] if keep(row) and row["srv_category"] == category]
            succeeded = sum(row["succeeded"] for row in rows)
            point[category] = _rate(succeeded, succeeded + sum(row["failed"] for row in rows))
        trend.append(point)
    return trend


def performance_report_for(party: Party | None, month: dt.date, *, with_trend: bool = True) -> Report:
    """R169-10 for ``month``, as ``party`` may see it, with the 12-month success-rate trend."""
    party = _require_party(party)
    keep = performance_filter(party)
    months = last_months(month) if with_trend else [month]
    monthly, snapshots = _monthly_rows(ReportKind.PERFORMANCE, months)
    snapshot = snapshots.get(month)
    visible = [row for row in monthly[month] if keep(row)]
    return Report(
        kind=ReportKind.PERFORMANCE, month=month, source="snapshot" if snapshot else "live",
        rows=_performance_aggregate(visible), rules=queries.PERFORMANCE_RULES, snapshot=snapshot,
        trend=_performance_trend(monthly, keep) if with_trend else [],
    )


def install_code_sla_report_for(party: Party | None, month: dt.date, *, with_trend: bool = True) -> Report:
    """R121-10 for ``month``: per installing supplier (scoped) and the national totals."""
    party = _require_party(party)
    keep = sla_filter(party)
    months = last_months(month) if with_trend else [month]
    monthly, snapshots = _monthly_rows(ReportKind.INSTALL_CODE_SLA, months)
    snapshot = snapshots.get(month)
    rows = [_sla_public(row) for row in monthly[month] if keep(row)]
    # A supplier follows its own row; everyone else the national totals.
    trend_party = party.pk if party.is_supplier and not party.is_dcc else None
    # The chart's points are the table's rows, through the same function (so December agrees).
    trend = []
    for trend_month in sorted(monthly):
        chosen = next((row for row in monthly[trend_month] if row["supplier_id"] == trend_party), None)
        public = _sla_public(chosen) if chosen else None
        trend.append({
            "month": trend_month,
            "in_sla_rate": public["in_sla_rate"] if public else None,
            "median": public["median_response_working_days"] if public else None,
            "open_within_sla": public["open_within_sla"] if public else None,
        })
    return Report(
        kind=ReportKind.INSTALL_CODE_SLA, month=month, source="snapshot" if snapshot else "live",
        rows=rows, rules=queries.SLA_RULES, snapshot=snapshot, trend=trend if with_trend else [],
    )


#: Counted since issue 18; a snapshot stored before has none of them (shown as 0 / empty).
SLA_LATER_COUNTS = ("raised", "rerouted", "reopened", "ended_not_due", "answered_from_deposit")


def sla_rate(row: dict) -> float | None:
    """R121-10: answered in SLA over the requests that count, those answered or past due (never open in time)."""
    return _rate(row["answered_in_sla"], row["answered_in_sla"] + row["breached"])


def _sla_public(row: dict) -> dict:
    national = row["supplier_id"] is None
    return {
        "installing_supplier": None if national else row["supplier_code"],
        "installing_supplier_name": row["supplier_name"],
        "national_total": national,
        **{name: row[name] for name in (
            "requests", "answered_in_sla", "breached", "open_within_sla",
            "median_response_working_days", "p90_response_working_days",
        )},
        **{name: row.get(name, 0) for name in SLA_LATER_COUNTS},
        "median_reopened_response_working_days": row.get("median_reopened_response_working_days"),
        "counted": row["answered_in_sla"] + row["breached"],
        "in_sla_rate": sla_rate(row),
    }


FIRMWARE_PUBLIC_FIELDS = (
    "device_id", "device_type", "manufacturer", "model", "hardware_version", "smets_version", "firmware_version",
    "newest_firmware_version", "responsible_supplier_code", "csp_region", "restricted_since",
)


def restricted_firmware_report_for(party: Party | None, month: dt.date | None = None) -> Report:
    """R169-11 now (live), or as stored for ``month``; devices grouped by responsible supplier.

    The trend is the number of devices behind at each monthly snapshot, plus now."""
    party = _require_party(party)
    keep = firmware_filter(party)
    snapshots = latest_snapshots(ReportKind.RESTRICTED_FIRMWARE, last_months(month or current_month()))
    snapshot = snapshots.get(month) if month else None
    if month and snapshot is None:
        raise NotFound(
            f"No stored restricted-firmware report for {month:%Y-%m}; the live report shows the inventory now.",
            code="snapshot_not_found",
        )
    source_rows = snapshot.rows if snapshot else queries.restricted_firmware_rows()
    visible = [row for row in source_rows if keep(row)]
    summary: dict[str, dict] = {}
    for row in visible:
        group = summary.setdefault(row["responsible_supplier_code"], {
            "responsible_supplier": row["responsible_supplier_code"] or None,
            "responsible_supplier_name": row["responsible_supplier_name"], "devices": 0,
        })
        group["devices"] += 1
    trend = [
        {"month": snapshot_month, "devices": sum(1 for row in stored.rows if keep(row))}
        for snapshot_month, stored in sorted(snapshots.items())
    ]
    if snapshot is None:
        trend.append({"month": None, "devices": len(visible)})
    return Report(
        kind=ReportKind.RESTRICTED_FIRMWARE, month=month, source="snapshot" if snapshot else "live",
        rows=[{name: row[name] for name in FIRMWARE_PUBLIC_FIELDS} for row in visible],
        rules=queries.FIRMWARE_RULES, snapshot=snapshot, summary=list(summary.values()), trend=trend,
    )


def snapshot_history(kind: str | None = None) -> list[ReportSnapshot]:
    """Every stored version (without the rows), newest month first: the index page's list."""
    snapshots = ReportSnapshot.objects.defer("rows").select_related("requested_by")
    if kind:
        snapshots = snapshots.filter(kind=kind)
    return list(snapshots.order_by("kind", "-month", "-version")[:500])
