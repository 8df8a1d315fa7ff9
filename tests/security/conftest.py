"""The security suite's world: one party per SEC role, devices and incidents each role owns, and
ones it does not, built once per module inside a transaction that is rolled back at the end.

Every test still runs in its own savepoint (pytest-django's ``db``), so a write one row makes (a
restriction set, an incident closed, a token revoked) is undone before the next row runs.
"""
from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client, override_settings
from rest_framework.test import APIClient

from incidents.models import Incident, IncidentBulkJob, IncidentNote
from incidents.services import incident_add_note, incident_raise_install_code_request
from inventory.choices import CSPRegion, DeviceStatus
from inventory.models import CPLEntry, Device, DeviceExtractJob, RestrictionBulkJob
from inventory.selectors import party_sees_inventory
from inventory.services.extracts import device_extract_job_submit
from inventory.services.restriction_bulk import restriction_bulk_job_submit
from portal.models import ApiToken, Party, User
from reporting.models import ReportRebuildJob
from tests.factories import DeviceFactory, NetworkOperatorFactory, PartyFactory, UserFactory, make_sms

#: The roles of the access matrix, in the order of its columns. ``anon`` is a visitor with no login.
ROLES = ("IS", "GS", "ES", "ED", "GT", "OU", "RSA", "CSP", "DCC", "anon")
ROLE_LABELS = {
    "IS": "Import Supplier", "GS": "Gas Supplier", "ES": "Export Supplier", "ED": "Electricity Distributor",
    "GT": "Gas Transporter", "OU": "Other User", "RSA": "Registered Supplier Agent", "CSP": "CSP (North)",
    "DCC": "DCC service desk", "anon": "anonymous",
}
SUPPLIER_ROLES = ("IS", "GS", "ES")
INSTALL_CODE = "30313233343536373839414243444546"
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    """Everything the matrix rows point at, by role."""

    parties: dict[str, Party] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    token_keys: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, ApiToken] = field(default_factory=dict)
    session_keys: dict[str, str] = field(default_factory=dict)
    own_device: dict[str, Device] = field(default_factory=dict)
    other_device: Device | None = None
    raisable_device: dict[str, Device] = field(default_factory=dict)
    other_raisable_device: Device | None = None
    hubs: dict[int, Device] = field(default_factory=dict)
    raised_incident: dict[str, Incident] = field(default_factory=dict)
    assigned_incident: dict[str, Incident] = field(default_factory=dict)
    other_incident: Incident | None = None
    code_notes: dict[int, IncidentNote] = field(default_factory=dict)
    own_bulk_job: dict[str, IncidentBulkJob] = field(default_factory=dict)
    other_bulk_job: IncidentBulkJob | None = None
    own_restriction_job: dict[str, RestrictionBulkJob] = field(default_factory=dict)
    other_restriction_job: RestrictionBulkJob | None = None
    own_extract_job: dict[str, DeviceExtractJob] = field(default_factory=dict)
    other_extract_job: DeviceExtractJob | None = None
    media_root: str = ""
    other_token: ApiToken | None = None
    cpl_entry: CPLEntry | None = None
    report_job: ReportRebuildJob | None = None
    #: Each DUIS role's User ID with a demo-CA certificate and key (issue 16: DUIS requests are signed).
    duis_identities: dict = field(default_factory=dict)
    last_month: str = ""
    _clients: dict = field(default_factory=dict)

    def page_client(self, role: str) -> Client:
        """A browser logged in as ``role`` (its session was made with the world), or a visitor.

        One client per role is reused (a new client loads the middleware again, and WhiteNoise scans
        every static file when it does); its cookies are reset to the world's session each time.
        """
        client = self._clients.setdefault(("page", role), Client())
        client.cookies = SimpleCookie()
        if role != "anon":
            client.cookies[settings.SESSION_COOKIE_NAME] = self.session_keys[role]
        return client

    def api_client(self, role: str) -> APIClient:
        """A REST client sending ``role``'s real API token, or no credentials for ``anon``."""
        client = self._clients.setdefault(("api", role), APIClient())
        client.cookies = SimpleCookie()
        client.credentials(**({"HTTP_AUTHORIZATION": f"Token {self.token_keys[role]}"} if role != "anon" else {}))
        return client


