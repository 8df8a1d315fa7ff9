"""MP169 pages: the restriction form behind the device page panel, history CSV and bulk upload (the DCC's
Change of Supplier form is ``inventory.views.supplier_changes``). Views translate service errors into
messages; no rules here."""
from __future__ import annotations

import csv
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from inventory.choices import RestrictionChannel
from inventory.forms import RestrictionBulkUploadForm, RestrictionForm, RestrictionServiceCentreForm
from inventory.models import Device, RestrictionBulkJob
from inventory.selectors import (
    restriction_bulk_job_get,
    restriction_bulk_job_results,
    restriction_bulk_jobs_for,
    restriction_history_csv_response,
)
from inventory.services.restriction import (
    BULK_COLUMNS,
    BULK_JOB_MAX_ROWS,
    restriction_bulk_parse_csv,
    restriction_changer_refusal,
    restriction_refusal,
    restriction_set,
)
from inventory.services.restriction_bulk import (
    REFUSED_COLUMNS,
    restriction_bulk_job_check,
    restriction_bulk_job_confirm,
    restriction_bulk_job_reasons,
    restriction_bulk_refused_rows,
)
from inventory.services.restriction_service_centre import (
    restriction_set_by_service_centre,
    service_centre_refusal,
    service_centre_supplier,
)
from inventory.views.devices import device_detail_context, visible_device
from portal.choices import JobStatus
from portal.csv_safety import EchoWriter, spreadsheet_safe
from portal.errors import DomainError, NotFound, PermissionDenied
from portal.pages import domain_errors_as_pages, form_add_domain_error, refused_roles_see_why
from portal.pagination import parse_after

RESULTS_PAGE_SIZE = 100
BULK_RESULT_COLUMNS = ["row", "device_id", "restricted", "ok", "code", "detail", "change_ids"]
#: The template CSV offered on the upload page.
TEMPLATE_CSV = (
    ",".join(BULK_COLUMNS) + "\r\n"
    "00-DB-12-34-56-78-90-A0,true,Consumer refused remote collection of consumption data,true\r\n"
    "00-DB-12-34-56-78-90-B1,false,Change of tenancy,false\r\n"
)


def _safe_next(request: HttpRequest) -> str:
    """``next`` if it is a path on this site (``/...``), else "". Anything else - another host, a bare word
    that ``redirect()`` would look up as a view name, control characters - is ignored."""
    target = request.POST.get("next", "")
    if (target.startswith("/") and target.isprintable()
            and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                require_https=request.is_secure())):
        return target
    return ""


def redirect_back(request: HttpRequest, device: Device) -> HttpResponse:
    """Return to the page the form was posted from (the device page), else the restriction page."""
    target = _safe_next(request)
    if target:
        return HttpResponseRedirect(target)
    return redirect("inventory:restriction-device", device_id=device.device_id)


def _restriction_page_context(request: HttpRequest, device: Device) -> dict:
    return {"device": device, "may_bulk_change": restriction_changer_refusal(request.user) is None}


def _form_again(request: HttpRequest, device: Device, form: RestrictionForm, status: int) -> HttpResponse:
    """The page the form was on, again, with the user's answers and every error (GOV.UK: no redirect on error).

    The device page when the form was posted from it (``next``), else the restriction page.
    """
    target = _safe_next(request).split("?")[0]
    on_device_page = target == reverse("inventory:device-detail", kwargs={"device_id": device.device_id})
    if on_device_page:
        template, context = "inventory/device_detail.html", device_detail_context(request, device)
    else:
        template, context = "inventory/restriction_device.html", _restriction_page_context(request, device)
    return render(request, template, {**context, "restriction_form": form, "restriction_next": target},
                  status=status)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors_as_pages
