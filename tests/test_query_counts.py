"""Every list page and list endpoint keeps its number of queries (DESIGN.md, "Query-count budgets on list
endpoints"; NetBox keeps the same baseline in ``query_counts.json``).

``tests/query_counts.json`` maps each list view (its URL name, with a variant in brackets where one URL
name serves several lists) and the role it is fetched as to the queries one request takes. The test
builds a small world through the portal's own endpoints (devices of every party, restrictions, CPL rows,
install-code requests, bulk jobs, extracts, gateway traffic, DUIS identities, report snapshots, outbox and
demo-mailbox rows), fetches every entry, then adds twice as much again (three times the rows of every kind) and
fetches every entry once more. Each count must equal the baseline exactly, and must not grow with the
rows (an N+1). A list view known to grow is recorded with both counts and a ``known_issue``; it still
fails on any change.

Counts are those of a warm process: each measured request follows the same request unmeasured, so
per-process caches (the gateway catalogues) and the API token's ``last_used_at`` (written at most once
a minute) do not blur them.

After an intended change: ``UPDATE_QUERY_COUNTS=1 pytest tests/test_query_counts.py`` rewrites the file;
commit it with the change (docs/testing.md).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.mixins import ListModelMixin
from rest_framework.test import APIClient

from gateway.choices import Channel
from gateway.duis.demo_ca import demo_certificate_issue
from gateway.models import DspSchedule, RestrictedSrvAllowance, ServiceRequestLog
from incidents.models import Incident, IncidentBulkJob, IncidentSpell
from inventory.choices import CSPRegion, DeviceStatus, DeviceType, SmetsVersion
from inventory.models import Device
from portal.models import CaughtEmail, CaughtNotification, Party, User
from portal.services import api_token_issue
from reporting.choices import ReportKind
from reporting.months import add_months, current_month, previous_month
from reporting.services import snapshot_build
from tests.factories import DeviceFactory, SupplierFactory, make_sms

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

BASELINE = Path(__file__).with_name("query_counts.json")
UPDATE = os.environ.get("UPDATE_QUERY_COUNTS", "") not in ("", "0")
UPDATE_COMMAND = "UPDATE_QUERY_COUNTS=1 pytest tests/test_query_counts.py"
#: Units of rows in the small world and in the larger one (three times the rows of every kind). Kept small
#: enough that the larger world still fits on the first page of every list (50 rows).
SMALL_UNITS, LARGE_UNITS = 1, 3
LAST_MONTH = previous_month()
SNAPSHOT_MONTH = add_months(current_month(), -2)
INSTALL_CODE = "30313233343536373839414243444546"
NEWEST_ESME_FIRMWARE = "9.0.0"  # newer than the factories' 1.0.0: every restricted ESME is in the firmware report
ABOUT = ("Queries per request of every list page and list endpoint, by role: tests/test_query_counts.py checks them "
         f"with a small world and with three times the rows. Rewrite after an intended change: {UPDATE_COMMAND} "
         "(docs/testing.md).")


# --- the list views -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ListView:
    """One list page (fetched with a browser session) or list endpoint under ``/api/`` (with an API token)."""

    url_name: str
    roles: tuple[str, ...]
    variant: str = ""
    args: Callable[[World], list] = lambda world: []
    query: dict = field(default_factory=dict)
    #: False for a page whose rows are a fixed set whatever the world (a stored month's report: one row per
    #: region and category); its count is still checked exactly, only the "shows more rows" check is skipped.
    grows: bool = True

    @property
    def key(self) -> str:
        return f"{self.url_name} [{self.variant}]" if self.variant else self.url_name


def _history_meter(world: World) -> list:
    return [world.history_meter.device_id]


def _noted_incident(world: World) -> list:
    return [world.noted_incident.reference]


def _restriction_job(world: World) -> list:
    return [world.restriction_job_id]


def _incident_job(world: World) -> list:
    return [world.incident_job_id]


def _supplier_code(world: World) -> list:
    return [world.parties["supplier"].code]


MONTH = f"{LAST_MONTH:%Y-%m}"
LIST_VIEWS = [
    # portal
    ListView("api-tokens", ("supplier",)),
    ListView("outbox-list", ("dcc",)),
    ListView("demo-mailbox", ("dcc",)),
    ListView("demo-csp-notifications", ("dcc", "csp")),
    ListView("api-party-list", ("supplier",)),
    # inventory: devices, extracts, the CPL
    ListView("inventory:device-list", ("supplier", "dcc", "network_operator")),
    ListView("inventory:device-list", ("supplier", "dcc"), variant="credit meters", query={"payment_mode": "Credit"}),
    ListView("api-device-list", ("supplier", "dcc", "network_operator")),
    # CSV goes through psycopg's COPY, which Django's query capture does not see; JSON lines read keyset chunks.
    ListView("api-device-extract", ("supplier", "dcc"), variant="csv", query={"format": "csv"}),
    ListView("api-device-extract", ("supplier", "dcc"), variant="jsonl", query={"format": "jsonl"}),
    ListView("inventory:extract-list", ("supplier",)),
    ListView("inventory:cpl-list", ("supplier", "dcc")),
    ListView("api-cpl-list", ("supplier",)),
    # inventory: MP169 restricted mode (a meter's history, bulk jobs and their rows)
    ListView("inventory:restriction-device", ("supplier", "network_operator"), args=_history_meter),
    ListView("inventory:restriction-history-csv", ("supplier",), args=_history_meter),
    ListView("api-device-restriction-history", ("supplier", "network_operator"), args=_history_meter),
    ListView("inventory:restriction-notices", ("csp", "dcc")),
    ListView("api-restriction-notices", ("csp", "dcc")),
    ListView("premises:timeline", ("supplier", "dcc", "csp"), args=_history_meter),
    ListView("api-premises-timeline", ("supplier", "dcc", "csp"), args=_history_meter),
    ListView("inventory:restriction-bulk", ("supplier",)),
    ListView("inventory:restriction-bulk-job", ("supplier",), args=_restriction_job),
    ListView("inventory:restriction-bulk-results", ("supplier",), args=_restriction_job),
    ListView("inventory:restriction-bulk-refused", ("supplier",), args=_restriction_job),
    ListView("api-restriction-bulk-jobs", ("supplier",)),
    ListView("api-restriction-bulk-job-results", ("supplier",), args=_restriction_job),
    # gateway: the service-request log, the two alert logs, the allow-lists with their history
    ListView("gateway:log-index", ("supplier", "dcc", "csp")),
    ListView("gateway:alert-log", ("supplier", "dcc"), variant="sat", args=lambda world: ["sat"]),
    ListView("gateway:alert-log", ("dcc", "csp"), variant="diagnostics", args=lambda world: ["diagnostics"]),
    # (reference data paged 50 rows at a time, with the latest 50 changes: the same size however large the world)
    ListView("gateway:allow-lists", ("dcc",), grows=False),
    ListView("gateway:allow-lists", ("dcc",), variant="alerts", query={"list": "alert", "state": "refused"},
             grows=False),
    ListView("gateway:dcc-alert-log", ("supplier", "dcc")),
    # gateway: DUIS User IDs (RD-1, DCC only): every party with its count, one party's identities and trail
    ListView("gateway:duis-identity-parties", ("dcc",)),
    ListView("gateway:duis-identity-party", ("dcc",), args=_supplier_code),
    ListView("api-duis-identities", ("dcc",), args=_supplier_code),
    # incidents: the queues, one incident's notes and history, bulk uploads and their rows
    ListView("incidents:incident-list", ("supplier", "dcc")),
    ListView("incidents:incident-list", ("supplier",), variant="assigned", query={"queue": "assigned"}),
    ListView("incidents:incident-list", ("dcc",), variant="all", query={"queue": "all"}),
    ListView("api-incident-list", ("supplier", "dcc")),
    ListView("incidents:incident-detail", ("supplier",), args=_noted_incident),
    ListView("api-incident-detail", ("supplier",), args=_noted_incident),
    ListView("incidents:bulk-upload", ("supplier",)),
    ListView("incidents:bulk-job", ("supplier",), args=_incident_job),
    ListView("incidents:bulk-job-results", ("supplier",), args=_incident_job),
    ListView("incidents:bulk-job-refused", ("supplier",), args=_incident_job),
    ListView("api-install-code-request-bulk-job-results", ("supplier",), args=_incident_job),
    ListView("incidents:deposits", ("supplier",)),
    ListView("api-deposit-list", ("supplier",)),
    ListView("incidents:contacts", ("supplier",)),
    # reporting: live last month, a stored month, the live firmware list, CSV and REST
    ListView("reporting:report-index", ("supplier", "dcc")),
    ListView("reporting:report-month", ("supplier", "dcc"), variant="performance",
             args=lambda world: ["performance", MONTH]),
    ListView("reporting:report-month", ("dcc",), variant="performance, stored",
             args=lambda world: ["performance", f"{SNAPSHOT_MONTH:%Y-%m}"], grows=False),
    # (as DCC: a supplier reads its own row and the national totals whatever the world, as the API below)
    ListView("reporting:report-month", ("dcc",), variant="install-code-sla",
             args=lambda world: ["install-code-sla", MONTH]),
    ListView("reporting:firmware", ("supplier", "dcc")),
    ListView("reporting:report-csv", ("dcc",), variant="performance", args=lambda world: ["performance"],
             query={"month": MONTH}),
    ListView("reporting:report-csv", ("supplier",), variant="restricted-firmware",
             args=lambda world: ["restricted-firmware"]),
    ListView("api-report-performance", ("supplier", "dcc"), args=lambda world: [MONTH]),
    # (a supplier reads two rows of it whatever the world: its own and the national totals)
    ListView("api-report-install-code-sla", ("dcc",), args=lambda world: [MONTH]),
    ListView("api-report-restricted-firmware", ("supplier", "dcc")),
]

#: Every other URL name of the portal (the Django admin aside), and why it is not a list view here.
NOT_LIST_VIEWS = {
    # a form, or an action that changes something
    "login", "logout", "api-token-revoke", "duis", "api-device-prenotify", "api-device-join",
    "gateway:allow-list-change", "inventory:restriction-service-centre", "api-device-restriction-service-centre",
    "api-device-restriction", "api-restriction-bulk", "api-cpl-status", "api-service-request", "api-alert",
    "api-install-code-request-create", "api-install-code-request-bulk", "api-incident-notes", "api-incident-close",
    "api-restriction-bulk-job-confirm", "api-install-code-request-bulk-job-confirm", "inventory:restriction-bulk-confirm",
    "incidents:bulk-job-confirm",
    "api-incident-reassign", "api-incident-reveal", "inventory:cpl-add", "inventory:cpl-set-status",
    "inventory:device-prenotify", "inventory:device-join", "inventory:supplier-change",
    "inventory:device-list-columns", "incidents:incident-raise",
    "incidents:incident-note", "incidents:incident-not-installing", "incidents:incident-close",
    "incidents:incident-reassign", "incidents:incident-reveal", "reporting:report-rebuild",
    "incidents:incident-answer", "incidents:incident-reopen", "api-incident-reopen", "api-deposit-bulk",
    "api-incident-contacts",
    "inventory:hub-replace", "api-hub-replace", "api-restriction-notices-acknowledge",
    "api-restriction-notice-acknowledge",
    # one object, a file, a redirect, or no rows at all
    "api-device-detail", "api-restriction-bulk-job", "inventory:device-detail", "inventory:extract-job",
    "inventory:extract-download", "reporting:report-job", "reporting:report-latest", "demo-mailbox-message",
    "api-health", "api-schema", "api-docs", "api-install-code-request-bulk-job", "api-duis-identity-revoke",
    "inventory:restriction-bulk-template", "incidents:bulk-template",
    # the dashboard: counts, never rows (its own budget: tests/portal/test_home.py)
    "home",
}


#: List views that have no baseline yet, and why: each is a gap to close, listed so it is not forgotten. Empty
#: since the DUIS identity lists got theirs; a list view added without one goes here with its reason.
LIST_VIEWS_WITHOUT_BASELINE: set[str] = set()


# --- the world --------------------------------------------------------------------------------------

@dataclass
class World:
    """The parties and users by role, their clients, and the rows that some list views are about."""

    parties: dict[str, Party]
    users: dict[str, User]
    other_supplier: Party
    pages: dict[str, Client] = field(default_factory=dict)  # measured: a browser session per role
    apis: dict[str, APIClient] = field(default_factory=dict)  # measured: an API token per role
    # The world is built through these (not measured): a force-authenticated API client and a browser per role.
    writers: dict[str, APIClient] = field(default_factory=dict)
    browsers: dict[str, Client] = field(default_factory=dict)
    history_meter: Device | None = None
    noted_incident: Incident | None = None
    incident_job_id: int | None = None
    restriction_job_id: int | None = None
    units: int = 0
    ca_folder: Path | None = None  # a demo CA of the world's own, for the DUIS identities' certificates
    gas_meters: list[str] = field(default_factory=list)
    others_meters: list[str] = field(default_factory=list)
    bulk_devices: list[str] = field(default_factory=list)


def ok(response, *statuses: int):
    assert response.status_code in statuses, (
        f"{response.request['REQUEST_METHOD']} {response.request['PATH_INFO']}: {response.status_code} "
        f"{getattr(response, 'content', b'')[:500]!r}")
    return response


def raisable(responsible: Party, installer: Party) -> Device:
    """A meter gained before commissioning (MP121): its Responsible Supplier may ask for the install code."""
    return DeviceFactory(status=DeviceStatus.INSTALLED_NOT_COMMISSIONED, date_commissioned=None,
                         responsible_supplier=responsible, prenotifying_supplier=installer, csp_region=CSPRegion.NORTH)


def raise_request(writer: APIClient, device: Device) -> dict:
    return ok(writer.post(reverse("api-install-code-request-create"), {"device_id": device.device_id},
                          format="json"), 201).json()


def restrict(writer: APIClient, device: Device, restricted: bool) -> None:
    ok(writer.post(reverse("api-device-restriction", args=[device.device_id]), {
        "restricted": restricted, "reason": "Consumer refused remote collection" if restricted else "Change of tenancy",
        "all_reasonable_steps_taken": restricted}, format="json"), 200)


def restriction_row(device_id: str, restricted: bool) -> dict:
    return {"device_id": device_id, "restricted": restricted, "reason": "Change of tenancy",
            "all_reasonable_steps_taken": restricted}


def upload_install_code_requests(browser: Client, device_ids: list[str]) -> None:
    data = ("device_id\n" + "\n".join(device_ids) + "\n").encode()
    ok(browser.post(reverse("incidents:bulk-upload"), {"file": SimpleUploadedFile("requests.csv", data)}), 302)
    job = IncidentBulkJob.objects.latest("id")  # the check step; confirming it raises the rows
    ok(browser.post(reverse("incidents:bulk-job-confirm", args=[job.pk])), 302)


def unknown_device_id(number: int) -> str:
    return f"00-DB-12-FF-FF-FF-{number // 256:02X}-{number % 256:02X}"


def toggled_srv() -> str:
    """An SRV on the restricted-device allow-list that the world's own requests do not use."""
    return RestrictedSrvAllowance.objects.exclude(srv_id="4.1.1").order_by("srv_id").values_list(
        "srv_id", flat=True).first()


