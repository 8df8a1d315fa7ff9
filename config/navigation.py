"""The main navigation, built from what the user's party may do (issue #19 item 6).

A section is in the nav only if the role can use it, and the question is put to the service that owns
the rule (its ``*_refusal`` function), never re-decided here: a network operator sees no Incidents (it
raises and is assigned none), no CPL maintenance, no Admin. The same answers build the home page
(``config.home``) and guard the forms themselves (``portal.pages.refused_roles_see_why``), so a link is
shown exactly when the page behind it is open. It lives in ``config``, the top layer, because it asks
every app.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from gateway.duis.identities import duis_identity_edit_refusal
from gateway.services import allow_list_edit_refusal
from incidents.services import incident_queue_refusal
from inventory.selectors import party_sees_inventory
from inventory.services.cpl import cpl_maintenance_refusal
from inventory.services.devices import device_prenotify_refusal


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    section: str
    current: bool


def _allowed(refusal: Callable[[Any], Any]) -> Callable[[Any], bool]:
    return lambda user: refusal(user) is None


def _sees_inventory(user: Any) -> bool:
    return party_sees_inventory(getattr(user, "party", None))


def _uses_cpl(user: Any) -> bool:
    """The CPL is the DCC's to maintain and the installing suppliers' to pick models from; others never use it."""
    return cpl_maintenance_refusal(user) is None or device_prenotify_refusal(user) is None


def _administers(user: Any) -> bool:
    return allow_list_edit_refusal(user) is None or duis_identity_edit_refusal(user) is None


#: (label, url name, section, who sees it). ``section`` is what ``current_section`` returns for the pages under it.
SECTIONS: list[tuple[str, str, str, Callable[[Any], bool]]] = [
    ("Inventory", "inventory:device-list", "inventory", _sees_inventory),
    ("Incidents", "incidents:incident-list", "incidents", _allowed(incident_queue_refusal)),
    ("Reports", "reporting:report-index", "reports", lambda user: user.party is not None),
    ("Gateway logs", "gateway:log-index", "gateway", lambda user: user.party is not None),
    ("CPL", "inventory:cpl-list", "cpl", _uses_cpl),
    ("Admin", "gateway:allow-lists", "admin", _administers),
]


def current_section(request: HttpRequest) -> str:
    """The nav section a page belongs to, from its resolved URL (namespace first, then the url name).

    CPL pages live in the inventory app but are their own section; allow-list configuration is the
    DCC's Admin section although the gateway app serves it.
    """
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    namespace, url_name = match.namespace or "", match.url_name or ""
    if namespace == "inventory":
        return "cpl" if url_name.startswith("cpl") else "inventory"
    if namespace == "gateway":
        return "admin" if url_name.startswith(("allow-list", "duis-identit")) else "gateway"
    if namespace == "reporting":
        return "reports"
    if namespace == "incidents":
        return "incidents"
    if url_name == "home":
        return "home"
    if url_name.startswith("api-token"):
        return "account"
    return ""


def nav_items(user: Any, section: str = "") -> list[NavItem]:
    """The sections ``user`` may use, in nav order, the current one marked."""
    return [NavItem(label=label, url=reverse(url_name), section=name, current=name == section)
            for label, url_name, name, shown in SECTIONS if shown(user)]


def portal_navigation(request: HttpRequest) -> dict:
    """Context processor: the party badge, the nav sections and the current section."""
    user = getattr(request, "user", None)
    party = getattr(user, "party", None) if user is not None and user.is_authenticated else None
    context: dict = {"current_party": party, "is_dcc": bool(party and party.is_dcc), "nav_items": [], "nav_section": ""}
    if user is None or not user.is_authenticated:
        return context
    section = current_section(request)
    context["nav_section"] = section
    context["nav_items"] = nav_items(user, section)
    return context
