"""Gateway pages: the service-request log, the SAT and diagnostics alert logs, and (DCC) the MP169
allow-lists. Reads go through ``gateway.selectors`` (scoped to the party), edits through ``gateway.services``."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from gateway import selectors
from gateway.choices import AlertLogName, AllowList
from gateway.forms import (
    AlertLogFilterForm,
    AllowListChangeForm,
    AllowListEditForm,
    AllowListFilterForm,
    ServiceRequestLogFilterForm,
)
from gateway.services import allow_list_edit_refusal, allow_list_items_set
from portal.db_routing import replica_reads_view
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
@replica_reads_view("service-request log page")
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
@replica_reads_view("alert log page")
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
def dcc_alert_log(request: HttpRequest) -> HttpResponse:
    """The party's DCC alerts (R169-13 DSPScheduleRemoval), newest first, keyset pages."""
    party, refusal = _party_or_403(request)
    if refusal:
        return refusal
    try:
        rows, next_cursor = selectors.dcc_alert_log_page(party=party, cursor=request.GET.get("cursor"), limit=PAGE_SIZE)
    except DomainError as error:
        messages.error(request, error.detail)
        rows, next_cursor = [], None
    return render(request, "gateway/dcc_alert_log.html", {
        "rows": rows, "next_cursor": next_cursor, "kind": "dcc-alerts", "party": party})


ALLOW_LIST_PAGE_SIZE = 50
_BACK_KEYS = ("list", "q", "state", "category", "page")
_NOTICE_KEY = "gateway_allow_list_notice"


def _dcc_or_403(request: HttpRequest) -> HttpResponse | None:
    refusal = allow_list_edit_refusal(request.user)
    if refusal is not None:
        return not_allowed_page(request, refusal.detail)
    return None


def _list_name(value: str | None) -> str:
    return AllowList.ALERT if value == AllowList.ALERT else AllowList.SRV


def _back_query(data) -> str:
    """The list page's own filters, to return to after a change (only its known keys: never a URL)."""
    return urlencode([(key, data.get(key)) for key in _BACK_KEYS if data.get(key)])


def _parse_back(back: str) -> str:
    return _back_query(QueryDict(back or ""))


@login_required
def allow_lists(request: HttpRequest) -> HttpResponse:
    """The MP169 allow-lists (DCC): one list at a time, searchable, "refused only", 50 rows a page; each row (or a
    selection of rows, the bulk edit) is changed through the confirmation step (``allow_list_change``)."""
    party, refusal = _party_or_403(request)
    if refusal:
        return refusal
    forbidden = _dcc_or_403(request)
    if forbidden:
        return forbidden
    if request.method == "POST":
        # A row's own form posted without the confirmation step (older page, no script): ask first, change nothing.
        form = AllowListEditForm(request.POST)
        if not form.is_valid():
            messages.error(request, "The change was not understood; choose the row again.")
            return redirect("gateway:allow-lists")
        data = form.cleaned_data
        query = urlencode({"list": data["allow_list"], "items": data["item"],
                           "allowed": "true" if data["allowed"] else "false", "reason": data["reason"] or ""})
        return redirect(f"{reverse('gateway:allow-list-change')}?{query}")
    allow_list = _list_name(request.GET.get("list"))
    form = AllowListFilterForm(request.GET or None, allow_list=allow_list)
    rows = selectors.allow_list_rows(allow_list=allow_list, **form.values())
    paginator = Paginator(rows, ALLOW_LIST_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    notice = request.session.pop(_NOTICE_KEY, None)
    if notice and notice.get("list") != allow_list:
        notice = None
    return render(request, "gateway/allow_lists.html", {
        "allow_list": allow_list, "form": form, "page": page, "total": paginator.count,
        "refused_total": sum(1 for row in rows if not row.allowed),
        "notice": notice, "changed_items": set(notice["items"]) if notice else set(),
        "back": _back_query(request.GET), "filtered": any(form.values().values()),
        "page_query": urlencode([(k, v) for k, v in request.GET.items() if k != "page"]),
        "history": selectors.allow_list_history(limit=50),
    })


def _change_rows(allow_list: str, items: list[str]) -> list:
    wanted = [item.strip().upper() if allow_list == AllowList.ALERT else item.strip() for item in items]
    by_item = {row.item: row for row in selectors.allow_list_rows(allow_list=allow_list)}
    return [by_item[item] for item in dict.fromkeys(wanted) if item in by_item]


@login_required
@require_http_methods(["GET", "POST"])
def allow_list_change(request: HttpRequest) -> HttpResponse:
    """The confirmation step of an allow-list edit (GOV.UK question page): names the effect ("Refuse 1.7 for every
    restricted device?"), asks the required reason, and only then calls the service."""
    party, refusal = _party_or_403(request)
    if refusal:
        return refusal
    forbidden = _dcc_or_403(request)
    if forbidden:
        return forbidden
    data = request.POST if request.method == "POST" else request.GET
    allow_list = _list_name(data.get("list"))
    allowed = data.get("allowed") == "true"
    items = data.getlist("items")
    rows = _change_rows(allow_list, items)
    back = _parse_back(data.get("back", "")) or urlencode({"list": allow_list})
    back_url = f"{reverse('gateway:allow-lists')}?{back}"
    if not rows or data.get("allowed") not in ("true", "false"):
        return render(request, "gateway/allow_list_nothing.html", {"back_url": back_url, "allow_list": allow_list},
                      status=400)
    form = AllowListChangeForm(request.POST if request.method == "POST" else None,
                               initial={"reason": request.GET.get("reason", "")})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                changed = allow_list_items_set(actor=request.user, allow_list=allow_list,
                                               items=[row.item for row in rows], allowed=allowed,
                                               reason=form.cleaned_data["reason"])
            except DomainError as error:
                form.add_error("reason" if "reason" in error.errors else None, error.detail)
                status = error.status_code
            else:
                verb = "allowed" if allowed else ("refused" if allow_list == AllowList.SRV else "withheld")
                if changed:
                    text = (f"{', '.join(changed)} {'is' if len(changed) == 1 else 'are'} now {verb} for restricted "
                            f"devices (effective at once).")
                else:
                    text = f"{', '.join(row.item for row in rows)} already {verb}: nothing changed."
                request.session[_NOTICE_KEY] = {"list": allow_list, "items": changed or [row.item for row in rows],
                                                "text": text, "changed": bool(changed)}
                return redirect(f"{back_url}#row-{rows[0].anchor}")
        else:
            status = 400
    return render(request, "gateway/allow_list_change.html", {
        "allow_list": allow_list, "allowed": allowed, "rows": rows, "form": form, "back": back, "back_url": back_url,
        "unchanged": [row for row in rows if row.allowed == allowed],
        "departs": [row for row in rows if row.default_allowed != allowed and row.allowed != allowed],
        "restricted_count": selectors.restricted_device_count(),
    }, status=status)
