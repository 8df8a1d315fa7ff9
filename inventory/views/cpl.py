"""The Central Products List pages (MP202, R202-1): a filtered, keyset-paged list for every logged-in
user, with DCC-only maintenance (add a row, change a row's status)."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError as CursorError

from inventory.filtersets import CPLEntryFilterSet
from inventory.forms import CPLEntryAddForm, CPLStatusForm
from inventory.selectors import cpl_change_list, cpl_entry_list
from inventory.services.cpl import cpl_entry_add, cpl_entry_set_status, cpl_maintenance_refusal
from portal.errors import DomainError
from portal.pages import form_add_domain_error, refused_roles_see_why
from portal.pagination import encode_cursor, keyset_page

CPL_PAGE_SIZE = 50


def _is_dcc(request: HttpRequest) -> bool:
    """May this user maintain the CPL? The service decides (only the DCC service desk)."""
    return cpl_maintenance_refusal(request.user) is None


def _dcc_only(view):
    """Only the DCC service desk maintains the CPL: anyone else is told so, on the one not-allowed page."""
    return refused_roles_see_why(cpl_maintenance_refusal, heading="Only the DCC service desk maintains the CPL",
                                 back_url=reverse_lazy("inventory:cpl-list"),
                                 back_label="Read the Central Products List")(view)


@login_required
def cpl_list(request: HttpRequest) -> HttpResponse:
    filterset = CPLEntryFilterSet(request.GET, queryset=cpl_entry_list())
    rows: list = []
    next_url = None
    if filterset.is_valid():
        try:
            rows, next_key = keyset_page(filterset.qs, field="id", cursor=request.GET.get("cursor"), limit=CPL_PAGE_SIZE)
        except CursorError:
            messages.error(request, "That page link is no longer valid; showing the first page.")
            rows, next_key = keyset_page(filterset.qs, field="id", cursor=None, limit=CPL_PAGE_SIZE)
        if next_key is not None:
            query = request.GET.copy()
            query["cursor"] = encode_cursor(next_key)
            next_url = f"{reverse('inventory:cpl-list')}?{query.urlencode()}"
    is_dcc = _is_dcc(request)
    return render(request, "inventory/cpl_list.html", {
        "filterset": filterset, "rows": rows, "next_url": next_url, "is_dcc": is_dcc,
        "first_page": not request.GET.get("cursor"), "status_form": CPLStatusForm() if is_dcc else None,
        "changes": cpl_change_list() if is_dcc else [],
    })


@login_required
@_dcc_only
def cpl_add(request: HttpRequest) -> HttpResponse:
    # Bound for every POST, even an empty one (``request.POST or None`` left an empty POST unbound: a 500).
    form = CPLEntryAddForm(request.POST if request.method == "POST" else None)
    status = 400 if form.is_bound and not form.is_valid() else 200
    if request.method == "POST" and status == 200:
        try:
            entry = cpl_entry_add(actor=request.user, request_id=request.request_id, **form.cleaned_data)
        except DomainError as error:
            form_add_domain_error(form, error)
            status = error.status_code
        else:
            messages.success(request, f"Added to the CPL: {entry}.")
            return redirect("inventory:cpl-list")
    return render(request, "inventory/cpl_add.html", {"form": form}, status=status)


@login_required
@require_POST
@_dcc_only
def cpl_set_status(request: HttpRequest, entry_id: int) -> HttpResponse:
    """Change a row's status. With htmx the row is answered in place, with the outcome in it."""
    form = CPLStatusForm(request.POST)
    if form.is_valid():
        try:
            entry = cpl_entry_set_status(
                actor=request.user, entry_id=entry_id, status=form.cleaned_data["status"], request_id=request.request_id,
            )
        except DomainError as error:
            ok, outcome = False, error.detail
        else:
            ok, outcome = True, f"Status changed to {entry.status}."
    else:
        ok, outcome = False, "Choose a CPL status: Active, Cancelled, Expired or Withdrawn."
    if request.htmx:
        row = get_object_or_404(cpl_entry_list(), pk=entry_id)
        return render(request, "inventory/cpl_row.html", {
            "entry": row, "is_dcc": True, "status_form": CPLStatusForm(), "outcome": outcome, "ok": ok,
        })
    (messages.success if ok else messages.error)(request, outcome)
    return redirect("inventory:cpl-list")