def restriction_device(request: HttpRequest, device_id: str) -> HttpResponse:
    """GET: the device's Restricted state, form and history. POST: set or clear through the service.

    Another party's meter is the 404 page; a party that may not change this meter gets the 403 page with
    the reason; a refused answer (a missing reason, no attestation, an MP169 rule) is the form again.
    """
    device = visible_device(request, device_id)
    if request.method == "GET":
        return render(request, "inventory/restriction_device.html", _restriction_page_context(request, device))
    refusal = restriction_refusal(device=device, actor=request.user)
    if isinstance(refusal, PermissionDenied):
        raise refusal
    form = RestrictionForm(request.POST, currently_restricted=device.restricted)
    if not form.is_valid():
        form.add_error(None, "Nothing was changed.")
        return _form_again(request, device, form, status=400)
    try:
        result = restriction_set(
            device=device, actor=request.user, restricted=form.cleaned_data["restricted"], reason=form.reason(),
            attested=form.cleaned_data["all_reasonable_steps_taken"], channel=RestrictionChannel.WEB,
            request_id=request.request_id,
        )
    except (NotFound, PermissionDenied):
        raise
    except DomainError as error:
        form_add_domain_error(form, error, field_map={"reason": "reason_choice"})
        if "nothing was changed" not in error.detail.lower():
            form.add_error(None, "Nothing was changed.")
        return _form_again(request, device, form, status=error.status_code)
    devices = ", ".join(change.device.device_id for change in result.changes)
    state = "set" if result.device.restricted else "cleared"
    messages.success(request, f"Restricted mode {state} on {devices}. The CSP will be notified.")
    return redirect_back(request, device)


@login_required
@domain_errors_as_pages
def restriction_history_csv(request: HttpRequest, device_id: str) -> HttpResponse:
    return restriction_history_csv_response(visible_device(request, device_id), request.user.party)


@login_required
@require_http_methods(["GET", "POST"])
@refused_roles_see_why(restriction_changer_refusal, heading="Only energy suppliers change Restricted mode")
def restriction_bulk(request: HttpRequest) -> HttpResponse:
    """Upload a CSV of set/clear requests; it is checked first (nothing changed) and applied once confirmed."""
    form = RestrictionBulkUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = restriction_bulk_parse_csv(upload.read())
            job = restriction_bulk_job_check(rows=rows, actor=request.user, channel=RestrictionChannel.BULK,
                                             file_name=upload.name, request_id=request.request_id)
        except DomainError as error:
            form.add_error("file", error.detail)
        else:
            return redirect("inventory:restriction-bulk-job", job_id=job.pk)
    context = {"form": form, "columns": BULK_COLUMNS, "max_rows": f"{BULK_JOB_MAX_ROWS:,}",
               "jobs": restriction_bulk_jobs_for(request.user)[:10]}
    return render(request, "inventory/restriction_bulk.html", context)


