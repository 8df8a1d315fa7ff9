"""Incident pages: queues, the incident page, raising (one or a CSV in bulk). Views only translate;
the rules are in ``incidents.services`` and the scoping in ``incidents.selectors``."""
from __future__ import annotations

import csv
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError as CursorError

from incidents import selectors, services
from incidents.choices import IncidentChannel
from incidents.filtersets import IncidentFilterSet
from incidents.forms import (
    BulkUploadForm,
    CloseForm,
    NoteForm,
    NotInstallingForm,
    RaiseInstallCodeRequestForm,
    ReassignForm,
)
from portal.csv_safety import EchoWriter, spreadsheet_safe
from portal.errors import DomainError, NotFound, PermissionDenied
from portal.pages import domain_errors_as_pages, form_add_domain_error, refused_roles_see_why
from portal.pagination import encode_cursor, keyset_page, parse_after

PAGE_SIZE = 50


def _queues_for(party) -> list[tuple[str, str]]:
    queues = [("raised", "Raised by us"), ("assigned", "Assigned to us")]
    if party is not None and party.is_dcc:
        queues = [("service_desk", "Service desk queue"), ("all", "All incidents")]
    return queues


@login_required
@refused_roles_see_why(services.incident_queue_refusal, heading="Your role has no incidents")
def incident_list(request: HttpRequest) -> HttpResponse:
    party = request.user.party
    queues = _queues_for(party)
    queue = request.GET.get("queue") or queues[0][0]
    if queue not in dict(queues):
        queue = queues[0][0]
    filterset = IncidentFilterSet(request.GET or None, queryset=selectors.incident_queue(user=request.user, queue=queue))
    for refusal in filterset.refusals:  # a refused filter is ignored, and said so
        messages.error(request, refusal.detail)
    form = filterset.form
    cursor = request.GET.get("cursor") or None
    incidents = filterset.qs
    try:
        rows, next_key = keyset_page(incidents, field="id", cursor=cursor, limit=PAGE_SIZE, descending=True)
    except CursorError:  # a hand-edited or truncated link: start again from the first page
        messages.error(request, "This page link is not valid: showing the first page.")
        cursor = None
        rows, next_key = keyset_page(incidents, field="id", cursor=None, limit=PAGE_SIZE, descending=True)
    kept = {key: value for key, value in request.GET.items() if key != "cursor" and value}
    kept["queue"] = queue
    next_url = f"?{urlencode({**kept, 'cursor': encode_cursor(next_key)})}" if next_key is not None else None
    first_url = f"?{urlencode(kept)}" if cursor else None
    return render(request, "incidents/incident_list.html", {
        "incidents": rows, "form": form, "queues": queues, "queue": queue, "queue_label": dict(queues)[queue],
        "next_url": next_url, "first_url": first_url, "is_supplier": bool(party and party.is_supplier),
    })


@login_required
@refused_roles_see_why(services.install_code_request_raise_refusal,
                       heading="Only energy suppliers request install codes")
def incident_raise(request: HttpRequest) -> HttpResponse:
    form = RaiseInstallCodeRequestForm(request.POST or None)
    status = 200
    if request.method == "POST" and not form.is_valid():
        status = 400
    if request.method == "POST" and form.is_valid():
        try:
            incident, created = services.incident_raise_install_code_request(
                device_id=form.cleaned_data["device_id"], actor=request.user, channel=IncidentChannel.WEB,
            )
        except DomainError as error:
            form.add_error("device_id", error.detail)
        else:
            if created:
                messages.success(request, f"{incident.reference} raised and assigned to "
                                          f"{_assignee_label(incident)}. A response is due by {incident.due_by:%d %b %Y}.")
            else:
                messages.info(request, f"You already have an open request for device {incident.device.device_id}: "
                                       f"{incident.reference}. No new incident was raised.")
            return redirect("incidents:incident-detail", reference=incident.reference)
    return render(request, "incidents/incident_raise.html", {"form": form}, status=status)


def _assignee_label(incident) -> str:
    party = incident.assigned_party
    return "the DCC service desk queue" if party.is_dcc else f"{party.name} ({party.code})"


