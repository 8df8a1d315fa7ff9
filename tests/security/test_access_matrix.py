"""The access-control matrix (OWASP ASVS 5.0 8.2.2 / 8.4.1): every page, REST and DUIS route, as every
role, on objects of its own party and of another party, against the expected outcome in ``MATRIX``.

- Pages are requested with a logged-in session, the REST API and ``/duis/`` with the role's real API
  token; anonymous visitors are sent to the login page (pages) or answered 401 (API).
- Every URL pattern the project serves must have at least one row (``test_every_route_has_a_row``):
  a new route without a row fails the suite until someone decides who may use it.
- Beyond the status, every request is checked against two invariants: Restricted mode only ever
  changes on a meter whose Responsible Supplier made the request, and an install-code request only
  ever changes when its raiser, its assignee or the DCC service desk acted; list pages and extracts
  never show another party's meter or incident (the DCC sees all).
- ``KNOWN_GAPS`` lists the cells where the portal does not yet do what the table expects; they run as
  strict xfails, so fixing one fails the suite until its entry is removed.

The outcome vocabulary and the objects are described in ``tests/security/matrix.py``. ``docs/security.md``
carries the same table; print it with ``DJANGO_SETTINGS_MODULE=portal.settings .venv/bin/python -c "import django;
django.setup(); from tests.security.test_access_matrix import render_markdown; print(render_markdown())"``.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Count
from django.urls import URLPattern, URLResolver, get_resolver

from incidents.models import Incident
from inventory.models import Device
from tests.security.conftest import ROLE_LABELS, ROLES, World
from tests.security.matrix import PATHS, Row, build_call, outcome_of, rows_from, send

# Column legend: IS import supplier, GS gas supplier, ES export supplier, ED electricity distributor,
# GT gas transporter, OU other user, RSA registered supplier agent, CSP (North), DCC service desk, anonymous.
MATRIX: dict[str, list[tuple[str, str, str]]] = {
    #    method  object         IS      GS      ES      ED      GT      OU      RSA     CSP     DCC     anon
    "home": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     login"),
    ],
    "login": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     200"),
        ("POST", "-",          "200     200     200     200     200     200     200     200     200     200"),
    ],
    "logout": [
        ("POST", "-",          "login   login   login   login   login   login   login   login   login   login"),
        ("GET",  "-",          "405     405     405     405     405     405     405     405     405     405"),
    ],
    "api-tokens": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     login"),
        ("POST", "-",          "200     200     200     200     200     200     200     200     200     login"),
    ],
    "api-token-revoke": [
        ("POST", "own",        "302     302     302     302     302     302     302     302     302     -"),
        ("POST", "other",      "404     404     404     404     404     404     404     404     404     login"),
        ("GET",  "own",        "405     405     405     405     405     405     405     405     405     -"),
    ],
    "outbox-list": [
        ("GET",  "-",          "403     403     403     403     403     403     403     403     200     login"),
    ],
    # The demo's mailbox pages, as `make demo` serves them (DEMO_MAILBOX_ENABLED; off they are 404 for everyone).
    "demo-mailbox": [
        ("GET",  "-",          "403     403     403     403     403     403     403     403     200     login"),
    ],
    "demo-mailbox-message": [
        ("GET",  "-",          "403     403     403     403     403     403     403     403     200     login"),
    ],
    "demo-csp-notifications": [
        ("GET",  "-",          "403     403     403     403     403     403     403     200     200     login"),
    ],
    "api-schema": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     200"),
    ],
    "api-docs": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     200"),
    ],
    "api-health": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     200"),
    ],
    "api-party-list": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     401"),
    ],
    # Issue 16: each SEC role signs with its own User ID; the CSP and the DCC hold no DUIS User ID, so a signed
    # request from them is E1 (was E2 before the originator was checked).
    "duis": [
        ("POST", "own",        "200:I0  200:I0  200:I0  200:I0  200:I0  -       -       200:E1  200:E1  -"),
        ("POST", "other",      "200:I0  200:I0  200:I0  200:I0  200:I0  200:I0  200:I0  200:E1  200:E1  401"),
        ("GET",  "-",          "405     405     405     405     405     405     405     405     405     401"),
    ],
    "inventory:device-list": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     login"),
    ],
    "inventory:device-list-columns": [  # a user's own column choice: anyone signed in
        ("POST", "-",          "302     302     302     302     302     302     302     302     302     login"),
    ],
    "inventory:device-detail": [
        ("GET",  "own",        "200     200     200     200     200     -       -       200     200     -"),
        ("GET",  "other",      "404     404     404     404     404     404     404     404     200     login"),
    ],
    "inventory:cpl-list": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     login"),
    ],
    "inventory:cpl-add": [
        ("GET",  "-",          "403     403     403     403     403     403     403     403     200     login"),
        ("POST", "-",          "403     403     403     403     403     403     403     403     302     login"),
    ],
    "inventory:cpl-set-status": [
        ("POST", "-",          "403     403     403     403     403     403     403     403     302     login"),
        ("GET",  "-",          "405     405     405     405     405     405     405     405     405     login"),
    ],
    "inventory:device-prenotify": [
        ("GET",  "-",          "200     200     200     403     403     403     403     403     403     login"),
        ("POST", "-",          "302     302     302     403     403     403     403     403     403     login"),
    ],
    "inventory:device-join": [
        ("GET",  "own",        "200     200     200     403     403     -       -       403     200     -"),
        ("GET",  "other",      "404     404     404     404     404     404     404     404     200     login"),
        ("POST", "own",        "302     302     302     403     403     -       -       403     302     -"),
        ("POST", "other",      "404     404     404     404     404     404     404     404     302     login"),
    ],
    "inventory:restriction-device": [
        ("GET",  "own",        "200     200     200     200     200     -       -       200     200     -"),
        ("GET",  "other",      "404     404     404     404     404     404     404     404     200     login"),
        ("POST", "own",        "302     302     302     403     403     -       -       403     403     -"),
        ("POST", "other",      "404     404     404     404     404     404     404     404     403     login"),
    ],
    "inventory:restriction-history-csv": [
        ("GET",  "own",        "200     200     200     200     200     -       -       200     200     -"),
        ("GET",  "other",      "404     404     404     404     404     404     404     404     200     login"),
    ],
    "inventory:supplier-change": [
        ("POST", "own",        "302!    302!    302!    302!    302!    -       -       302!    302     -"),
        ("POST", "other",      "404     404     404     404     404     404     404     404     302     login"),
        ("GET",  "own",        "405     405     405     405     405     -       -       405     405     -"),
    ],
    "inventory:restriction-bulk": [
        ("GET",  "-",          "200     200     200     403     403     403     403     403     403     login"),
        ("POST", "other",      "302     302     302     403     403     403     403     403     403     login"),
    ],
    "inventory:restriction-bulk-job": [
        ("GET",  "own",        "200     200     200     -       -       -       -       -       -       -"),
        ("GET",  "other",      "404     404     404     404     404     404     404     404     404     login"),
    ],
    "inventory:restriction-bulk-results": [
        ("GET",  "own",        "200     200     200     -       -       -       -       -       -       -"),
        ("GET",  "other",      "404     404     404     404     404     404     404     404     404     login"),
    ],
    "inventory:restriction-bulk-template": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     login"),
    ],
    # The world's jobs are finished: confirming one again is refused with a message (nothing changes).
    "inventory:restriction-bulk-confirm": [
        ("POST", "own",        "302!    302!    302!    -       -       -       -       -       -       -"),
        ("POST", "other",      "404     404     404     404     404     404     404     404     404     login"),
        ("GET",  "own",        "405     405     405     -       -       -       -       -       -       -"),
    ],
    "inventory:restriction-bulk-refused": [
        ("GET",  "own",        "200     200     200     -       -       -       -       -       -       -"),
        ("GET",  "other",      "404     404     404     404     404     404     404     404     404     login"),
    ],
    "inventory:extract-list": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     login"),
        ("POST", "-",          "302     302     302     302     302     302!    302!    302     302     login"),
    ],
    "inventory:extract-job": [
        ("GET",  "own",        "200     200     200     200     200     -       -       200     200     -"),
        ("GET",  "other",      "404     404     404     404     404     404     404     404     404     login"),
    ],
    "inventory:extract-download": [
        ("GET",  "own",        "200     200     200     200     200     -       -       200     200     -"),
        ("GET",  "other",      "404     404     404     404     404     404     404     404     404     login"),
    ],
    "api-device-list": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     401"),
    ],
    "api-device-extract": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     401"),
    ],
    "api-device-prenotify": [
        ("POST", "-",          "201     201     201     403     403     403     403     403     403     401"),
    ],
    "api-device-detail": [
        ("GET",  "own",        "200     200     200     200     200     -       -       200     200     -"),
        ("GET",  "other",      "404     404     404     404     404     404     404     404     200     401"),
    ],
    "api-restriction-bulk-jobs": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     401"),
        ("POST", "other",      "201     201     201     403     403     403     403     403     403     401"),
    ],
    "api-restriction-bulk-job": [
        ("GET",  "own",        "200     200     200     -       -       -       -       -       -       -"),
        ("GET",  "other",      "404     404     404     404     404     404     404     404     404     401"),
    ],
    "api-restriction-bulk-job-results": [
        ("GET",  "own",        "200     200     200     -       -       -       -       -       -       -"),
        ("GET",  "other",      "404     404     404     404     404     404     404     404     404     401"),
    ],
    "api-restriction-bulk-job-confirm": [
        ("POST", "own",        "422     422     422     -       -       -       -       -       -       -"),
        ("POST", "other",      "404     404     404     404     404     404     404     404     404     401"),
    ],
    "api-restriction-bulk": [
        ("POST", "own",        "200     200     200     200     200     -       -       200     200     -"),
        ("POST", "other",      "200     200     200     200     200     200     200     200     200     401"),
    ],
    # R169-15: only the DCC Service Centre acts for a supplier (its refusal comes before the device lookup: 403).
    "inventory:restriction-service-centre": [
        ("GET",  "own",        "403     403     403     403     403     -       -       403     200     -"),
        ("GET",  "other",      "403     403     403     403     403     403     403     403     200     login"),
        ("POST", "own",        "403     403     403     403     403     -       -       403     302     -"),
        ("POST", "other",      "403     403     403     403     403     403     403     403     302     login"),
    ],
    "api-device-restriction-service-centre": [
        ("POST", "own",        "403     403     403     403     403     -       -       403     200     -"),
        ("POST", "other",      "403     403     403     403     403     403     403     403     200     401"),
    ],
    "api-device-restriction": [
        ("POST", "own",        "200     200     200     403     403     -       -       403     403     -"),
        ("POST", "other",      "404     404     404     404     404     404     404     404     403     401"),
        ("GET",  "own",        "405     405     405     405     405     -       -       405     405     -"),
    ],
    "api-device-restriction-history": [
        ("GET",  "own",        "200     200     200     200     200     -       -       200     200     -"),
        ("GET",  "other",      "404     404     404     404     404     404     404     404     200     401"),
    ],
    # MP169 through a meter's life (issue 17): hub replacement, the CSP's notices, the premises timeline. The hub
    # replacement rows post the hub itself as its replacement: whoever passes the permission check meets the
    # rule (422, nothing changed), so the row shows who may try.
    "inventory:hub-replace": [
        ("GET",  "own",        "200     200     200     403     403     -       -       403     200     -"),
        ("GET",  "other",      "404     404     404     404     404     404     404     404     200     login"),
        ("POST", "own",        "422     422     422     403     403     -       -       403     422     -"),
        ("POST", "other",      "404     404     404     404     404     404     404     404     422     login"),
    ],
    "api-hub-replace": [
        ("POST", "own",        "422     422     422     403     403     -       -       403     422     -"),
        ("POST", "other",      "404     404     404     404     404     404     404     404     422     401"),
    ],
    "inventory:restriction-notices": [
        ("GET",  "-",          "403     403     403     403     403     403     403     200     200     login"),
        ("POST", "own",        "403     403     403     403     403     403     403     302     403     login"),
        ("POST", "other",      "403     403     403     403     403     403     403     404     403     login"),
    ],
    "api-restriction-notices": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     401"),
    ],
    "api-restriction-notices-acknowledge": [
        ("POST", "own",        "403     403     403     403     403     403     403     200     403     401"),
        ("POST", "other",      "403     403     403     403     403     403     403     404     403     401"),
    ],
    "api-restriction-notice-acknowledge": [
        ("POST", "own",        "403     403     403     403     403     403     403     200     403     401"),
        ("POST", "other",      "403     403     403     403     403     403     403     404     403     401"),
    ],
    "premises:timeline": [
        ("GET",  "own",        "200     200     200     200     200     -       -       200     200     -"),
        ("GET",  "other",      "404     404     404     404     404     404     404     404     200     login"),
    ],
    "api-premises-timeline": [
        ("GET",  "own",        "200     200     200     200     200     -       -       200     200     -"),
        ("GET",  "other",      "404     404     404     404     404     404     404     404     200     401"),
    ],
    "api-cpl-list": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     401"),
        ("POST", "-",          "403     403     403     403     403     403     403     403     201     401"),
    ],
    "api-cpl-status": [
        ("POST", "-",          "403     403     403     403     403     403     403     403     200     401"),
    ],
    "api-device-join": [
        ("POST", "own",        "200     200     200     403     403     -       -       403     200     -"),
        ("POST", "other",      "404     404     404     404     404     404     404     404     200     401"),
    ],
    "gateway:log-index": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     login"),
    ],
    "gateway:dcc-alert-log": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     login"),
    ],
    "gateway:allow-list-change": [
        ("GET",  "-",          "403     403     403     403     403     403     403     403     200     login"),
        ("POST", "-",          "403     403     403     403     403     403     403     403     302     login"),
    ],
    "gateway:alert-log": [
        ("GET",  "sat",        "200     200     200     200     200     200     200     200     200     login"),
        ("GET",  "diagnostics","403     403     403     403     403     403     403     200     200     login"),
    ],
    "gateway:duis-identity-parties": [
        ("GET",  "-",          "403     403     403     403     403     403     403     403     200     login"),
    ],
    "gateway:duis-identity-party": [
        ("GET",  "-",          "403     403     403     403     403     403     403     403     200     login"),
        ("POST", "-",          "403     403     403     403     403     403     403     403     302     login"),
    ],
    "api-duis-identities": [
        ("GET",  "-",          "403     403     403     403     403     403     403     403     200     401"),
        ("POST", "-",          "403     403     403     403     403     403     403     403     201     401"),
    ],
    "api-duis-identity-revoke": [
        ("POST", "-",          "403     403     403     403     403     403     403     403     200     401"),
    ],
    "gateway:allow-lists": [
        ("GET",  "-",          "403     403     403     403     403     403     403     403     200     login"),
        ("POST", "-",          "403     403     403     403     403     403     403     403     302     login"),
    ],
    "api-service-request": [
        ("POST", "own",        "200:I99 200:I99 200:E2  200:I99 200:I99 -       -       200:E2  200:E2  -"),
        ("POST", "other",      "200:E4  200:E4  200:E2  200:E4  200:E4  200:E2  200:E2  200:E2  200:E2  401"),
    ],
    "api-alert": [
        ("POST", "own",        "403     403     403     403     403     -       -       200     200     -"),
        ("POST", "other",      "403     403     403     403     403     403     403     404     200     401"),
    ],
    "incidents:incident-list": [
        ("GET",  "-",          "200     200     200     403     403     403     403     403     200     login"),
    ],
    "incidents:incident-raise": [
        ("GET",  "-",          "200     200     200     403     403     403     403     403     403     login"),
        ("POST", "own",        "302     302     302     -       -       -       -       -       -       -"),
        ("POST", "other",      "200     200     200     403     403     403     403     403     403     login"),
    ],
    "incidents:bulk-upload": [
        ("GET",  "-",          "200     200     200     403     403     403     403     403     403     login"),
        ("POST", "own",        "302     302     302     -       -       -       -       -       -       -"),
    ],
    "incidents:bulk-job": [
        ("GET",  "own",        "200     200     200     200     200     200     200     200     200     -"),
        ("GET",  "other",      "404     404     404     404     404     404     404     404     404     login"),
    ],
    "incidents:bulk-job-results": [
        ("GET",  "own",        "200     200     200     200     200     200     200     200     200     -"),
        ("GET",  "other",      "404     404     404     404     404     404     404     404     404     login"),
    ],
    "incidents:bulk-template": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     login"),
    ],
    # The world's jobs are not waiting for confirmation, and only suppliers raise: refused with a message.
    "incidents:bulk-job-confirm": [
        ("POST", "own",        "302!    302!    302!    302!    302!    302!    302!    302!    302!    -"),
        ("POST", "other",      "404     404     404     404     404     404     404     404     404     login"),
        ("GET",  "own",        "405     405     405     405     405     405     405     405     405     -"),
    ],
    "incidents:bulk-job-refused": [
        ("GET",  "own",        "200     200     200     200     200     200     200     200     200     -"),
        ("GET",  "other",      "404     404     404     404     404     404     404     404     404     login"),
    ],
    "incidents:incident-detail": [
        ("GET",  "raised",     "200     200     200     -       -       -       -       -       -       -"),
        ("GET",  "assigned",   "200     200     200     -       -       -       -       -       200     -"),
        ("GET",  "other",      "404     404     404     404     404     404     404     404     200     login"),
    ],
    "incidents:incident-note": [
        ("POST", "raised",     "302     302     302     -       -       -       -       -       -       -"),
        ("POST", "assigned",   "302     302     302     -       -       -       -       -       302     -"),
        ("POST", "other",      "404     404     404     404     404     404     404     404     302     login"),
    ],
    "incidents:incident-not-installing": [
        ("POST", "raised",     "403     403     403     -       -       -       -       -       -       -"),
        ("POST", "assigned",   "409     409     409     -       -       -       -       -       403     -"),
        ("POST", "other",      "404     404     404     404     404     404     404     404     403     login"),
    ],
    "incidents:incident-close": [
        ("POST", "raised",     "302     302     302     -       -       -       -       -       -       -"),
        ("POST", "assigned",   "403     403     403     -       -       -       -       -       302     -"),
        ("POST", "other",      "404     404     404     404     404     404     404     404     302     login"),
    ],
    "incidents:incident-reassign": [
        ("POST", "raised",     "403     403     403     -       -       -       -       -       -       -"),
        ("POST", "assigned",   "403     403     403     -       -       -       -       -       302     -"),
        ("POST", "other",      "404     404     404     404     404     404     404     404     302     login"),
    ],
    "incidents:incident-reveal": [
        ("POST", "raised",     "200     200     200     -       -       -       -       -       -       -"),
        ("POST", "assigned",   "200     200     200     -       -       -       -       -       302!    -"),
        ("POST", "other",      "404     404     404     404     404     404     404     404     302!    login"),
    ],
    "incidents:incident-answer": [
        ("POST", "raised",     "400     400     400     -       -       -       -       -       -       -"),
        ("POST", "assigned",   "302     302     302     -       -       -       -       -       400     -"),
        ("POST", "other",      "404     404     404     404     404     404     404     404     400     login"),
    ],
    "incidents:incident-reopen": [
        ("POST", "raised",     "302     302     302     -       -       -       -       -       -       -"),
        ("POST", "assigned",   "400     400     400     -       -       -       -       -       400     -"),
        ("POST", "other",      "404     404     404     404     404     404     404     404     400     login"),
    ],
    "incidents:deposits": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     login"),
    ],
    "incidents:contacts": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     login"),
    ],
    "api-incident-reopen": [
        ("POST", "raised",     "200     200     200     -       -       -       -       -       -       -"),
        ("POST", "assigned",   "403     403     403     -       -       -       -       -       403     -"),
        ("POST", "other",      "404     404     404     404     404     404     404     404     403     401"),
    ],
    "api-deposit-list": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     401"),
    ],
    "api-deposit-bulk": [
        ("POST", "-",          "200     200     200     403     403     403     403     403     403     401"),
    ],
    "api-incident-contacts": [
        ("GET",  "-",          "200     200     200     403     403     403     403     403     403     401"),
    ],
    "api-incident-list": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     401"),
    ],
    "api-install-code-request-create": [
        ("POST", "own",        "201     201     201     -       -       -       -       -       -       -"),
        ("POST", "other",      "404     404     404     403     403     403     403     403     403     401"),
    ],
    "api-install-code-request-bulk": [
        ("POST", "own",        "200     200     200     -       -       -       -       -       -       -"),
        ("POST", "other",      "200     200     200     403     403     403     403     403     403     401"),
    ],
    "api-install-code-request-bulk-job": [
        ("GET",  "own",        "200     200     200     200     200     200     200     200     200     -"),
        ("GET",  "other",      "404     404     404     404     404     404     404     404     404     401"),
    ],
    "api-install-code-request-bulk-job-results": [
        ("GET",  "own",        "200     200     200     200     200     200     200     200     200     -"),
        ("GET",  "other",      "404     404     404     404     404     404     404     404     404     401"),
    ],
    "api-install-code-request-bulk-job-confirm": [
        ("POST", "own",        "422     422     422     403     403     403     403     403     403     -"),
        ("POST", "other",      "404     404     404     404     404     404     404     404     404     401"),
    ],
    "api-incident-detail": [
        ("GET",  "raised",     "200     200     200     -       -       -       -       -       -       -"),
        ("GET",  "assigned",   "200     200     200     -       -       -       -       -       200     -"),
        ("GET",  "other",      "404     404     404     404     404     404     404     404     200     401"),
    ],
    "api-incident-notes": [
        ("POST", "raised",     "201     201     201     -       -       -       -       -       -       -"),
        ("POST", "assigned",   "201     201     201     -       -       -       -       -       201     -"),
        ("POST", "other",      "404     404     404     404     404     404     404     404     201     401"),
    ],
    "api-incident-close": [
        ("POST", "raised",     "200     200     200     -       -       -       -       -       -       -"),
        ("POST", "assigned",   "403     403     403     -       -       -       -       -       200     -"),
        ("POST", "other",      "404     404     404     404     404     404     404     404     200     401"),
    ],
    "api-incident-reassign": [
        ("POST", "raised",     "403     403     403     -       -       -       -       -       -       -"),
        ("POST", "assigned",   "403     403     403     -       -       -       -       -       200     -"),
        ("POST", "other",      "404     404     404     404     404     404     404     404     200     401"),
    ],
    "api-incident-reveal": [
        ("POST", "raised",     "200     200     200     -       -       -       -       -       -       -"),
        ("POST", "assigned",   "200     200     200     -       -       -       -       -       404     -"),
        ("POST", "other",      "404     404     404     404     404     404     404     404     403     401"),
    ],
    "reporting:report-index": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     login"),
    ],
    "reporting:report-job": [
        ("GET",  "-",          "404     404     404     404     404     404     404     404     200     login"),
    ],
    "reporting:report-csv": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     login"),
    ],
    "reporting:firmware": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     login"),
    ],
    "reporting:report-latest": [
        ("GET",  "-",          "302     302     302     302     302     302     302     302     302     login"),
    ],
    "reporting:report-month": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     login"),
    ],
    "reporting:report-rebuild": [
        ("POST", "-",          "302!    302!    302!    302!    302!    302!    302!    302!    302     login"),
    ],
    "api-report-performance": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     401"),
    ],
    "api-report-install-code-sla": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     401"),
    ],
    "api-report-restricted-firmware": [
        ("GET",  "-",          "200     200     200     200     200     200     200     200     200     401"),
    ],
}
ROWS: list[Row] = rows_from(MATRIX)

#: Cells where the portal does not yet do what the table expects (reported on the issue; strict xfail).
KNOWN_GAPS: dict[tuple[str, str, str, str], str] = {
    # Found by this matrix and fixed since: install-code requests for another supplier's meter (R121-1),
    # service requests to another party's meter (now E4), alerts from outside a CSP's region (now 404).
}

MATRIX_START, MATRIX_END = "<!-- access-matrix:start -->", "<!-- access-matrix:end -->"

#: Routes left out of the matrix, with the reason.
EXCLUDED_NAMESPACES = {
    "admin": "Django admin: only is_staff users, enforced by Django's AdminSite; no portal role is staff.",
}
#: Routes whose responses must not show another party's meter or incident (everyone but the DCC).
LIST_ROUTES = {"inventory:restriction-notices", "api-restriction-notices", "inventory:device-list", "api-device-list",
               "api-device-extract", "incidents:incident-list",
               "api-incident-list", "api-restriction-bulk", "inventory:restriction-bulk", "inventory:extract-download",
               "inventory:extract-list", "api-restriction-bulk-jobs", "inventory:restriction-bulk-job",
               "inventory:restriction-bulk-results", "api-restriction-bulk-job-results",
               "api-install-code-request-bulk-job-results"}


@pytest.fixture(autouse=True)
def _demo_mailbox_on(settings):
    """The demo mailbox pages are judged as ``make demo`` serves them; off (production), they answer 404 to
    everyone (``tests/portal/test_demo_mailbox.py``)."""
    settings.DEMO_MAILBOX_ENABLED = True


def served_routes(resolver: URLResolver | None = None, namespace: str = "", prefix: str = "") -> dict[str, str]:
    """Every URL pattern the project serves: its name (namespaced) or, if unnamed, its full pattern."""
    resolver = resolver or get_resolver()
    routes: dict[str, str] = {}
    for pattern in resolver.url_patterns:
        text = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            if pattern.namespace in EXCLUDED_NAMESPACES:
                continue
            routes.update(served_routes(pattern, inner, text))
        elif isinstance(pattern, URLPattern):
            routes[f"{namespace}{pattern.name}" if pattern.name else text] = text
    return routes


def cases():
    for entry in ROWS:
        for role, expected in entry.cells():
            if expected == "-":
                continue
            marks = []
            gap = KNOWN_GAPS.get((entry.route, entry.method, entry.obj, role))
            if gap:
                marks.append(pytest.mark.xfail(strict=True, reason=gap))
            yield pytest.param(entry, role, expected, id=f"{entry.route}-{entry.method}-{entry.obj}-{role}", marks=marks)


def test_every_route_has_a_row():
    covered = {entry.route for entry in ROWS}
    missing = sorted(name for name in served_routes() if name not in covered)
    assert not missing, f"Routes without a row in the access matrix (add one to MATRIX): {missing}"


def test_every_row_names_a_served_route_and_a_known_outcome():
    served = served_routes()
    known = {"200", "201", "302", "302!", "400", "401", "403", "404", "405", "409", "422", "login", "-"}
    for entry in ROWS:
        assert entry.route in served and entry.route in PATHS, entry
        for _role, outcome in entry.cells():
            assert outcome in known or outcome.startswith("200:"), (entry, outcome)
    assert set(KNOWN_GAPS) <= {(e.route, e.method, e.obj, role) for e in ROWS for role, _ in e.cells()}


def _guarded_state(world: World) -> tuple[dict, dict, int]:
    """Restricted of every meter, (state, assignee, notes) of every incident, and the requests raised on the
    meter no role is responsible for (the world is small: whole tables are cheap)."""
    restricted = dict(Device.objects.values_list("pk", "restricted"))
    incidents = {
        row["pk"]: (row["state"], row["assigned_party_id"], row["note_count"])
        for row in Incident.objects.annotate(note_count=Count("notes"))
        .values("pk", "state", "assigned_party_id", "note_count")
    }
    strays = Incident.objects.filter(device=world.other_raisable_device).count()
    return restricted, incidents, strays


#: R169-15: the DCC Service Centre changes Restricted on a supplier's behalf (the audit row's party is the supplier).
SERVICE_CENTRE_ROUTES = ("inventory:restriction-service-centre", "api-device-restriction-service-centre")


def _assert_invariants(world: World, role: str, before: tuple[dict, dict, int], route: str = "") -> None:
    after = _guarded_state(world)
    party = world.parties.get(role)
    changed_devices = {pk for pk, value in after[0].items() if pk in before[0] and before[0][pk] != value}
    allowed_devices = set(Device.objects.filter(pk__in=changed_devices, responsible_supplier=party)
                          .values_list("pk", flat=True)) if party else set()
    if role == "DCC" and route in SERVICE_CENTRE_ROUTES:
        from inventory.models import RestrictionChange
        allowed_devices |= {pk for pk in changed_devices if RestrictionChange.objects.filter(
            device_id=pk).order_by("-id").values_list("channel", flat=True).first() == "centre"}
    assert changed_devices <= allowed_devices, f"{role} changed Restricted on a meter it is not responsible for"
    for pk, value in after[1].items():
        if pk in before[1] and before[1][pk] != value:
            incident = Incident.objects.get(pk=pk)
            assert role == "DCC" or party.pk in (incident.raised_by_id, before[1][pk][1]), (
                f"{role} changed {incident.reference}, which is not its to change")
    assert after[2] == 0, f"{role} raised an install-code request on another supplier's meter"


def _assert_hides_others(world: World, route: str, role: str, response) -> None:
    if route not in LIST_ROUTES or role in ("DCC", "anon") or response.status_code != 200:
        return
    body = b"".join(response.streaming_content) if response.streaming else response.content
    for secret in (world.other_device.device_id, world.other_raisable_device.device_id, world.other_incident.reference):
        if route in ("api-restriction-bulk", "inventory:restriction-bulk", "api-restriction-bulk-jobs") and (
                secret == world.other_device.device_id):
            continue  # the per-row result echoes the Device ID the caller sent; its refusal is what matters
        assert secret.encode() not in body, f"{route} shows {secret} to {role}"


@pytest.mark.parametrize(("entry", "role", "expected"), list(cases()))
def test_access_matrix(world: World, entry: Row, role: str, expected: str):
    call = build_call(world, entry.route, entry.method, role, entry.obj)
    before = _guarded_state(world)
    response = send(world, call, entry.method, role)
    assert outcome_of(response, expected) == expected, (
        f"{entry.method} {call.path} as {ROLE_LABELS[role]} ({entry.obj}): expected {expected}, got "
        f"{response.status_code} {response.content[:300] if not response.streaming else ''!r}")
    _assert_invariants(world, role, before, entry.route)
    _assert_hides_others(world, entry.route, role, response)


def render_markdown() -> str:
    """The matrix as the Markdown table in docs/security.md."""
    header = "| route | method | object | " + " | ".join(ROLES) + " |"
    lines = [header, "|" + "---|" * (3 + len(ROLES))]
    for entry in ROWS:
        cells = []
        for role, outcome in entry.cells():
            gap = (entry.route, entry.method, entry.obj, role) in KNOWN_GAPS
            cells.append(f"{outcome.replace('|', '/')}{' (gap)' if gap else ''}")
        lines.append(f"| `{entry.route}` | {entry.method} | {entry.obj} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def test_docs_security_md_carries_this_matrix():
    """docs/security.md shows the same table, between its ``access-matrix`` markers."""
    text = (Path(settings.BASE_DIR) / "docs" / "security.md").read_text(encoding="utf-8")
    start, end = text.index(MATRIX_START) + len(MATRIX_START), text.index(MATRIX_END)
    assert text[start:end].strip() == render_markdown().strip(), (
        "docs/security.md is out of date: replace its matrix with render_markdown()'s output (see module docstring)")
