"""The report computations: one SQL aggregate per report, at full grain (every party, every region).

Nothing here is scoped to a reader: the rows are what a snapshot stores, and ``reporting.selectors``
applies each party's scope on read (to a live result and to a snapshot alike). Every figure is counted
by PostgreSQL (``GROUP BY`` with ``FILTER``, ``percentile_cont``); Python only turns result rows into
dictionaries.
"""
from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone

from gateway.choices import ResponseCode, SrvCategory
from incidents.choices import IncidentType
from incidents.working_days import is_working_day
from inventory.choices import CPLStatus
from portal.selectors import dcc_party
from reporting.months import add_months, month_bounds

#: A request the device (through the CSP's network) answered: the CSP's measure counts it as succeeded.
SUCCESS_CODES = (ResponseCode.SUCCESS, ResponseCode.ACKNOWLEDGED)
#: Rejected by the DCC's own checks before anything reached the CSP's network, because of what the user
#: sent: role not allowed (E2), not the party's device (E4), device status incompatible (E5), wrong command
#: variant (E12), unknown device (E19), device use Restricted (E72). Not the CSP's fault: left out of its measure.
USER_CAUSED_REJECTION_CODES = (
    ResponseCode.ROLE_NOT_ALLOWED, ResponseCode.NOT_AUTHORISED_FOR_DEVICE, ResponseCode.DEVICE_STATUS,
    ResponseCode.COMMAND_VARIANT,
    ResponseCode.UNKNOWN_DEVICE, ResponseCode.RESTRICTED,
)

PERFORMANCE_RULES = (
    "Succeeded: response I0 or I99. Failed: any other response (E20/E21 communication failures and other "
    "E-codes) except user-caused rejections. User-caused rejections (E2, E4, E5, E12, E19, E72: refused by the "
    "DCC's checks before reaching the CSP's network) are not the CSP's fault and are left out of total, "
    "succeeded and failed (shown as 'rejected (user-caused)'). Consumption-data requests to a device that was "
    "Restricted at the time of the request are left out too and counted as 'excluded (restricted)' (R169-10); "
    "other requests to restricted devices count normally. Total = succeeded + failed; success rate = "
    "succeeded / total. Months are UTC calendar months."
)

_PERFORMANCE_SQL = """
SELECT {month} AS month,
       csp_region,
       srv_category,
       party_id,
       count(*) FILTER (WHERE NOT excluded AND response_code = ANY(%(success)s)) AS succeeded,
       count(*) FILTER (WHERE NOT excluded AND NOT response_code = ANY(%(success)s)
                          AND NOT response_code = ANY(%(rejected)s)) AS failed,
       count(*) FILTER (WHERE excluded) AS excluded_restricted,
       count(*) FILTER (WHERE NOT excluded AND response_code = ANY(%(rejected)s)) AS rejected_user_caused
FROM (
    SELECT requested_at, csp_region, srv_category, party_id, response_code,
           (srv_category = %(consumption)s AND restricted_at_request) AS excluded
    FROM gateway_servicerequestlog
    WHERE requested_at >= %(start)s AND requested_at < %(end)s
) AS requests
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4
"""