def _detail_context(request: HttpRequest, incident, **forms_on_page) -> dict:
    """The incident page; a form refused on submit is passed in bound (the user's answers and its errors)."""
    notes = list(selectors.incident_notes(incident))
    party = request.user.party
    for note in notes:
        note.can_reveal = note.has_install_code and services.incident_can_reveal(
            incident=incident, party=party, note=note)
    revealed = {key: forms_on_page.pop(key) for key in ("revealed_note_id", "revealed_code") if key in forms_on_page}
    return {
        "incident": incident, "notes": notes, "history": selectors.incident_history(incident),
        "actions": selectors.incident_actions(incident=incident, user=request.user),
        "note_form": forms_on_page.get("note_form") or NoteForm(),
        "not_installing_form": forms_on_page.get("not_installing_form") or NotInstallingForm(),
        "close_form": forms_on_page.get("close_form") or CloseForm(),
        "reassign_form": forms_on_page.get("reassign_form") or ReassignForm(),
        "assignee_label": _assignee_label(incident), **revealed,
    }


def _get_incident(request: HttpRequest, reference: str):
    """The incident if the user's party may see it; else ``NotFound``, the 404 page (``domain_errors_as_pages``)."""
    return selectors.incident_get(user=request.user, reference=reference)


@login_required
@domain_errors_as_pages
def incident_detail(request: HttpRequest, reference: str) -> HttpResponse:
    incident = _get_incident(request, reference)
    return render(request, "incidents/incident_detail.html", _detail_context(request, incident))


def _done(request: HttpRequest, incident, success: str) -> HttpResponse:
    messages.success(request, success)
    return redirect("incidents:incident-detail", reference=incident.reference)


def _form_again(request: HttpRequest, incident, name: str, form, error: DomainError | None = None) -> HttpResponse:
    """The incident page again with the refused form bound: the answers kept, every error in its summary.

    A refusal for the role (``PermissionDenied``) is the 403 page instead, raised through the decorator.
    """
    if isinstance(error, (PermissionDenied, NotFound)):
        raise error
    if error is not None:
        form_add_domain_error(form, error)
    status = error.status_code if error is not None else 400
    return render(request, "incidents/incident_detail.html", _detail_context(request, incident, **{name: form}),
                  status=status)


@login_required
@require_POST
@domain_errors_as_pages
def incident_note(request: HttpRequest, reference: str) -> HttpResponse:
    incident = _get_incident(request, reference)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _form_again(request, incident, "note_form", form)
    code = form.cleaned_data["install_code"] or None
    try:
        services.incident_add_note(incident=incident, actor=request.user, body=form.cleaned_data["body"],
                                   install_code=code)
    except DomainError as error:
        return _form_again(request, incident, "note_form", form, error)
    return _done(request, incident, "Install code added: the raising party has been notified." if code
                 else "Note added.")


@login_required
@require_POST
@domain_errors_as_pages
def incident_not_installing(request: HttpRequest, reference: str) -> HttpResponse:
    incident = _get_incident(request, reference)
    form = NotInstallingForm(request.POST)
    if not form.is_valid():
        return _form_again(request, incident, "not_installing_form", form)
    try:
        services.incident_answer_not_installing_supplier(incident=incident, actor=request.user,
                                                         body=form.cleaned_data["body"])
    except DomainError as error:
        return _form_again(request, incident, "not_installing_form", form, error)
    return _done(request, incident, "Answered: not the installing supplier. The DCC service desk will "
                                    "reassign the incident.")


@login_required
@require_POST
@domain_errors_as_pages
def incident_close(request: HttpRequest, reference: str) -> HttpResponse:
    incident = _get_incident(request, reference)
    form = CloseForm(request.POST)
    if not form.is_valid():
        return _form_again(request, incident, "close_form", form)
    try:
        services.incident_close(incident=incident, actor=request.user, reason=form.cleaned_data["reason"])
    except DomainError as error:
        return _form_again(request, incident, "close_form", form, error)
    return _done(request, incident, f"{incident.reference} closed.")