def add_unit(world: World) -> None:
    """One unit of rows of every kind the list views show."""
    world.units += 1
    number = world.units
    supplier, other, operator = world.parties["supplier"], world.other_supplier, world.parties["network_operator"]
    csp = world.parties["csp"]
    writer, browser = world.writers, world.browsers

    # Devices of every party: supplier A's SMS in North on network operator A's network, supplier B's in South.
    own = make_sms(supplier=supplier, network_operator=operator, csp_region=CSPRegion.NORTH)
    others = make_sms(supplier=other, gas=False, network_operator=operator, csp_region=CSPRegion.SOUTH)
    world.gas_meters.append(own["GSME"].device_id)
    world.others_meters.append(others["ESME"].device_id)

    # MP169: a restricted meter (behind the newest firmware: the firmware report), two changes more in the history
    # meter's trail, and a bulk job of two rows (one applied, one refused: not supplier A's meter).
    # A DSP schedule of a consumption SRV on it, removed when it is restricted: a DSPScheduleRemoval DCC alert.
    DspSchedule.objects.create(device=own["ESME"], party=supplier, scheduled_srv="4.6.1", frequency="Daily",
                               start_date=dt.date(2026, 1, 1), details_xml="<sr:CreateSchedule/>")
    restrict(writer["supplier"], own["ESME"], True)
    restrict(writer["supplier"], world.history_meter, True)
    restrict(writer["supplier"], world.history_meter, False)
    ok(writer["supplier"].post(reverse("api-restriction-bulk-jobs"), {"changes": [
        restriction_row(own["GSME"].device_id, True), restriction_row(others["ESME"].device_id, True)]},
        format="json"), 201)

    # The CPL: one model more (and its audit row).
    ok(writer["dcc"].post(reverse("api-cpl-list"), {
        "device_type": DeviceType.ESME, "manufacturer": "QC", "model": f"QC-{number}", "hardware_version": "1.0",
        "firmware_version": "1.0.0", "smets_version": SmetsVersion.SMETS2_PLUS}, format="json"), 201)

    # MP121: supplier A's request to B (answered with a code), B's to A, one in the DCC queue (A pre-notified it
    # itself), one raised last month to a new installing supplier (a row more in the SLA report), a note more on
    # the noted incident, and a bulk upload of two rows (one raised, one unknown device).
    answered = raise_request(writer["supplier"], raisable(supplier, other))
    ok(writer["other"].post(reverse("api-incident-notes", args=[answered["reference"]]),
                            {"body": "Here it is.", "install_code": INSTALL_CODE}, format="json"), 201)
    raise_request(writer["other"], raisable(other, supplier))
    raise_request(writer["supplier"], raisable(supplier, supplier))
    installer = SupplierFactory(code=f"QCI{number}", name=f"Installing supplier {number}")
    late = raise_request(writer["supplier"], raisable(supplier, installer))
    raised_at = dt.datetime.combine(LAST_MONTH.replace(day=10), dt.time(10), tzinfo=dt.UTC)
    Incident.objects.filter(reference=late["reference"]).update(
        created_at=raised_at, due_by=raised_at.date() + dt.timedelta(days=14))
    IncidentSpell.objects.filter(incident__reference=late["reference"]).update(  # the report counts clocks
        started_at=raised_at, due_by=raised_at.date() + dt.timedelta(days=14))
    # Issue 18: supplier A deposits a code for a meter it installed, and changes its MP121 contact (audited).
    ok(writer["supplier"].post(reverse("api-deposit-list"), {
        "device_id": raisable(other, supplier).device_id, "install_code": INSTALL_CODE}, format="json"), 201)
    ok(writer["supplier"].put(reverse("api-incident-contacts"), {
        "operational_email": f"mp121-{number}@supa.example", "escalation_email": f"esc-{number}@supa.example"},
        format="json"), 200)
    ok(writer["other"].post(reverse("api-incident-notes", args=[world.noted_incident.reference]),
                            {"body": f"Visit {number} booked."}, format="json"), 201)
    bulk_device = raisable(supplier, other)
    world.bulk_devices.append(bulk_device.device_id)
    upload_install_code_requests(browser["supplier"], [bulk_device.device_id, unknown_device_id(number)])

    # A device extract (small: written at once).
    ok(browser["supplier"].post(reverse("inventory:extract-list"), {"filters": ""}), 302)

    # Gateway: two service requests (one refused: the meter is restricted), an alert to each log, two allow-list
    # edits (refused, then allowed again), and a request of last month (the performance report).
    for device in (own["ESME"], own["GSME"]):
        ok(writer["supplier"].post(reverse("api-service-request"), {
            "srv": "4.1.1", "device_id": device.device_id, "command_variant": 1}, format="json"), 200)
    for device in (own["ESME"], own["CHF"]):  # restricted: diagnostics log; the hub: SAT log
        ok(writer["dcc"].post(reverse("api-alert"), {"device_id": device.device_id, "alert_code": "8F0A"},
                              format="json"), 200)
    srv = toggled_srv()
    for allowed in ("false", "true"):
        ok(browser["dcc"].post(reverse("gateway:allow-list-change"), {
            "list": "srv", "items": srv, "allowed": allowed, "reason": f"Query counts {number}"}), 302)
    regions = [CSPRegion.NORTH, CSPRegion.SOUTH, CSPRegion.CENTRAL]
    ServiceRequestLog.objects.create(
        request_id=f"QC-{number}", requested_at=raised_at, party=supplier, srv="4.1.1", srv_category="consumption",
        device_id=own["ESME"].device_id, command_variant=1, response_code="I99",
        csp_region=regions[number % len(regions)], channel=Channel.JSON)

    # DUIS User IDs of supplier A: two registered, one of them revoked (the identity list and its audit trail);
    # the new installing supplier above is a row more on the parties page.
    for index in range(2):
        user_id = f"90-B3-D5-1F-30-{number:02X}-00-{index:02X}"
        pem, _key = demo_certificate_issue(user_id=user_id, folder=world.ca_folder)
        ok(writer["dcc"].post(reverse("api-duis-identities", args=[supplier.code]), {
            "user_id": user_id, "role": "IS", "certificate_pem": pem, "reason": f"Query counts {number}"},
            format="json"), 201)
    ok(writer["dcc"].post(reverse("api-duis-identity-revoke", args=[supplier.code, user_id]),
                          {"reason": f"Query counts {number}"}, format="json"), 200)

    # Stored reports of an older month: the index lists every version.
    for kind in ReportKind.values:
        snapshot_build(kind=kind, month=SNAPSHOT_MONTH, new_version=True)

    # An API token more (the token page) and a caught email and CSP notification (the demo mailbox). The new
    # installing supplier above is a party more (the parties API); the requests and restrictions above wrote
    # outbox rows.
    ok(browser["supplier"].post(reverse("api-tokens"), {"name": f"Billing system {number}"}), 200)
    CaughtEmail.objects.create(mail_from="portal@dcc.example", recipients="ops@supa.example",
                               subject=f"Install code request {number}", body="A request was assigned to you.")
    CaughtNotification.objects.create(party=csp, path="/notifications/", idempotency_key=f"qc-{number}",
                                      payload={"device_id": own["ESME"].device_id, "restricted": True})