def _party(code: str, roles: list[str], name: str) -> Party:
    return PartyFactory(code=code, name=name, roles=roles)


def new_incident(*, raiser: Party, installer: Party, raiser_user: User, installer_user: User | None,
              code: bool = True) -> tuple[Incident, IncidentNote | None]:
    """An install-code request on a new installed-not-commissioned meter, answered with a code if asked."""
    device = DeviceFactory(status=DeviceStatus.INSTALLED_NOT_COMMISSIONED, responsible_supplier=raiser,
                           prenotifying_supplier=installer, date_commissioned=None, csp_region=CSPRegion.SOUTH)
    incident, _created = incident_raise_install_code_request(device_id=device.device_id, actor=raiser_user)
    note = None
    if code and installer_user is not None:
        note = incident_add_note(incident=incident, actor=installer_user, body="Here it is.", install_code=INSTALL_CODE)
    return incident, note


DUIS_MATRIX_USER_IDS = {role: f"90-B3-D5-1F-30-5E-00-{index:02X}" for index, role in enumerate(
    ("IS", "GS", "ES", "ED", "GT", "OU", "RSA"), start=1)}


def _duis_identities(world: World) -> None:
    """A DUIS User ID per SEC role party, registered by the DCC with a demo-CA certificate (the CSP and the DCC
    service desk hold none), so the matrix's DUIS rows send properly signed requests."""
    from gateway.duis.identities import duis_identity_register
    from tests.gateway.duis_client import demo_identity

    folder = Path(tempfile.mkdtemp(prefix="security-duis-"))
    for role, user_id in DUIS_MATRIX_USER_IDS.items():
        made = demo_identity(folder, user_id)
        duis_identity_register(actor=world.users["DCC"], party=world.parties[role], user_id=user_id, role=role,
                               certificate_pem=made.certificate_pem)
        world.duis_identities[role] = made