@login_required
def restriction_bulk_template_csv(request: HttpRequest) -> HttpResponse:
    """A template to fill in: the header row and two example rows."""
    response = HttpResponse(TEMPLATE_CSV, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="restriction-changes-template.csv"'
    return response


def _party_job(request: HttpRequest, job_id: int) -> RestrictionBulkJob:
    """One of the party's bulk jobs; another party's is ``NotFound``, the 404 page (``domain_errors_as_pages``)."""
    return restriction_bulk_job_get(user=request.user, job_id=job_id)


def _check_context(job: RestrictionBulkJob) -> dict:
    outcomes = job.preview.get("outcomes", {})
    return {
        "outcome_lines": [(outcomes.get("set", 0), "Set Restricted"), (outcomes.get("clear", 0), "Clear Restricted")],
        "applicable": outcomes.get("set", 0) + outcomes.get("clear", 0), "refused": outcomes.get("refused", 0),
        "reasons": job.preview.get("reasons", []),
        "confirm_url": reverse("inventory:restriction-bulk-confirm", args=[job.pk]),
        "upload_url": reverse("inventory:restriction-bulk"),
    }


@login_required
@domain_errors_as_pages
def restriction_bulk_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """A bulk upload: its check (before confirming), its progress while it runs (htmx polls
    ``?part=progress``), then its outcome counted by reason and the rows (paged)."""
    job = _party_job(request, job_id)
    if request.htmx and request.GET.get("part") == "progress":
        response = render(request, "inventory/_restriction_bulk_progress.html", {"job": job})
        if job.is_finished:
            response["HX-Refresh"] = "true"  # reload to show the results
        return response
    context: dict = {"job": job, "refused_csv_url": reverse("inventory:restriction-bulk-refused", args=[job.pk])}
    if job.status == JobStatus.CHECKED:
        context.update(_check_context(job))
        return render(request, "inventory/restriction_bulk_job.html", context)
    rows, next_url = [], None
    if job.is_finished:
        queryset = restriction_bulk_job_results(job)
        after = parse_after(request.GET.get("after"))
        if after is not None:
            queryset = queryset.filter(row_number__gt=after)
        if request.GET.get("outcome") == "refused":
            queryset = queryset.filter(ok=False)
        rows = list(queryset[:RESULTS_PAGE_SIZE + 1])
        if len(rows) > RESULTS_PAGE_SIZE:
            rows = rows[:RESULTS_PAGE_SIZE]
            query = request.GET.copy()
            query["after"] = str(rows[-1].row_number)
            next_url = "?" + query.urlencode()
        context["reasons"] = restriction_bulk_job_reasons(job) if job.refused_count else []
    context.update({"rows": rows, "next_url": next_url, "only_refused": request.GET.get("outcome") == "refused",
                    "applied": job.applied_count, "refused": job.refused_count})
    return render(request, "inventory/restriction_bulk_job.html", context)


@login_required
@require_http_methods(["POST"])
@domain_errors_as_pages
def restriction_bulk_confirm(request: HttpRequest, job_id: int) -> HttpResponse:
    """The confirm step: start applying a checked upload."""
    job = _party_job(request, job_id)
    try:
        job = restriction_bulk_job_confirm(job=job, actor=request.user)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        if not job.is_finished:
            messages.info(request, f"{job.total_rows:,} rows are being applied; this page shows the progress.")
    return redirect("inventory:restriction-bulk-job", job_id=job.pk)


def _csv_response(header, rows, filename: str) -> StreamingHttpResponse:
    def lines() -> Iterator[str]:
        writer = csv.writer(EchoWriter())
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([spreadsheet_safe(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@domain_errors_as_pages
def restriction_bulk_refused_csv(request: HttpRequest, job_id: int) -> StreamingHttpResponse:
    """The refused rows as uploaded plus why (``refused_because``): fix them and upload this file again."""
    job = _party_job(request, job_id)
    return _csv_response(REFUSED_COLUMNS, restriction_bulk_refused_rows(job, actor=request.user),
                         f"restriction-bulk-{job.pk}-refused-rows.csv")


@login_required
@domain_errors_as_pages
def restriction_bulk_results_csv(request: HttpRequest, job_id: int) -> StreamingHttpResponse:
    """Every row's outcome of one of the party's bulk jobs, streamed from the database."""
    job = _party_job(request, job_id)

    def lines() -> Iterator[str]:
        writer = csv.writer(EchoWriter())
        yield writer.writerow(BULK_RESULT_COLUMNS)
        for row in restriction_bulk_job_results(job).values_list(
                "row_number", "device_id", "restricted", "ok", "code", "detail", "change_ids").iterator(chunk_size=5000):
            number, device_id, restricted, ok, code, detail, change_ids = row
            yield writer.writerow([
                number, spreadsheet_safe(device_id), "" if restricted is None else str(restricted).lower(),
                str(ok).lower(), code, spreadsheet_safe(detail), " ".join(map(str, change_ids)),
            ])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="restriction-bulk-{job.pk}-results.csv"'
    return response



@login_required
@require_http_methods(["GET", "POST"])
@refused_roles_see_why(service_centre_refusal)
@domain_errors_as_pages
def restriction_service_centre(request: HttpRequest, device_id: str) -> HttpResponse:
    """R169-15: the DCC Service Centre sets or clears Restricted for the supplier that asked (question page;
    errors re-show the form with the input, an error summary and inline messages)."""
    device = visible_device(request, device_id)
    form = RestrictionServiceCentreForm(
        request.POST or None, initial={"restricted": "false" if device.restricted else "true"})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                supplier = service_centre_supplier(data["supplier"])
                result = restriction_set_by_service_centre(
                    device=device, actor=request.user, supplier=supplier,
                    supplier_reference=data["supplier_reference"], restricted=data["restricted"],
                    reason=data["reason"], attested=data["all_reasonable_steps_taken"],
                    attestation_given_by=data["attestation_given_by"], request_id=request.request_id,
                )
            except DomainError as error:
                form_add_domain_error(form, error, then="Nothing was changed.")
                status = error.status_code
            else:
                state = "set" if result.device.restricted else "cleared"
                devices = ", ".join(change.device.device_id for change in result.changes)
                messages.success(request, f"Restricted mode {state} on {devices} for {supplier.code} (reference "
                                          f"{data['supplier_reference']}). The supplier is emailed and the CSP notified.")
                return redirect("inventory:device-detail", device_id=device.device_id)
        else:
            status = 400
    return render(request, "inventory/restriction_service_centre.html", {"device": device, "form": form},
                  status=status)