def add_jobs_with_rows(world: World) -> None:
    """A bulk job of each kind with two rows per unit: the job pages and results list them."""
    rows = [restriction_row(device_id, False) for device_id in world.gas_meters]  # clears; refused once cleared
    rows += [restriction_row(device_id, False) for device_id in world.others_meters]  # refused: supplier B's
    job = ok(world.writers["supplier"].post(reverse("api-restriction-bulk-jobs"), {"changes": rows}, format="json"),
             201).json()
    world.restriction_job_id = job["id"]
    unknown = [unknown_device_id(1000 + number) for number in range(world.units)]
    upload_install_code_requests(world.browsers["supplier"], [*world.bulk_devices, *unknown])
    world.incident_job_id = IncidentBulkJob.objects.filter(party=world.parties["supplier"]).latest("id").pk


def grow(world: World, units: int) -> None:
    """Add units of rows until the world has ``units`` of them, then a bulk job of each kind sized to match."""
    for _ in range(units - world.units):
        add_unit(world)
    add_jobs_with_rows(world)


@pytest.fixture
def world(settings, tmp_path, supplier, other_supplier, network_operator, csp_north, dcc_party, supplier_user,
          dcc_user, make_user) -> World:
    settings.DEMO_MAILBOX_ENABLED = True
    # The per-process API token memory (portal.authentication) would save the token lookup only while its few
    # seconds last, so a slow run would count one query more: the baseline counts every request's own work.
    settings.API_TOKEN_CACHE_SECONDS = 0
    world = World(
        parties={"supplier": supplier, "dcc": dcc_party, "network_operator": network_operator, "csp": csp_north},
        users={"supplier": supplier_user, "dcc": dcc_user, "network_operator": make_user(network_operator),
               "csp": make_user(csp_north)},
        other_supplier=other_supplier, ca_folder=tmp_path / "demo-ca",
    )
    for role, user in {**world.users, "other": make_user(other_supplier)}.items():
        writer = APIClient()
        writer.force_authenticate(user)
        browser = Client()
        browser.force_login(user)
        world.writers[role], world.browsers[role] = writer, browser
        if role in world.parties:
            page = Client()
            page.force_login(user)
            api = APIClient()
            api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=user, name='query counts')[1]}")
            world.pages[role], world.apis[role] = page, api
    # A newer Active firmware for the model of the factories' meters: restricted ones fall behind it.
    ok(world.writers["dcc"].post(reverse("api-cpl-list"), {
        "device_type": DeviceType.ESME, "manufacturer": "ACME", "model": "ESME-100", "hardware_version": "1.0",
        "firmware_version": NEWEST_ESME_FIRMWARE, "smets_version": SmetsVersion.SMETS2_PLUS}, format="json"), 201)
    world.history_meter = make_sms(supplier=supplier, network_operator=network_operator,
                                   csp_region=CSPRegion.NORTH)["ESME"]
    noted = raise_request(world.writers["supplier"], raisable(supplier, other_supplier))
    world.noted_incident = Incident.objects.get(reference=noted["reference"])
    return world