@login_required
@require_POST
@domain_errors_as_pages
def incident_reassign(request: HttpRequest, reference: str) -> HttpResponse:
    incident = _get_incident(request, reference)
    form = ReassignForm(request.POST)
    if not form.is_valid():
        return _form_again(request, incident, "reassign_form", form)
    try:
        services.incident_reassign(incident=incident, actor=request.user, to_party=form.cleaned_data["to_party"])
    except DomainError as error:
        return _form_again(request, incident, "reassign_form", form, error)
    return _done(request, incident, f"Reassigned to {form.cleaned_data['to_party'].code}.")


@login_required
@require_POST
@domain_errors_as_pages
def incident_reveal(request: HttpRequest, reference: str, note_id: int) -> HttpResponse:
    """Reveal one install code: an htmx request gets just the code; the reveal is recorded either way."""
    incident = _get_incident(request, reference)
    note = incident.notes.filter(pk=note_id).first()
    if note is None:
        raise Http404("No such note on this incident.")
    try:
        code = services.incident_reveal_install_code(incident=incident, actor=request.user, note=note)
    except DomainError as error:
        if request.htmx:
            return render(request, "incidents/_revealed_code.html", {"error": error.detail}, status=error.status_code)
        messages.error(request, error.detail)
        return redirect("incidents:incident-detail", reference=incident.reference)
    if request.htmx:
        response = render(request, "incidents/_revealed_code.html", {"code": code, "note": note})
    else:
        response = render(request, "incidents/incident_detail.html",
                          _detail_context(request, incident, revealed_note_id=note.pk, revealed_code=code))
    response["Cache-Control"] = "no-store"
    return response


@login_required
@refused_roles_see_why(services.install_code_request_raise_refusal,
                       heading="Only energy suppliers request install codes")
def bulk_upload(request: HttpRequest) -> HttpResponse:
    form = BulkUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            device_ids = services.parse_device_id_csv(upload.read())
            job = services.incident_bulk_job_submit(device_ids=device_ids, actor=request.user, file_name=upload.name)
        except DomainError as error:
            form.add_error("file", error.detail)
        else:
            if job.is_finished:
                messages.success(request, f"{job.total_rows:,} rows processed: {job.created_count:,} raised, "
                                          f"{job.failed_count:,} with errors.")
            else:
                messages.info(request, f"{job.total_rows:,} rows are being processed; this page shows the progress.")
            return redirect("incidents:bulk-job", job_id=job.pk)
    jobs = selectors.bulk_jobs_for(request.user)[:10]
    return render(request, "incidents/bulk_upload.html", {"form": form, "jobs": jobs})


@login_required
@domain_errors_as_pages
def bulk_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.bulk_job_get(user=request.user, job_id=job_id)
    if request.htmx and request.GET.get("part") == "progress":
        response = render(request, "incidents/_bulk_progress.html", {"job": job})
        if job.is_finished:
            response["HX-Refresh"] = "true"  # reload the page to show the per-row results
        return response
    rows = []
    next_url = None
    if job.is_finished:
        after = parse_after(request.GET.get("after"))
        queryset = selectors.bulk_job_rows(job)
        if after is not None:
            queryset = queryset.filter(row_number__gt=after)
        rows = list(queryset[:PAGE_SIZE + 1])
        if len(rows) > PAGE_SIZE:
            rows = rows[:PAGE_SIZE]
            next_url = f"?after={rows[-1].row_number}"
    return render(request, "incidents/bulk_job.html", {"job": job, "rows": rows, "next_url": next_url})


@login_required
@domain_errors_as_pages
def bulk_job_results_csv(request: HttpRequest, job_id: int) -> StreamingHttpResponse:
    job = selectors.bulk_job_get(user=request.user, job_id=job_id)

    def lines() -> Iterator[str]:
        buffer = EchoWriter()
        writer = csv.writer(buffer)
        yield writer.writerow(["row", "device_id", "ok", "reference", "existing", "error"])
        for row in selectors.bulk_job_rows(job).values_list(
                "row_number", "device_id", "ok", "reference", "existing", "error").iterator(chunk_size=5000):
            number, device_id, ok, reference, existing, error = row
            yield writer.writerow([number, spreadsheet_safe(device_id), "true" if ok else "false", reference,
                                   "true" if existing else "false", spreadsheet_safe(error)])

    response = StreamingHttpResponse(lines(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="install-code-requests-{job.pk}-results.csv"'
    return response