def _fetch(sql: str, params: dict) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _months_range(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return month_bounds(first)[0], month_bounds(last)[1]


def performance_rows(*, first: dt.date, last: dt.date) -> list[dict]:
    """Counts per month, CSP region (as recorded at the request; '' for non-device SRVs), SRV category and
    requesting party, for the months ``first``..``last``. See ``PERFORMANCE_RULES``."""
    start, end = _months_range(first, last)
    # One month (the monthly build): the month is a constant. Grouping by the date_trunc expression
    # leaves the planner without statistics (it guessed millions of groups for ~300 and chose a serial
    # spilling hash aggregate: 4x the hand-written GROUP BY in the benchmark).
    month = "%(first)s::date" if first == last else "date_trunc('month', requested_at AT TIME ZONE 'UTC')::date"
    rows = _fetch(_PERFORMANCE_SQL.format(month=month), {
        "start": start, "end": end, "first": month_bounds(first)[0].date(), "success": list(SUCCESS_CODES),
        "rejected": list(USER_CAUSED_REJECTION_CODES), "consumption": SrvCategory.CONSUMPTION,
    })
    for row in rows:
        row["month"] = row["month"].isoformat()
    return rows


SLA_RULES = (
    "Install-code requests (R121-10), counted per SLA clock: a clock starts when a request is raised, when the "
    "DCC service desk routes it to another supplier (each hop to a former supplier restarts the clock, "
    "R121-12) and when the raiser reopens it (R121-13); each clock is counted in the month (UTC) it started, "
    "for the supplier it was with. Clocks in the DCC service desk queue have no installing supplier and are "
    "not counted. Answered in SLA: an answer (the install code, a deposited code, or 'not the installing "
    "supplier') on or before the due date (10 working days, R121-7); a code deposited ahead answers at once, "
    "in zero working days. Breached: answered after the due date, or ended or still open unanswered with the "
    "due date passed. In SLA (%) = answered in SLA / (answered in SLA + breached): requests still open "
    "inside their deadline are shown apart ('Open, in time') and never count as misses; clocks that ended "
    "unanswered before their due date (closed, rerouted, or the device changed supplier again, R121-11) are "
    "shown apart too ('Ended, not due'). Response time: working days (Monday-Friday, no England & Wales bank "
    "holidays) from the day the clock started to the day answered; median and 90th percentile over the "
    "answered clocks (continuous percentiles)."
)

_SLA_SQL = """
WITH calendar AS (
    SELECT day::date AS day,
           count(*) FILTER (WHERE day::date = ANY(%(working_days)s::date[])) OVER (ORDER BY day) AS ordinal
    FROM generate_series(%(calendar_start)s::date, %(calendar_end)s::date, interval '1 day') AS day
), clocks AS (
    SELECT date_trunc('month', s.started_at AT TIME ZONE 'UTC')::date AS month,
           s.assigned_party_id AS supplier_id,
           s.kind,
           s.outcome,
           s.responded_at IS NOT NULL AS answered,
           s.responded_at IS NOT NULL AND (s.responded_at AT TIME ZONE %(tz)s)::date <= s.due_by AS in_sla,
           (s.responded_at IS NOT NULL AND (s.responded_at AT TIME ZONE %(tz)s)::date > s.due_by)
               OR (s.responded_at IS NULL AND s.ended_at IS NOT NULL
                   AND (s.ended_at AT TIME ZONE %(tz)s)::date > s.due_by)
               OR (s.responded_at IS NULL AND s.ended_at IS NULL AND s.due_by < %(today)s) AS breached,
           s.responded_at IS NULL AND s.ended_at IS NULL AND s.due_by >= %(today)s AS open_in_time,
           s.responded_at IS NULL AND s.ended_at IS NOT NULL
               AND (s.ended_at AT TIME ZONE %(tz)s)::date <= s.due_by AS ended_not_due,
           answered.ordinal - started.ordinal AS response_working_days
    FROM incidents_incidentspell AS s
    JOIN incidents_incident AS i ON i.id = s.incident_id
    JOIN calendar AS started ON started.day = (s.started_at AT TIME ZONE %(tz)s)::date
    LEFT JOIN calendar AS answered ON answered.day = (s.responded_at AT TIME ZONE %(tz)s)::date
    WHERE i.type = %(type)s AND s.started_at >= %(start)s AND s.started_at < %(end)s
      AND s.assigned_party_id <> %(dcc_id)s
)
SELECT month,
       supplier_id,
       count(*) AS requests,
       count(*) FILTER (WHERE kind = 'raised') AS raised,
       count(*) FILTER (WHERE kind = 'rerouted') AS rerouted,
       count(*) FILTER (WHERE kind = 'reopened') AS reopened,
       count(*) FILTER (WHERE in_sla) AS answered_in_sla,
       count(*) FILTER (WHERE breached) AS breached,
       count(*) FILTER (WHERE open_in_time) AS open_within_sla,
       count(*) FILTER (WHERE ended_not_due) AS ended_not_due,
       count(*) FILTER (WHERE outcome = 'deposit') AS answered_from_deposit,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY response_working_days) AS median_response_working_days,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY response_working_days) AS p90_response_working_days,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY response_working_days) FILTER (WHERE kind = 'reopened')
           AS median_reopened_response_working_days
FROM clocks
GROUP BY GROUPING SETS ((month, supplier_id), (month))
ORDER BY month, supplier_id NULLS FIRST
"""


def _working_days(first: dt.date, last: dt.date) -> list[dt.date]:
    """The working days from ``first`` to ``last``, by the incidents app's rule (one definition only)."""
    days = (last - first).days + 1
    return [day for day in (first + dt.timedelta(days=n) for n in range(days)) if is_working_day(day)]


def install_code_sla_rows(*, first: dt.date, last: dt.date) -> list[dict]:
    """Per month and installing supplier, plus a national row per month (``supplier_id`` None).
    See ``SLA_RULES``. Percentiles cannot be added up, so the national row is its own grouping set."""
    start, end = _months_range(first, last)
    today = timezone.localdate()
    calendar_start = first - dt.timedelta(days=1)  # UTC month start may be the previous local day
    calendar_end = max(today, add_months(last, 6))  # answers come after the month
    rows = _fetch(_SLA_SQL, {
        "working_days": _working_days(calendar_start, calendar_end),
        "calendar_start": calendar_start, "calendar_end": calendar_end, "tz": timezone.get_current_timezone_name(),
        "today": today, "type": IncidentType.INSTALL_CODE_REQUEST, "start": start, "end": end,
        "dcc_id": dcc_party().pk,
    })
    parties = _party_codes({row["supplier_id"] for row in rows if row["supplier_id"]})
    for row in rows:
        row["month"] = row["month"].isoformat()
        row["supplier_code"], row["supplier_name"] = parties.get(row["supplier_id"], ("", "All installing suppliers"))
    return rows


def _party_codes(ids: set[int]) -> dict[int, tuple[str, str]]:
    from portal.models import Party

    return {party.pk: (party.code, party.name) for party in Party.objects.filter(pk__in=ids).only("code", "name")}


FIRMWARE_RULES = (
    "Restricted devices (R169-11) whose firmware is older than the newest Active CPL firmware for the same "
    "manufacturer, model, hardware version and SMETS version. Versions compare part by part as numbers "
    "(1.10.0 is newer than 1.9.0)."
)

_FIRMWARE_SQL = """
WITH newest AS (
    SELECT DISTINCT ON (manufacturer, model, hardware_version, smets_version)
           manufacturer, model, hardware_version, smets_version, firmware_version,
           reporting_version_key(firmware_version) AS version_key
    FROM inventory_cplentry
    WHERE status = %(active)s
    ORDER BY manufacturer, model, hardware_version, smets_version,
             reporting_version_key(firmware_version) DESC, firmware_version DESC
)
SELECT d.device_id, d.device_type, d.csp_region, d.smets_version, d.restricted_since,
       c.manufacturer, c.model, c.hardware_version, c.firmware_version,
       n.firmware_version AS newest_firmware_version,
       d.responsible_supplier_id, coalesce(s.code, '') AS responsible_supplier_code,
       coalesce(s.name, '') AS responsible_supplier_name, d.network_operator_id
FROM inventory_device AS d
JOIN inventory_cplentry AS c ON c.id = d.cpl_entry_id
JOIN newest AS n ON n.manufacturer = c.manufacturer AND n.model = c.model
                AND n.hardware_version = c.hardware_version AND n.smets_version = d.smets_version
LEFT JOIN portal_party AS s ON s.id = d.responsible_supplier_id
WHERE d.restricted AND reporting_version_key(c.firmware_version) < n.version_key
ORDER BY coalesce(s.code, ''), d.device_id
"""


def restricted_firmware_rows() -> list[dict]:
    """Every restricted device behind on firmware, now (the inventory keeps no firmware history)."""
    rows = _fetch(_FIRMWARE_SQL, {"active": CPLStatus.ACTIVE})
    for row in rows:
        row["restricted_since"] = row["restricted_since"].isoformat() if row["restricted_since"] else None
    return rows