# --- measuring --------------------------------------------------------------------------------------

@dataclass
class Measured:
    small: int = 0
    large: int = 0
    small_sql: list[str] = field(default_factory=list)
    large_sql: list[str] = field(default_factory=list)
    small_bytes: int = 0
    large_bytes: int = 0


def fetch(world: World, view: ListView, role: str) -> tuple[list[str], int]:
    """The SQL of one request for ``view`` as ``role``, after the same request unmeasured (a warm process),
    and the size of the answer."""
    url = reverse(view.url_name, args=view.args(world))
    client = world.apis[role] if url.startswith("/api/") else world.pages[role]

    def get() -> bytes:
        response = client.get(url, view.query)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200, f"{view.key} as {role}: {response.status_code} {body[:300]!r}"
        return body

    get()
    with CaptureQueriesContext(connection) as queries:
        body = get()
    return [query["sql"] for query in queries.captured_queries], len(body)


def measure_all(world: World, results: dict[tuple[str, str], Measured], size: str) -> None:
    for view in LIST_VIEWS:
        for role in view.roles:
            sql, size_in_bytes = fetch(world, view, role)
            measured = results.setdefault((view.key, role), Measured())
            setattr(measured, size, len(sql))
            setattr(measured, f"{size}_sql", sql)
            setattr(measured, f"{size}_bytes", size_in_bytes)


