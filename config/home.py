"""The home page: what needs attention for the user's party, and where each role goes next.

It sits above every app (it reads incidents, links to inventory, gateway and reporting), so it lives in
``config``, the top layer, not in ``portal``, the bottom one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from gateway.services import allow_list_edit_refusal
from incidents.selectors import incident_attention_counts
from incidents.services import incident_queue_refusal, install_code_request_raise_refusal
from inventory.selectors import (
    GAINED_ATTENTION_DAYS,
    gained_restricted_for,
    party_sees_inventory,
    restriction_notices_for,
)
from inventory.selectors.attention import GAINED_CARD_LIMIT
from inventory.services.cpl import cpl_maintenance_refusal
from inventory.services.devices import device_prenotify_refusal
from inventory.services.restriction import restriction_changer_refusal
from portal.choices import OutboxStatus
from portal.models import OutboxMessage, Party, User

#: Failing outbox messages are counted up to this many: the figure is a prompt to look, not a report.
OUTBOX_COUNT_CAP = 100


@dataclass(frozen=True)
class QuickLink:
    label: str
    url: str
    description: str = ""


def _url(name: str, *args: str, **query: str) -> str:
    """The URL of a page, with a query string; a mistyped name fails loudly (NoReverseMatch)."""
    url = reverse(name, args=args)
    return f"{url}?{urlencode(query)}" if query else url


def _link(label: str, name: str, description: str = "", **query: str) -> QuickLink:
    return QuickLink(label=label, url=_url(name, **query), description=description)


def incident_list_urls(party: Party) -> dict[str, str | None]:
    """Links from the home figures to the incidents list, filtered to the incidents each figure counts."""
    if party.is_dcc:
        return {
            "assigned": _url("incidents:incident-list", queue="service_desk"),
            "overdue": _url("incidents:incident-list", queue="all", overdue="true"),
        }
    return {
        "assigned": _url("incidents:incident-list", queue="assigned"),
        "overdue": _url("incidents:incident-list", queue="assigned", overdue="true"),
        "raised": _url("incidents:incident-list", queue="raised"),
    }


def failing_outbox_count() -> int:
    """Failing outbox messages, counted up to ``OUTBOX_COUNT_CAP`` (the partial index ``outbox_due_idx``)."""
    return OutboxMessage.objects.filter(status=OutboxStatus.FAILED)[:OUTBOX_COUNT_CAP].count()


def quick_links(user: User) -> list[QuickLink]:
    """Where each role usually goes next, in the order it usually goes there (a party may hold several roles).

    A link is offered only when the service that owns the page's rule says the role may use it (the same
    ``*_refusal`` functions guard the pages and build the nav, ``config.navigation``).
    """
    party: Party = user.party
    candidates: list[QuickLink | None] = []
    if party_sees_inventory(party):
        if party.is_supplier:
            candidates += [
                _link("Search the inventory", "inventory:device-list", "Your devices, their history and Restricted mode."),
                _link("Restricted devices", "inventory:device-list", "Devices you have set to Restricted (MP169).",
                      restricted="true"),
            ]
        elif party.is_network_operator:
            candidates.append(_link("Search the inventory (read only)", "inventory:device-list",
                                    "Devices on your network, with the Restricted indication."))
        if party.is_csp:
            candidates.append(_link("Restriction notices", "inventory:restriction-notices",
                                    "Your region's MP169 notices: acknowledge them (R169-17)."))
            candidates.append(_link(
                f"Restricted devices in {party.csp_region or 'your region'}", "inventory:device-list",
                "So a restricted meter is not triaged as a fault.", restricted="true",
                **({"csp_region": party.csp_region} if party.csp_region else {})))
    if install_code_request_raise_refusal(user) is None:
        candidates += [
            _link("Raise an install-code request", "incidents:incident-raise",
                  "For a device you gained before it was commissioned (MP121)."),
            _link("Bulk install-code requests", "incidents:bulk-upload", "Upload a CSV of Device IDs."),
        ]
    if restriction_changer_refusal(user) is None:
        candidates.append(_link("Bulk restriction changes", "inventory:restriction-bulk",
                                "Upload a CSV to set or clear Restricted."))
    if device_prenotify_refusal(user) is None:
        candidates.append(_link("Pre-notify a device", "inventory:device-prenotify",
                                "Add a device you are installing to the inventory (SSMI)."))
    if party.is_dcc:
        candidates += [
            _link("Incidents queue", "incidents:incident-list", "Incidents waiting for the service desk.",
                  queue="service_desk"),
            _link("Outbox", "outbox-list", "Emails and CSP notifications, and the ones failing."),
            _link("Restriction notices", "inventory:restriction-notices", "What each CSP was told, and acknowledged."),
        ]
    if allow_list_edit_refusal(user) is None:
        candidates.append(_link("Allow-lists", "gateway:allow-lists", "Which SRVs and alerts a restricted device accepts."))
    if cpl_maintenance_refusal(user) is None:
        candidates.append(_link("Central Products List", "inventory:cpl-list",
                                "Approved device models and firmware (MP202)."))
    if settings.DEMO_MAILBOX_ENABLED:  # make demo: the stand-ins for the outside world
        if party.is_dcc:
            candidates.append(_link("Demo mailbox", "demo-mailbox", "Every email the portal sent in this demo."))
        if party.is_csp or party.is_dcc:
            candidates.append(_link("CSP notifications received", "demo-csp-notifications",
                                    "What the demo CSP endpoint was sent."))
    candidates += [
        _link("Gateway logs", "gateway:log-index", "Service requests and alerts, with their outcome."),
        _link("Monthly reports", "reporting:report-index", "Performance, SLA and firmware reports."),
    ]
    seen: set[str] = set()
    links = []
    for link in candidates:
        if link.url not in seen:
            seen.add(link.url)
            links.append(link)
    return links


@login_required
def home(request: HttpRequest) -> HttpResponse:
    party: Party | None = request.user.party
    context: dict = {"party": party, "device_search_url": _url("inventory:device-list")}
    if party is not None and not party_sees_inventory(party):
        context["device_search_url"] = ""
    if party is not None:
        # A role with no incidents (network operators, CSPs, Other Users) gets no "0 open" cards it can never act on.
        context["has_incidents"] = incident_queue_refusal(request.user) is None
        if context["has_incidents"]:
            context["incidents"] = incident_attention_counts(party)
            context["incident_urls"] = incident_list_urls(party)
        context["quick_links"] = quick_links(request.user)
        context["sees_inventory"] = party_sees_inventory(party)
        context["reports_url"] = _url("reporting:report-index")
        last_month = timezone.localdate().replace(day=1) - timedelta(days=1)
        context["last_month"] = last_month
        context["last_month_reports"] = [
            (label, url) for label, url in (
                ("Service request performance", _url("reporting:report-month", "performance", f"{last_month:%Y-%m}")),
                ("Install-code request SLA", _url("reporting:report-month", "install-code-sla", f"{last_month:%Y-%m}")),
            ) if url
        ]
        if party.is_supplier:  # R169-16
            context["gained_restricted"] = gained_restricted_for(party)
            context["gained_days"], context["gained_card_limit"] = GAINED_ATTENTION_DAYS, GAINED_CARD_LIMIT
        if party.is_csp:  # R169-17
            context["open_notices"] = restriction_notices_for(party, state="open")[:OUTBOX_COUNT_CAP].count()
            context["notice_count_cap"] = OUTBOX_COUNT_CAP
        if party.is_dcc:
            context["failing_outbox"] = failing_outbox_count()
            context["outbox_count_cap"] = OUTBOX_COUNT_CAP
            context["outbox_url"] = _url("outbox-list", status=OutboxStatus.FAILED)
    return render(request, "portal/home.html", context)