def build_world() -> World:
    world = World()
    dcc = Party.objects.get(code="DCC")
    csp = Party.objects.get(code="CSPN")
    world.parties = {
        "IS": _party("SECIS", ["IS"], "Import Supplier S"),
        "GS": _party("SECGS", ["GS"], "Gas Supplier S"),
        "ES": _party("SECES", ["ES"], "Export Supplier S"),
        "ED": NetworkOperatorFactory(code="SECED", name="Distributor S", roles=["ED"]),
        "GT": NetworkOperatorFactory(code="SECGT", name="Transporter S", roles=["GT"]),
        "OU": _party("SECOU", ["OU"], "Other User S"),
        "RSA": _party("SECRSA", ["RSA"], "Supplier Agent S"),
        "CSP": csp,
        "DCC": dcc,
    }
    other_supplier = _party("SECX", ["IS", "GS"], "Other Supplier X")
    installer = _party("SECY", ["IS", "GS"], "Installing Supplier Y")
    other_network = NetworkOperatorFactory(code="SECNX", name="Other network X", roles=["ED", "GT"])
    for role, party in world.parties.items():
        user = UserFactory(username=f"sec-{role.lower()}", party=party)
        world.users[role] = user
        world.tokens[role], world.token_keys[role] = ApiToken.issue(user=user, name="matrix")
        client = Client()
        client.force_login(user)
        world.session_keys[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    _duis_identities(world)
    other_user = UserFactory(username="sec-x", party=other_supplier)
    installer_user = UserFactory(username="sec-y", party=installer)
    world.other_token, _key = ApiToken.issue(user=other_user, name="not yours")

    # Devices: each role's own meter (responsible supplier, network, CSP region) and one nobody here owns.
    electricity = make_sms(supplier=world.parties["IS"], gas=False, csp_region=CSPRegion.NORTH,
                           network_operator=world.parties["ED"])
    gas = make_sms(supplier=world.parties["GS"], gas=True, csp_region=CSPRegion.NORTH,
                   network_operator=world.parties["GT"])
    export = make_sms(supplier=world.parties["ES"], gas=False, csp_region=CSPRegion.NORTH,
                      network_operator=world.parties["ED"])
    elsewhere = make_sms(supplier=other_supplier, gas=False, csp_region=CSPRegion.SOUTH, network_operator=other_network)
    world.own_device = {
        "IS": electricity["ESME"], "GS": gas["GSME"], "ES": export["ESME"], "ED": electricity["ESME"],
        "GT": gas["GSME"], "CSP": electricity["ESME"], "DCC": elsewhere["ESME"],
    }
    world.other_device = elsewhere["ESME"]
    for sms in (electricity, gas, export, elsewhere):
        for device in sms.values():
            world.hubs[device.pk] = sms["CHF"]
    world.cpl_entry = electricity["ESME"].cpl_entry
    # Meters gained before commissioning (MP121): each supplier's own, and one of another supplier's.
    not_commissioned = {"status": DeviceStatus.INSTALLED_NOT_COMMISSIONED, "date_commissioned": None,
                        "prenotifying_supplier": installer, "csp_region": CSPRegion.SOUTH}
    for role in SUPPLIER_ROLES:
        world.raisable_device[role] = DeviceFactory(responsible_supplier=world.parties[role], **not_commissioned)
    world.other_raisable_device = DeviceFactory(responsible_supplier=other_supplier, **not_commissioned)

    # Incidents: each supplier's own request (answered by Y with a code), one assigned to it (it answered
    # with a code), one in the DCC queue, and one between two other suppliers.
    for role in SUPPLIER_ROLES:
        party, user = world.parties[role], world.users[role]
        incident, note = new_incident(raiser=party, installer=installer, raiser_user=user, installer_user=installer_user)
        world.raised_incident[role], world.code_notes[incident.pk] = incident, note
        incident, note = new_incident(raiser=other_supplier, installer=party, raiser_user=other_user, installer_user=user)
        world.assigned_incident[role], world.code_notes[incident.pk] = incident, note
    queued, _note = new_incident(raiser=other_supplier, installer=other_supplier, raiser_user=other_user,
                              installer_user=None, code=False)
    world.assigned_incident["DCC"] = queued
    world.code_notes[queued.pk] = incident_add_note(incident=queued, actor=other_user, body="Still waiting.")
    world.other_incident, note = new_incident(
        raiser=other_supplier, installer=installer, raiser_user=other_user, installer_user=installer_user)
    world.code_notes[world.other_incident.pk] = note

    for role, party in world.parties.items():
        world.own_bulk_job[role] = IncidentBulkJob.objects.create(
            party=party, user=world.users[role], device_ids=[], total_rows=0)
    world.other_bulk_job = IncidentBulkJob.objects.create(party=other_supplier, user=other_user, device_ids=[])

    # Bulk restriction jobs (suppliers only can have one) and device extracts (every role with an inventory view),
    # made by the services, so the files hold what each role really sees.
    def clear_row(device: Device) -> dict:
        return {"device_id": device.device_id, "restricted": "false", "reason": "Change of tenancy"}

    for role in SUPPLIER_ROLES:
        world.own_restriction_job[role] = restriction_bulk_job_submit(
            rows=[clear_row(world.own_device[role])], actor=world.users[role])
    world.other_restriction_job = restriction_bulk_job_submit(rows=[clear_row(world.other_device)], actor=other_user)
    for role, party in world.parties.items():
        if party_sees_inventory(party):
            world.own_extract_job[role] = device_extract_job_submit(actor=world.users[role])
    world.other_extract_job = device_extract_job_submit(actor=other_user)

    last_month = dt.date.today().replace(day=1) - dt.timedelta(days=1)
    world.last_month = f"{last_month:%Y-%m}"
    world.report_job = ReportRebuildJob.objects.create(
        kind="performance", month=last_month.replace(day=1), requested_by=world.users["DCC"], party=dcc)
    return world


@pytest.fixture(scope="module")
def security_world(django_db_setup, django_db_blocker):
    """The world, built once for the module in a transaction rolled back when the module ends."""
    media_root = tempfile.mkdtemp(prefix="security-media-")
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS, MEDIA_ROOT=media_root):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            world = build_world()
            world.media_root = media_root
            yield world
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def world(security_world, db, settings) -> World:
    """The module's world inside this test's savepoint (and its extract files' folder)."""
    settings.MEDIA_ROOT = security_world.media_root
    return security_world


from tests.gateway.duis_client import (  # noqa: E402,F401 (fixtures: the real DUIS client, the test identities)
    boxed_tool,
    demo_identities,
    duis_identities,
    duis_sender,
    identity_registrar,
)