def recorded(entry) -> tuple[int, int, str]:
    """(queries with the small world, with three times the rows, the known issue) of a baseline entry."""
    if isinstance(entry, int):
        return entry, entry, ""
    return entry["queries"], entry.get("queries_with_3x_rows", entry["queries"]), entry.get("known_issue", "")


def baseline_entry(measured: Measured, old) -> int | dict:
    if measured.small == measured.large:
        return measured.small
    issue = old.get("known_issue") if isinstance(old, dict) else ""
    return {"queries": measured.small, "queries_with_3x_rows": measured.large,
            "known_issue": issue or "N+1: the count grows with the rows; explain it here, or fix the view."}


def _shape(sql: str) -> str:
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+(\.\d+)?\b", "?", sql)
    return re.sub(r"IN \((\?, )*\?\)", "IN (...)", sql)


def explain(measured: Measured) -> list[str]:
    """The statements that repeat as the rows grow, or else the queries of the request."""
    small, large = Counter(map(_shape, measured.small_sql)), Counter(map(_shape, measured.large_sql))
    grown = [(large[shape], small[shape], shape) for shape in large if large[shape] > small[shape]]
    if grown:
        return [f"      {before} -> {after} times: {shape[:220]}" for after, before, shape in grown]
    return [f"      {number}. {sql[:220]}" for number, sql in enumerate(measured.small_sql, start=1)]


