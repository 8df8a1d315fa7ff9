"""Gateway pages: the service-request log, the SAT and diagnostics alert logs, and (DCC) the MP169
allow-lists. Reads go through ``gateway.selectors`` (scoped to the party), edits through ``gateway.services``."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from gateway import selectors
from gateway.choices import AlertLogName, AllowList
from gateway.forms import AlertLogFilterForm, AllowListEditForm, ServiceRequestLogFilterForm
from gateway.services import allow_list_alert_set, allow_list_edit_refusal, allow_list_srv_set
from portal.errors import DomainError
from portal.pages import not_allowed_page

PAGE_SIZE = 50


def _party_or_403(request: HttpRequest):
    party = getattr(request.user, "party", None)
    if party is None:
        return None, not_allowed_page(request, "Your user acts for no SEC party.")
    return party, None


def _render_log(request, template: str, context: dict) -> HttpResponse:
    if request.htmx:
        return render(request, "gateway/_log_rows.html", context)
    return render(request, template, context)


@login_required
def log_index(request: HttpRequest) -> HttpResponse:
    party, refusal = _party_or_403(request)
    if refusal:
        return refusal
    form = ServiceRequestLogFilterForm(request.GET or None, show_party=party.is_dcc or party.is_csp)
    try:
        rows, next_cursor = selectors.service_request_log_page(
            party=party, filters=form.filters(), cursor=request.GET.get("cursor"), limit=PAGE_SIZE)
    except DomainError as error:
        messages.error(request, error.detail)
        rows, next_cursor = [], None
    return _render_log(request, "gateway/log_index.html", {
        "form": form, "rows": rows, "next_cursor": next_cursor, "kind": "requests", "party": party,
    })


@login_required
def alert_log(request: HttpRequest, log: str) -> HttpResponse:
    party, refusal = _party_or_403(request)
    if refusal:
        return refusal
    form = AlertLogFilterForm(request.GET or None)
    try:
        rows, next_cursor = selectors.alert_log_page(
            party=party, log=log, filters=form.filters(), cursor=request.GET.get("cursor"), limit=PAGE_SIZE)
    except DomainError as error:
        if error.status_code == 403:
            return not_allowed_page(request, error.detail, back_url=reverse("gateway:log-index"),
                                    back_label="Back to the service-request log")
        messages.error(request, error.detail)
        rows, next_cursor = [], None
    return _render_log(request, "gateway/alert_log.html", {
        "form": form, "rows": rows, "next_cursor": next_cursor, "kind": "alerts", "log": log,
        "log_label": AlertLogName(log).label, "party": party,
    })


@login_required
def allow_lists(request: HttpRequest) -> HttpResponse:
    party, refusal = _party_or_403(request)
    if refusal:
        return refusal
    refusal = allow_list_edit_refusal(request.user)
    if refusal is not None:
        return not_allowed_page(request, refusal.detail)
    if request.method == "POST":
        form = AllowListEditForm(request.POST)
        if not form.is_valid():
            messages.error(request, "The change was not understood; reload the page and try again.")
            return redirect("gateway:allow-lists")
        data = form.cleaned_data
        setter = allow_list_srv_set if data["allow_list"] == AllowList.SRV else allow_list_alert_set
        key = "srv" if data["allow_list"] == AllowList.SRV else "alert_code"
        try:
            changed = setter(actor=request.user, allowed=data["allowed"], reason=data["reason"], **{key: data["item"]})
        except DomainError as error:
            messages.error(request, error.detail)
        else:
            state = "allowed" if data["allowed"] else "refused"
            if changed:
                messages.success(request, f"{data['item']} is now {state} for restricted devices (effective at once).")
            else:
                messages.info(request, f"{data['item']} was already {state}; nothing changed.")
        return redirect(f"{request.path}#{data['allow_list']}-{data['item']}")
    return render(request, "gateway/allow_lists.html", {
        "srvs": selectors.srv_allow_list(), "alerts": selectors.alert_allow_list(),
        "history": selectors.allow_list_history(),
    })
