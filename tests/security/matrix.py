"""How the access matrix turns a row (route, method, object) into a real request, and a response into
an outcome. The table itself is in ``test_access_matrix.py``; ``docs/security.md`` renders the same table.

Outcomes:

- ``200`` ``201`` ``400`` ``401`` ``403`` ``404`` ``405`` ``409`` ``422``: the status code;
- ``200:E2`` (etc.): status 200 and that DUIS response code in the answer (JSON or DUIS XML); ``200:E?``
  any error code (a refusal; the portal has no DUIS code yet for the case, see ``KNOWN_GAPS``);
- ``login``: a redirect to the login page;
- ``302``: a redirect after a page form whose messages report no error (the change was made);
- ``302!``: a redirect after a page form with an error message (the service refused; nothing changed);
- ``-``: the combination does not exist (e.g. an Other User owns no meter) and is not requested.

Objects: ``-`` none; ``own``/``other`` a meter (own = the role's party is its responsible supplier,
network operator or CSP) or a bulk job / API token; ``raised``/``assigned``/``other`` an install-code
request the role's party raised, is assigned, or has nothing to do with.
"""
from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.models import CaughtEmail
from tests.duis_samples import DUIS_DATA, FILES
from tests.security.conftest import ROLES, World

DUIS_82 = DUIS_DATA / FILES["8.2"]
DUIS_82_DEVICE = "<sr:DeviceID>00-DB-12-34-56-78-90-A2</sr:DeviceID>"


@dataclass(frozen=True)
class Row:
    """Expected outcome of one route, method and object for every role (in ``ROLES`` order)."""

    route: str
    method: str
    obj: str
    outcomes: tuple[str, ...]

    def __post_init__(self) -> None:
        assert len(self.outcomes) == len(ROLES), f"{self.route} {self.method} {self.obj}: one outcome per role"

    def cells(self):
        return zip(ROLES, self.outcomes, strict=True)


def rows_from(table: dict[str, list[tuple[str, str, str]]]) -> list[Row]:
    """The table's ``{route: [(method, object, "IS GS ES ... anon"), ...]}`` as rows."""
    return [Row(route, method, obj, tuple(cells.split())) for route, lines in table.items()
            for method, obj, cells in lines]


@dataclass
class Call:
    path: str
    api: bool
    data: Any = None
    content_type: str | None = None


def _device(world: World, role: str, obj: str):
    return world.other_device if obj == "other" or role == "anon" else world.own_device[role]


def _incident(world: World, role: str, obj: str):
    if obj == "raised":
        return world.raised_incident[role]
    if obj == "assigned":
        return world.assigned_incident[role]
    return world.other_incident


def _raisable(world: World, role: str, obj: str):
    return world.other_raisable_device if obj == "other" or role not in world.raisable_device else (
        world.raisable_device[role])


def _bulk_job(world: World, role: str, obj: str):
    return world.other_bulk_job if obj == "other" or role == "anon" else world.own_bulk_job[role]


def _restriction_job(world: World, role: str, obj: str):
    return world.other_restriction_job if obj == "other" or role == "anon" else world.own_restriction_job[role]


def _extract_job(world: World, role: str, obj: str):
    return world.other_extract_job if obj == "other" or role == "anon" else world.own_extract_job[role]


def _caught_email():
    """An email the demo's mail catcher caught (the world has none of its own)."""
    return CaughtEmail.objects.first() or CaughtEmail.objects.create(subject="Matrix", recipients="ops@secis.example")