def write_baseline(results: dict[tuple[str, str], Measured], old: dict) -> None:
    table: dict = {"_about": ABOUT}
    for (key, role), measured in sorted(results.items()):
        table.setdefault(key, {})[role] = baseline_entry(measured, old.get(key, {}).get(role))
    BASELINE.write_text(json.dumps(table, indent=2, sort_keys=True) + "\n")


def test_every_list_page_and_endpoint_keeps_its_query_count_and_no_count_grows_with_the_rows(world):
    results: dict[tuple[str, str], Measured] = {}
    grow(world, SMALL_UNITS)
    measure_all(world, results, "small")
    grow(world, LARGE_UNITS)
    measure_all(world, results, "large")

    # The larger world must reach every list view (else "no N+1" would prove nothing): more rows, longer answers.
    fixed = {view.key for view in LIST_VIEWS if not view.grows}
    unreached = sorted(f"{key} as {role}" for (key, role), measured in results.items()
                       if key not in fixed and measured.large_bytes <= measured.small_bytes)
    assert not unreached, f"These list views show nothing more with 3x the rows; grow the world: {unreached}"

    old = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    if UPDATE:
        write_baseline(results, old)
        return
    problems = []
    for (key, role), measured in sorted(results.items()):
        entry = old.get(key, {}).get(role)
        if entry is None:
            problems.append((f"{key} as {role}: {measured.small} queries, not in the baseline", []))
            continue
        small, large, issue = recorded(entry)
        if (measured.small, measured.large) == (small, large):
            continue
        grows = " - the count grows with the rows (N+1)" if measured.large != measured.small else ""
        problems.append((f"{key} as {role}: {measured.small} queries, {measured.large} with 3x the rows; recorded "
                         f"{small}" + (f" and {large} ({issue})" if large != small else "") + grows,
                         explain(measured)))
    measured_keys = {key for key, _role in results}
    for key, roles in old.items():
        if key == "_about":
            continue
        for role in roles:
            if (key, role) not in results:
                problems.append((f"{key} as {role}: in the baseline but no longer measured" +
                                 ("" if key in measured_keys else " (no such list view)"), []))
    lines = []
    for number, (problem, details) in enumerate(problems):
        lines.append(f"  {problem}")
        if number < 8:
            lines.extend(details)
    assert not problems, (
        f"Query counts differ from tests/{BASELINE.name} ({len(problems)}):\n" + "\n".join(lines) +
        f"\nIf the new counts are intended, rewrite the baseline and commit it with the change:\n  {UPDATE_COMMAND}")


# --- the list of list views is complete ---------------------------------------------------------------

def _url_names(patterns, namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            yield from _url_names(pattern.url_patterns, f"{namespace}{pattern.namespace}:" if pattern.namespace
                                  else namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", pattern.callback


def test_every_url_is_a_list_view_with_a_baseline_or_named_as_not_one():
    """A new URL is classified here: a list view gets its baseline, anything else a place in NOT_LIST_VIEWS."""
    urls = dict(_url_names(get_resolver().url_patterns))
    listed = {view.url_name for view in LIST_VIEWS}
    assert not listed & NOT_LIST_VIEWS and not listed & LIST_VIEWS_WITHOUT_BASELINE
    classified = listed | NOT_LIST_VIEWS | LIST_VIEWS_WITHOUT_BASELINE
    assert sorted(set(urls) - classified) == [], "classify these URL names in tests/test_query_counts.py"
    assert sorted(classified - set(urls)) == [], "these URL names no longer exist"
    drf_lists = {name for name, callback in urls.items()
                 if issubclass(getattr(callback, "cls", object), ListModelMixin)}
    assert sorted(drf_lists - listed) == [], "REST list views without a query-count baseline"
