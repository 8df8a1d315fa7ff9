"""MP169 pages: the restriction form behind the device page panel, history CSV, bulk upload,
and DCC's Change of Supplier form. Views translate service errors into messages; no rules here."""
from __future__ import annotations

import csv
import io
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from inventory.choices import RestrictionChannel
from inventory.forms_restriction import RestrictionBulkUploadForm, RestrictionForm, SupplierChangeForm
from inventory.models import Device
from inventory.selectors import device_get_for
from inventory.selectors_restriction import restriction_history_csv_response
from inventory.services.restriction import (
    BULK_COLUMNS,
    BULK_MAX_ROWS,
    restriction_bulk_apply,
    restriction_bulk_parse_csv,
    restriction_set,
)
from inventory.services.supplier_change import supplier_change
from portal.csv_safety import spreadsheet_safe
from portal.errors import DomainError, NotFound, ValidationFailed

#: Session key prefix for the results of a bulk upload, kept for the results CSV download.
BULK_SESSION_KEY = "restriction-bulk-"
BULK_RESULT_COLUMNS = ["row", "device_id", "restricted", "ok", "code", "detail", "change_ids"]


def _visible_device(request: HttpRequest, device_id: str) -> Device:
    try:
        return device_get_for(request.user.party, device_id)
    except (NotFound, ValidationFailed) as error:
        raise Http404(error.detail) from error


def _back(request: HttpRequest, device: Device) -> HttpResponse:
    """Return to the page the form was posted from (the device page), else the restriction page."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("inventory:restriction-device", device_id=device.device_id)


@login_required
@require_http_methods(["GET", "POST"])
def restriction_device(request: HttpRequest, device_id: str) -> HttpResponse:
    """GET: the device's Restricted state, form and history. POST: set or clear through the service."""
    device = _visible_device(request, device_id)
    if request.method == "GET":
        return render(request, "inventory/restriction_device.html", {"device": device})
    form = RestrictionForm(request.POST, currently_restricted=device.restricted)
    if not form.is_valid():
        messages.error(request, "Choose whether the meter is to be restricted. Nothing was changed.")
        return _back(request, device)
    try:
        result = restriction_set(
            device=device, actor=request.user, restricted=form.cleaned_data["restricted"], reason=form.reason(),
            attested=form.cleaned_data["all_reasonable_steps_taken"], channel=RestrictionChannel.WEB,
            request_id=request.request_id,
        )
    except DomainError as error:
        messages.error(request, f"{error.detail} Nothing was changed.")
    else:
        devices = ", ".join(change.device.device_id for change in result.changes)
        state = "set" if result.device.restricted else "cleared"
        messages.success(request, f"Restricted mode {state} on {devices}. The CSP will be notified.")
    return _back(request, device)


@login_required
def restriction_history_csv(request: HttpRequest, device_id: str) -> HttpResponse:
    return restriction_history_csv_response(_visible_device(request, device_id))


@login_required
@require_http_methods(["GET", "POST"])
def restriction_bulk(request: HttpRequest) -> HttpResponse:
    """Upload a CSV of set/clear requests; each row is applied or refused on its own."""
    form = RestrictionBulkUploadForm(request.POST or None, request.FILES or None)
    context = {"form": form, "columns": BULK_COLUMNS, "max_rows": BULK_MAX_ROWS}
    if request.method == "POST" and form.is_valid():
        try:
            rows = restriction_bulk_parse_csv(form.cleaned_data["file"].read())
        except ValidationFailed as error:
            form.add_error("file", error.detail)
        else:
            results = [result.as_dict() for result in restriction_bulk_apply(
                rows=rows, actor=request.user, channel=RestrictionChannel.BULK, request_id=request.request_id,
            )]
            token = uuid.uuid4().hex
            request.session[BULK_SESSION_KEY + token] = results
            applied = sum(1 for result in results if result["ok"])
            messages.info(request, f"{applied} of {len(results)} rows applied; {len(results) - applied} refused.")
            context.update(results=results, token=token, form=RestrictionBulkUploadForm())
    return render(request, "inventory/restriction_bulk.html", context)


@login_required
def restriction_bulk_results_csv(request: HttpRequest, token: str) -> HttpResponse:
    """The per-row results of one of this user's uploads (kept in the session)."""
    results = request.session.get(BULK_SESSION_KEY + token)
    if results is None:
        raise Http404("These results are no longer available: they are kept for your session only.")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=BULK_RESULT_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for result in results:
        writer.writerow({**result, "device_id": spreadsheet_safe(result["device_id"]),
                         "detail": spreadsheet_safe(result["detail"]),
                         "change_ids": " ".join(map(str, result["change_ids"]))})
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="restriction-bulk-results-{token[:8]}.csv"'
    return response


@login_required
@require_POST
def supplier_change_view(request: HttpRequest, device_id: str) -> HttpResponse:
    """DCC records a Change of Supplier from the device page (R169-5)."""
    device = _visible_device(request, device_id)
    form = SupplierChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the new Responsible Supplier. Nothing was changed.")
        return _back(request, device)
    try:
        changes = supplier_change(device=device, new_supplier=form.cleaned_data["new_supplier"], actor=request.user,
                                  request_id=request.request_id)
    except DomainError as error:
        messages.error(request, f"{error.detail} Nothing was changed.")
    else:
        devices = ", ".join(change.device.device_id for change in changes)
        messages.success(request, f"{form.cleaned_data['new_supplier'].code} is now the Responsible Supplier of "
                                  f"{devices}. Restricted mode is unchanged.")
    return _back(request, device)