def _csv(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def _restriction_form(world: World, role: str, obj: str) -> dict:
    return {"restricted": "true", "reason_choice": "Consumer refused remote collection of consumption data",
            "all_reasonable_steps_taken": "on", "next": ""}


def _service_centre(world: World, role: str, obj: str, *, page: bool) -> dict:
    """R169-15: the DCC records the device's own supplier's request to flip Restricted (clear if set, else set)."""
    device = _device(world, role, obj)
    device.refresh_from_db()
    supplier = device.responsible_supplier.code if device.responsible_supplier_id else ""
    if page:
        return {"supplier": supplier, "supplier_reference": "MATRIX-1", "restricted": str(not device.restricted).lower(),
                "reason": "Matrix", "all_reasonable_steps_taken": "on", "attestation_given_by": "phone"}
    return {"supplier": supplier, "supplier_reference": "MATRIX-1", "restricted": not device.restricted,
            "reason": "Matrix", "all_reasonable_steps_taken": True, "attestation_given_by": "phone"}


def _duis_82(world: World, role: str, obj: str) -> bytes:
    """The real 8.2 request, signed by the DCC Boxed tool with the role's own User ID; the CSP and the DCC hold
    none, so theirs is signed for the (unregistered here) test supplier User ID."""
    from tests.gateway.duis_client import SUPPLIER_USER_ID, originator_replaced, shared_boxed_tool

    device_id = _device(world, role, obj).device_id
    data = DUIS_82.read_text(encoding="utf-8").replace(DUIS_82_DEVICE, f"<sr:DeviceID>{device_id}</sr:DeviceID>").encode()
    identity = world.duis_identities.get(role)
    if identity is None:
        return shared_boxed_tool().sign(data, as_user_id=SUPPLIER_USER_ID) if role != "anon" else data
    return shared_boxed_tool().sign(originator_replaced(data, identity.user_id), identity=identity)


def _new_duis_identity() -> dict:
    """A second User ID for the import supplier SECIS, with a demo-CA certificate for it."""
    from gateway.duis.demo_ca import demo_certificate_issue

    user_id = "90-B3-D5-1F-30-5E-01-01"
    pem, _key = demo_certificate_issue(user_id=user_id, folder=Path(tempfile.mkdtemp(prefix="matrix-ca-")))
    return {"user_id": user_id, "role": "IS", "certificate_pem": pem}


def _prenotify(world: World, role: str, obj: str) -> dict:
    entry = world.cpl_entry
    return {"device_id": "00-DB-99-00-00-00-00-01", "device_type": entry.device_type, "manufacturer": entry.manufacturer,
            "model": entry.model, "hardware_version": entry.hardware_version, "firmware_version": entry.firmware_version,
            "smets_version": entry.smets_version, "mpxn": "", "uprn": "", "postcode": "", "csp_region": "North"}


def _cpl_add(world: World, role: str, obj: str) -> dict:
    return {"device_type": "ESME", "manufacturer": "SECURE", "model": "MATRIX-1", "hardware_version": "1.0",
            "firmware_version": "9.9.9", "smets_version": "SMETS2+", "status": "Active"}


def _hub(world: World, role: str, obj: str):
    """The hub of the role's own meter's SMS (or of the meter nobody here owns)."""
    return world.hubs[_device(world, role, obj).pk]


def _notice(world: World, role: str, obj: str):
    """A restriction notice to CSP North (own) or to CSP South (other), made on first use (rolled back per case)."""
    from inventory.models import RestrictionChange, RestrictionNotice
    from portal.models import Party

    csp = Party.objects.get(code="CSPN" if obj == "own" else "CSPS")
    notice = RestrictionNotice.objects.filter(csp=csp, acknowledged_at__isnull=True).first()
    if notice is None:
        device = world.own_device["CSP"] if obj == "own" else world.other_device
        change = RestrictionChange.objects.create(
            device=device, actor=world.users["DCC"], party=world.parties["DCC"], old_value=False, new_value=True,
            reason="Matrix", channel="web")
        notice = RestrictionNotice.objects.create(csp=csp, change=change, device=device, hub=world.hubs[device.pk],
                                                  restricted=True, at=change.at, csp_region=csp.csp_region)
    return notice


# route name -> how to build its path from (world, role, object)
PATHS = {
    "home": lambda w, r, o: reverse("home"),
    "login": lambda w, r, o: reverse("login"),
    "logout": lambda w, r, o: reverse("logout"),
    "api-tokens": lambda w, r, o: reverse("api-tokens"),
    "api-token-revoke": lambda w, r, o: reverse(
        "api-token-revoke", args=[(w.other_token if o == "other" or r == "anon" else w.tokens[r]).pk]),
    "outbox-list": lambda w, r, o: reverse("outbox-list"),
    "demo-mailbox": lambda w, r, o: reverse("demo-mailbox"),
    "demo-mailbox-message": lambda w, r, o: reverse("demo-mailbox-message", args=[_caught_email().pk]),
    "demo-csp-notifications": lambda w, r, o: reverse("demo-csp-notifications"),
    "api-schema": lambda w, r, o: reverse("api-schema"),
    "api-docs": lambda w, r, o: reverse("api-docs"),
    "duis": lambda w, r, o: reverse("duis"),
    "api-health": lambda w, r, o: reverse("api-health"),
    "api-party-list": lambda w, r, o: reverse("api-party-list"),
    # inventory pages
    "inventory:device-list": lambda w, r, o: reverse("inventory:device-list"),
    "inventory:device-list-columns": lambda w, r, o: reverse("inventory:device-list-columns"),
    "inventory:device-detail": lambda w, r, o: reverse("inventory:device-detail", args=[_device(w, r, o).device_id]),
    "inventory:cpl-list": lambda w, r, o: reverse("inventory:cpl-list"),
    "inventory:cpl-add": lambda w, r, o: reverse("inventory:cpl-add"),
    "inventory:cpl-set-status": lambda w, r, o: reverse("inventory:cpl-set-status", args=[w.cpl_entry.pk]),
    "inventory:device-prenotify": lambda w, r, o: reverse("inventory:device-prenotify"),
    "inventory:device-join": lambda w, r, o: reverse("inventory:device-join", args=[_device(w, r, o).device_id]),
    "inventory:restriction-device": lambda w, r, o: reverse(
        "inventory:restriction-device", args=[_device(w, r, o).device_id]),
    "inventory:restriction-history-csv": lambda w, r, o: reverse(
        "inventory:restriction-history-csv", args=[_device(w, r, o).device_id]),
    "inventory:supplier-change": lambda w, r, o: reverse("inventory:supplier-change", args=[_device(w, r, o).device_id]),
    "inventory:restriction-bulk": lambda w, r, o: reverse("inventory:restriction-bulk"),
    "inventory:restriction-bulk-job": lambda w, r, o: reverse(
        "inventory:restriction-bulk-job", args=[_restriction_job(w, r, o).pk]),
    "inventory:restriction-bulk-results": lambda w, r, o: reverse(
        "inventory:restriction-bulk-results", args=[_restriction_job(w, r, o).pk]),
    "inventory:restriction-bulk-template": lambda w, r, o: reverse("inventory:restriction-bulk-template"),
    "inventory:restriction-bulk-confirm": lambda w, r, o: reverse(
        "inventory:restriction-bulk-confirm", args=[_restriction_job(w, r, o).pk]),
    "inventory:restriction-bulk-refused": lambda w, r, o: reverse(
        "inventory:restriction-bulk-refused", args=[_restriction_job(w, r, o).pk]),
    "api-restriction-bulk-job-confirm": lambda w, r, o: reverse(
        "api-restriction-bulk-job-confirm", args=[_restriction_job(w, r, o).pk]),
    "inventory:extract-list": lambda w, r, o: reverse("inventory:extract-list"),
    "inventory:extract-job": lambda w, r, o: reverse("inventory:extract-job", args=[_extract_job(w, r, o).pk]),
    "inventory:extract-download": lambda w, r, o: reverse("inventory:extract-download", args=[_extract_job(w, r, o).pk]),
    "inventory:hub-replace": lambda w, r, o: reverse("inventory:hub-replace", args=[_hub(w, r, o).device_id]),
    "inventory:restriction-notices": lambda w, r, o: reverse("inventory:restriction-notices"),
    "premises:timeline": lambda w, r, o: reverse("premises:timeline", args=[_device(w, r, o).device_id]),
    # inventory API
    "api-hub-replace": lambda w, r, o: reverse("api-hub-replace", args=[_hub(w, r, o).device_id]),
    "api-restriction-notices": lambda w, r, o: reverse("api-restriction-notices"),
    "api-restriction-notices-acknowledge": lambda w, r, o: reverse("api-restriction-notices-acknowledge"),
    "api-restriction-notice-acknowledge": lambda w, r, o: reverse(
        "api-restriction-notice-acknowledge", args=[_notice(w, r, o).pk]),
    "api-premises-timeline": lambda w, r, o: reverse("api-premises-timeline", args=[_device(w, r, o).device_id]),
    "api-device-list": lambda w, r, o: reverse("api-device-list"),
    "api-device-extract": lambda w, r, o: reverse("api-device-extract") + "?format=csv",
    "api-device-prenotify": lambda w, r, o: reverse("api-device-prenotify"),
    "api-device-detail": lambda w, r, o: reverse("api-device-detail", args=[_device(w, r, o).device_id]),
    "api-restriction-bulk": lambda w, r, o: reverse("api-restriction-bulk"),
    "api-restriction-bulk-jobs": lambda w, r, o: reverse("api-restriction-bulk-jobs"),
    "api-restriction-bulk-job": lambda w, r, o: reverse("api-restriction-bulk-job", args=[_restriction_job(w, r, o).pk]),
    "api-restriction-bulk-job-results": lambda w, r, o: reverse(
        "api-restriction-bulk-job-results", args=[_restriction_job(w, r, o).pk]),
    "api-device-restriction": lambda w, r, o: reverse("api-device-restriction", args=[_device(w, r, o).device_id]),
    "api-device-restriction-service-centre": lambda w, r, o: reverse(
        "api-device-restriction-service-centre", args=[_device(w, r, o).device_id]),
    "inventory:restriction-service-centre": lambda w, r, o: reverse(
        "inventory:restriction-service-centre", args=[_device(w, r, o).device_id]),
    "gateway:dcc-alert-log": lambda w, r, o: reverse("gateway:dcc-alert-log"),
    "gateway:allow-list-change": lambda w, r, o: reverse("gateway:allow-list-change") + "?list=srv&items=4.1.1&allowed=true",
    "api-device-restriction-history": lambda w, r, o: reverse(
        "api-device-restriction-history", args=[_device(w, r, o).device_id]),
    "api-cpl-list": lambda w, r, o: reverse("api-cpl-list"),
    "api-cpl-status": lambda w, r, o: reverse("api-cpl-status", args=[w.cpl_entry.pk]),
    "api-device-join": lambda w, r, o: reverse("api-device-join", args=[_device(w, r, o).device_id]),
    # gateway
    "gateway:log-index": lambda w, r, o: reverse("gateway:log-index"),
    "gateway:alert-log": lambda w, r, o: reverse("gateway:alert-log", kwargs={"log": o}),
    "gateway:allow-lists": lambda w, r, o: reverse("gateway:allow-lists"),
    "gateway:duis-identity-parties": lambda w, r, o: reverse("gateway:duis-identity-parties"),
    "gateway:duis-identity-party": lambda w, r, o: reverse("gateway:duis-identity-party", args=["SECIS"]),
    "api-duis-identities": lambda w, r, o: reverse("api-duis-identities", args=["SECIS"]),
    "api-duis-identity-revoke": lambda w, r, o: reverse(
        "api-duis-identity-revoke", args=["SECIS", w.duis_identities["IS"].user_id]),
    "api-service-request": lambda w, r, o: reverse("api-service-request"),
    "api-alert": lambda w, r, o: reverse("api-alert"),
    # incidents pages
    "incidents:incident-list": lambda w, r, o: reverse("incidents:incident-list"),
    "incidents:incident-raise": lambda w, r, o: reverse("incidents:incident-raise"),
    "incidents:bulk-upload": lambda w, r, o: reverse("incidents:bulk-upload"),
    "incidents:bulk-job": lambda w, r, o: reverse("incidents:bulk-job", args=[_bulk_job(w, r, o).pk]),
    "incidents:bulk-job-results": lambda w, r, o: reverse("incidents:bulk-job-results", args=[_bulk_job(w, r, o).pk]),
    "incidents:bulk-template": lambda w, r, o: reverse("incidents:bulk-template"),
    "incidents:bulk-job-confirm": lambda w, r, o: reverse("incidents:bulk-job-confirm", args=[_bulk_job(w, r, o).pk]),
    "incidents:bulk-job-refused": lambda w, r, o: reverse("incidents:bulk-job-refused", args=[_bulk_job(w, r, o).pk]),
    "api-install-code-request-bulk-job-confirm": lambda w, r, o: reverse(
        "api-install-code-request-bulk-job-confirm", args=[_bulk_job(w, r, o).pk]),
    "incidents:incident-detail": lambda w, r, o: reverse(
        "incidents:incident-detail", args=[_incident(w, r, o).reference]),
    "incidents:incident-note": lambda w, r, o: reverse("incidents:incident-note", args=[_incident(w, r, o).reference]),
    "incidents:incident-not-installing": lambda w, r, o: reverse(
        "incidents:incident-not-installing", args=[_incident(w, r, o).reference]),
    "incidents:incident-close": lambda w, r, o: reverse("incidents:incident-close", args=[_incident(w, r, o).reference]),
    "incidents:incident-reassign": lambda w, r, o: reverse(
        "incidents:incident-reassign", args=[_incident(w, r, o).reference]),
    "incidents:incident-reveal": lambda w, r, o: reverse(
        "incidents:incident-reveal",
        args=[_incident(w, r, o).reference, w.code_notes[_incident(w, r, o).pk].pk]),
    "incidents:incident-answer": lambda w, r, o: reverse(
        "incidents:incident-answer", args=[_incident(w, r, o).reference]),
    "incidents:incident-reopen": lambda w, r, o: reverse(
        "incidents:incident-reopen", args=[_incident(w, r, o).reference]),
    "incidents:deposits": lambda w, r, o: reverse("incidents:deposits"),
    "incidents:contacts": lambda w, r, o: reverse("incidents:contacts"),
    # incidents API
    "api-incident-reopen": lambda w, r, o: reverse("api-incident-reopen", args=[_incident(w, r, o).reference]),
    "api-deposit-list": lambda w, r, o: reverse("api-deposit-list"),
    "api-deposit-bulk": lambda w, r, o: reverse("api-deposit-bulk"),
    "api-incident-contacts": lambda w, r, o: reverse("api-incident-contacts"),
    "api-incident-list": lambda w, r, o: reverse("api-incident-list"),
    "api-install-code-request-create": lambda w, r, o: reverse("api-install-code-request-create"),
    "api-install-code-request-bulk": lambda w, r, o: reverse("api-install-code-request-bulk"),
    "api-install-code-request-bulk-job": lambda w, r, o: reverse(
        "api-install-code-request-bulk-job", args=[_bulk_job(w, r, o).pk]),
    "api-install-code-request-bulk-job-results": lambda w, r, o: reverse(
        "api-install-code-request-bulk-job-results", args=[_bulk_job(w, r, o).pk]),
    "api-incident-detail": lambda w, r, o: reverse("api-incident-detail", args=[_incident(w, r, o).reference]),
    "api-incident-notes": lambda w, r, o: reverse("api-incident-notes", args=[_incident(w, r, o).reference]),
    "api-incident-close": lambda w, r, o: reverse("api-incident-close", args=[_incident(w, r, o).reference]),
    "api-incident-reassign": lambda w, r, o: reverse("api-incident-reassign", args=[_incident(w, r, o).reference]),
    "api-incident-reveal": lambda w, r, o: reverse("api-incident-reveal", args=[_incident(w, r, o).reference]),
    # reporting
    "reporting:report-index": lambda w, r, o: reverse("reporting:report-index"),
    "reporting:report-job": lambda w, r, o: reverse("reporting:report-job", args=[w.report_job.pk]),
    "reporting:report-csv": lambda w, r, o: reverse("reporting:report-csv", args=["performance"]) + f"?month={w.last_month}",
    "reporting:firmware": lambda w, r, o: reverse("reporting:firmware"),
    "reporting:report-latest": lambda w, r, o: reverse("reporting:report-latest", args=["performance"]),
    "reporting:report-month": lambda w, r, o: reverse("reporting:report-month", args=["install-code-sla", w.last_month]),
    "reporting:report-rebuild": lambda w, r, o: reverse("reporting:report-rebuild", args=["performance", w.last_month]),
    "api-report-performance": lambda w, r, o: reverse("api-report-performance", args=[w.last_month]),
    "api-report-install-code-sla": lambda w, r, o: reverse("api-report-install-code-sla", args=[w.last_month]),
    "api-report-restricted-firmware": lambda w, r, o: reverse("api-report-restricted-firmware"),
}

#: (route, method) -> the body sent: a valid request, so that the decision under test is the permission one.
BODIES = {
    ("login", "POST"): lambda w, r, o: {"username": "sec-is", "password": "not-the-password"},
    ("api-tokens", "POST"): lambda w, r, o: {"name": "matrix"},
    ("duis", "POST"): _duis_82,
    ("inventory:cpl-add", "POST"): _cpl_add,
    ("inventory:cpl-set-status", "POST"): lambda w, r, o: {"status": "Withdrawn"},
    ("inventory:device-prenotify", "POST"): _prenotify,
    ("inventory:device-join", "POST"): lambda w, r, o: {"hub_id": w.hubs[_device(w, r, o).pk].device_id},
    ("inventory:restriction-device", "POST"): _restriction_form,
    ("inventory:supplier-change", "POST"): lambda w, r, o: {"new_supplier": w.parties["IS"].pk, "next": ""},
    ("inventory:restriction-bulk", "POST"): lambda w, r, o: {"file": _csv(
        "r.csv", f"device_id,restricted,reason,all_reasonable_steps_taken\n{_device(w, r, 'other').device_id},true,"
                 "Change of tenancy,true\n")},
    ("inventory:hub-replace", "POST"): lambda w, r, o: {"new_hub_id": _hub(w, r, o).device_id, "reason": "matrix"},
    ("api-hub-replace", "POST"): lambda w, r, o: {"new_hub_id": _hub(w, r, o).device_id},
    ("inventory:restriction-notices", "POST"): lambda w, r, o: {"notice": [_notice(w, r, o).pk]},
    ("api-restriction-notices-acknowledge", "POST"): lambda w, r, o: {"ids": [_notice(w, r, o).pk]},
    ("api-device-prenotify", "POST"): _prenotify,
    ("inventory:extract-list", "POST"): lambda w, r, o: {"filters": "restricted=false"},
    ("api-restriction-bulk-jobs", "POST"): lambda w, r, o: {"changes": [{
        "device_id": _device(w, r, o).device_id, "restricted": True, "reason": "Change of tenancy",
        "all_reasonable_steps_taken": True}]},
    ("api-restriction-bulk", "POST"): lambda w, r, o: {"changes": [{
        "device_id": _device(w, r, o).device_id, "restricted": True, "reason": "Change of tenancy",
        "all_reasonable_steps_taken": True}]},
    ("api-device-restriction", "POST"): lambda w, r, o: {
        "restricted": True, "reason": "Consumer refused remote collection", "all_reasonable_steps_taken": True},
    ("api-cpl-list", "POST"): _cpl_add,
    ("api-cpl-status", "POST"): lambda w, r, o: {"status": "Withdrawn"},
    ("api-device-join", "POST"): lambda w, r, o: {"hub_id": w.hubs[_device(w, r, o).pk].device_id},
    ("gateway:duis-identity-party", "POST"): lambda w, r, o: _new_duis_identity(),
    ("api-duis-identities", "POST"): lambda w, r, o: _new_duis_identity(),
    ("api-duis-identity-revoke", "POST"): lambda w, r, o: {"reason": "matrix"},
    ("inventory:restriction-service-centre", "POST"): lambda w, r, o: _service_centre(w, r, o, page=True),
    ("api-device-restriction-service-centre", "POST"): lambda w, r, o: _service_centre(w, r, o, page=False),
    ("gateway:allow-list-change", "POST"): lambda w, r, o: {"list": "srv", "items": "4.1.1", "allowed": "true",
                                                            "reason": "matrix"},
    ("gateway:allow-lists", "POST"): lambda w, r, o: {"allow_list": "srv", "item": "4.1.1", "allowed": "true",
                                                      "reason": "matrix"},
    ("api-service-request", "POST"): lambda w, r, o: {"srv": "4.1.1", "device_id": _device(w, r, o).device_id,
                                                      "command_variant": 1},
    ("api-alert", "POST"): lambda w, r, o: {"device_id": _device(w, r, o).device_id, "alert_code": "8F3E"},
    ("incidents:incident-raise", "POST"): lambda w, r, o: {"device_id": _raisable(w, r, o).device_id},
    ("incidents:bulk-upload", "POST"): lambda w, r, o: {"file": _csv(
        "ids.csv", f"device_id\n{_raisable(w, r, o).device_id}\n")},
    ("incidents:incident-note", "POST"): lambda w, r, o: {"body": "A note from the matrix.", "install_code": ""},
    ("incidents:incident-not-installing", "POST"): lambda w, r, o: {"body": "Not us."},
    ("inventory:device-list-columns", "POST"): lambda w, r, o: {"columns": ["status", "mpxn"]},
    ("incidents:incident-close", "POST"): lambda w, r, o: {"reason": "Done.", "confirmed": "yes"},
    ("incidents:incident-reassign", "POST"): lambda w, r, o: {"to_party": "SECGS"},
    ("incidents:incident-answer", "POST"): lambda w, r, o: {"is_installer": "yes",
                                                            "install_code": "30313233343536373839414243444546"},
    ("incidents:incident-reopen", "POST"): lambda w, r, o: {"reason": "The code did not work."},
    ("api-incident-reopen", "POST"): lambda w, r, o: {"reason": "The code did not work."},
    ("api-deposit-bulk", "POST"): lambda w, r, o: {"rows": [
        {"device_id": w.other_raisable_device.device_id, "install_code": "30313233343536373839414243444546"}]},
    ("reporting:report-rebuild", "POST"): lambda w, r, o: {},
    ("api-install-code-request-create", "POST"): lambda w, r, o: {"device_id": _raisable(w, r, o).device_id},
    ("api-install-code-request-bulk", "POST"): lambda w, r, o: {"device_ids": [_raisable(w, r, o).device_id]},
    ("api-incident-notes", "POST"): lambda w, r, o: {"body": "A note from the matrix."},
    ("api-incident-close", "POST"): lambda w, r, o: {"reason": "Done."},
    ("api-incident-reassign", "POST"): lambda w, r, o: {"to_party": "SECGS"},
}

#: Routes answered by DRF (token authentication; anonymous is 401). Everything else is a page (session).
API_ROUTES = {name for name in PATHS if name.startswith("api-") and name not in ("api-tokens", "api-token-revoke")} | {
    "duis"}
#: Public reads: the health probe, the OpenAPI schema and its documentation page.
PUBLIC_ROUTES = {"api-health", "api-schema", "api-docs", "login"}


def build_call(world: World, route: str, method: str, role: str, obj: str) -> Call:
    path = PATHS[route](world, role, obj)
    api = route in API_ROUTES
    body = BODIES.get((route, method))
    data = body(world, role, obj) if body and method == "POST" else None
    if route == "duis":
        return Call(path, api, data, "application/xml")
    if api and method == "POST":
        return Call(path, api, json.dumps(data or {}), "application/json")
    return Call(path, api, data)


def send(world: World, call: Call, method: str, role: str):
    client = world.api_client(role) if call.api else world.page_client(role)
    if call.content_type:
        return client.generic(method, call.path, call.data or b"", content_type=call.content_type)
    if method == "POST":
        return client.post(call.path, call.data or {})
    return getattr(client, method.lower())(call.path)


_CODE = re.compile(rb"ResponseCode>\s*([A-Z0-9]+)\s*<")


def outcome_of(response, expected: str) -> str:
    """The response as an outcome in the table's vocabulary (see the module docstring)."""
    status = response.status_code
    if status == 302:
        if response["Location"].split("?")[0] == reverse("login"):
            return "login"
        levels = {message.level for message in get_messages(response.wsgi_request)}
        return "302!" if messages.ERROR in levels else "302"
    if ":" in expected and status == 200:
        if response["Content-Type"].startswith("application/json"):
            code = str(response.json().get("response_code"))
        else:
            match = _CODE.search(response.content)
            code = match.group(1).decode() if match else "?"
        return "200:E?" if expected == "200:E?" and code.startswith("E") else f"200:{code}"
    return str(status)
