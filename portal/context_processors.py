"""Navigation for the base layout: which sections this user's party may open, and which one is current."""
from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    section: str
    current: bool


#: (label, url name, section). The section names what ``current_section`` returns for the pages under it.
_SECTIONS = [
    ("Inventory", "inventory:device-list", "inventory"),
    ("Incidents", "incidents:incident-list", "incidents"),
    ("Reports", "reporting:report-index", "reports"),
    ("Gateway logs", "gateway:log-index", "gateway"),
    ("CPL", "inventory:cpl-list", "cpl"),
]
_ADMIN_SECTION = ("Admin", "gateway:allow-lists", "admin")


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
        return "admin" if url_name.startswith("allow-list") else "gateway"
    if namespace == "reporting":
        return "reports"
    if namespace == "incidents":
        return "incidents"
    if url_name == "home":
        return "home"
    if url_name.startswith("api-token"):
        return "account"
    return ""


def portal_navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    party = getattr(user, "party", None) if user is not None and user.is_authenticated else None
    is_dcc = bool(party and party.is_dcc)
    context: dict = {"current_party": party, "is_dcc": is_dcc, "nav_items": [], "nav_section": ""}
    if user is None or not user.is_authenticated:
        return context
    section = current_section(request)
    sections = [*_SECTIONS, _ADMIN_SECTION] if is_dcc else _SECTIONS
    context["nav_section"] = section
    context["nav_items"] = [
        NavItem(label=label, url=reverse(url_name), section=name, current=name == section)
        for label, url_name, name in sections
    ]
    return context
