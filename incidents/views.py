"""Incident pages: queues, the incident page, raising (one or a CSV in bulk). Views only translate;
the rules are in ``incidents.services`` and the scoping in ``incidents.selectors``."""
from __future__ import annotations

import csv
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError as CursorError

from incidents import selectors, services
from incidents.choices import IncidentChannel, IncidentState
from incidents.filtersets import IncidentFilterSet
from incidents.forms import (
    AnswerForm,
    BulkUploadForm,
    CloseForm,
    ContactsForm,
    DepositForm,
    DepositUploadForm,
    NoteForm,
    NotInstallingForm,
    RaiseInstallCodeRequestForm,
    ReassignForm,
    ReopenForm,
)
from portal.choices import JobStatus
from portal.csv_safety import EchoWriter, spreadsheet_safe
from portal.errors import DomainError, NotFound, PermissionDenied
from portal.pages import domain_errors_as_pages, refused_roles_see_why
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
    # The device page's "Request an install code" link names the device (?device_id=).
    form = RaiseInstallCodeRequestForm(request.POST or None,
                                       initial={"device_id": request.GET.get("device_id", "")[:40]})
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
    return render(request, "incidents/incident_raise.html", {"form": form})


def _assignee_label(incident) -> str:
    party = incident.assigned_party
    return "the DCC service desk queue" if party.is_dcc else f"{party.name} ({party.code})"


def _detail_context(request: HttpRequest, incident, **extra) -> dict:
    notes = list(selectors.incident_notes(incident))
    party = request.user.party
    for note in notes:
        note.can_reveal = note.has_install_code and services.incident_can_reveal(
            incident=incident, party=party, note=note)
    history = selectors.device_supplier_history(incident.device)
    actions = selectors.incident_actions(incident=incident, user=request.user)
    forms = {
        "note_form": extra.pop("note_form", None) or NoteForm(),
        "answer_form": extra.pop("answer_form", None) or AnswerForm(),
        "reopen_form": extra.pop("reopen_form", None) or ReopenForm(),
        "close_form": extra.pop("close_form", None) or CloseForm(),
        "reassign_form": extra.pop("reassign_form", None) or ReassignForm(),
        "not_installing_form": extra.pop("not_installing_form", None) or NotInstallingForm(),
    }
    # The answer's radios reveal their questions (GOV.UK conditional reveal), so that form is laid out by hand;
    # every other field is a ``{% form_field %}`` and its summary an ``{% error_summary %}`` (portal_forms).
    describe_fields(forms["answer_form"])
    return {
        "incident": incident, "notes": notes, "history": selectors.incident_history(incident),
        "actions": actions, **forms,
        "supplier_history": history, "spells": selectors.incident_spells(incident),
        "suggested_assignee": selectors.incident_suggested_assignee(incident, history) if actions.reassign else None,
        "answering": actions.supply_code and incident.state == IncidentState.ASSIGNED,
        "assignee_label": _assignee_label(incident), **extra,
    }


def describe_fields(form) -> None:
    """For a form laid out by hand (the answer's conditional reveal): each input points at its hint and error
    (``aria-describedby``) and says when it is invalid (``aria-invalid``); the template prints the hint as
    ``<id>-hint`` and the error as ``<id>-error``, above the input. ``{% form_field %}`` does this itself."""
    for name, field in form.fields.items():
        bound = form[name]
        ids = []
        if field.help_text:
            ids.append(f"{bound.auto_id}-hint")
        if form.is_bound and name in form.errors:
            ids.append(f"{bound.auto_id}-error")
            field.widget.attrs["aria-invalid"] = "true"
        if ids:
            field.widget.attrs["aria-describedby"] = " ".join(ids)


def _errors_into_form(form, error: DomainError, *, fallback: str | None = None) -> None:
    """A service refusal shown on the form: its field errors at their fields, else as a form-wide error."""
    placed = False
    fields = [name for name in (error.errors or {}) if name in form.fields]
    for name in fields:
        # One field at fault: the refusal's own sentence says what to do; several: each field's message.
        for message in ([error.detail] if len(fields) == 1 else error.errors[name]):
            form.add_error(name, message)
        placed = True
    if not placed:
        form.add_error(fallback if fallback in form.fields else None, error.detail)


def _form_page(request: HttpRequest, incident, status: int = 400, **forms) -> HttpResponse:
    return render(request, "incidents/incident_detail.html", _detail_context(request, incident, **forms), status=status)


def _refused(request: HttpRequest, incident, name: str, form, error: DomainError) -> HttpResponse:
    """A service refusal: not allowed for the role is the 403 page with the reason (``domain_errors_as_pages``);
    any other comes back on the form, with the input kept and the service's status (409, 422 ...)."""
    if isinstance(error, (PermissionDenied, NotFound)):
        raise error
    _errors_into_form(form, error)
    return _form_page(request, incident, status=error.status_code, **{name: form})


def _get_incident(request: HttpRequest, reference: str):
    """The incident if the user's party may see it, else ``NotFound``: the 404 page (``domain_errors_as_pages``)."""
    return selectors.incident_get(user=request.user, reference=reference)


@login_required
@domain_errors_as_pages
def incident_detail(request: HttpRequest, reference: str) -> HttpResponse:
    incident = _get_incident(request, reference)
    return render(request, "incidents/incident_detail.html", _detail_context(request, incident))


def _done(request: HttpRequest, incident, success: str) -> HttpResponse:
    messages.success(request, success)
    return redirect("incidents:incident-detail", reference=incident.reference)


@login_required
@require_POST
@domain_errors_as_pages
def incident_note(request: HttpRequest, reference: str) -> HttpResponse:
    incident = _get_incident(request, reference)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _form_page(request, incident, note_form=form)
    code = form.cleaned_data["install_code"] or None
    try:
        services.incident_add_note(incident=incident, actor=request.user, body=form.cleaned_data["body"],
                                   install_code=code)
    except DomainError as error:
        return _refused(request, incident, "note_form", form, error)
    return _done(request, incident, "Install code added: the raising party has been notified." if code
                 else "Note added.")


@login_required
@require_POST
@domain_errors_as_pages
def incident_answer(request: HttpRequest, reference: str) -> HttpResponse:
    """#19.8: one question, "Are you the installing supplier?", then the code or the comment.

    On a problem the page comes back with the input kept, an error summary and the field errors (GOV.UK
    error summary pattern); nothing is written.
    """
    incident = _get_incident(request, reference)
    form = AnswerForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["is_installer"] == "yes":
                services.incident_add_note(incident=incident, actor=request.user, body=data["body"],
                                           install_code=data["install_code"])
                success = "Install code supplied: the raising party has been told (the code is never emailed)."
            else:
                services.incident_answer_not_installing_supplier(incident=incident, actor=request.user,
                                                                 body=data["body"])
                success = "Answered: not the installing supplier. The DCC service desk will route the request."
        except DomainError as error:
            _errors_into_form(form, error, fallback="install_code" if data["is_installer"] == "yes" else "body")
        else:
            messages.success(request, success)
            return redirect("incidents:incident-detail", reference=incident.reference)
    return _form_page(request, incident, answer_form=form)


@login_required
@require_POST
@domain_errors_as_pages
def incident_reopen(request: HttpRequest, reference: str) -> HttpResponse:
    """R121-13: the raiser reopens an answered request once, with a reason (GOV.UK error summary on a problem)."""
    incident = _get_incident(request, reference)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            services.incident_reopen(incident=incident, actor=request.user, reason=form.cleaned_data["reason"])
        except DomainError as error:
            _errors_into_form(form, error, fallback="reason")
        else:
            messages.success(request, f"{incident.reference} reopened: the supplier has been told and has a new "
                                      "10-working-day deadline.")
            return redirect("incidents:incident-detail", reference=incident.reference)
    return _form_page(request, incident, reopen_form=form)


@login_required
@require_POST
@domain_errors_as_pages
def incident_not_installing(request: HttpRequest, reference: str) -> HttpResponse:
    incident = _get_incident(request, reference)
    form = NotInstallingForm(request.POST)
    # The page has no "not installing" form since #19.8 (the answer form's "No" is this answer): a problem is
    # shown on the answer form, with the comment kept, so the error summary and the reason are on the page.
    shown = AnswerForm({"is_installer": "no", "body": request.POST.get("body", "")})
    shown.is_valid()
    if not form.is_valid():
        for field, errors in form.errors.items():
            for message in errors:
                shown.add_error("body" if field == "body" else None, message)
        return _form_page(request, incident, answer_form=shown)
    body = form.cleaned_data["body"]
    try:
        services.incident_answer_not_installing_supplier(incident=incident, actor=request.user, body=body)
    except DomainError as error:
        return _refused(request, incident, "answer_form", shown, error)
    return _done(request, incident, "Answered: not the installing supplier. The DCC service desk will "
                                    "reassign the incident.")


@login_required
@require_POST
@domain_errors_as_pages
def incident_close(request: HttpRequest, reference: str) -> HttpResponse:
    incident = _get_incident(request, reference)
    form = CloseForm(request.POST)
    if not form.is_valid():
        return _form_page(request, incident, close_form=form)
    reason = form.cleaned_data["reason"]
    if request.POST.get("confirmed") != "yes":
        # GOV.UK "confirm a destructive action": closing cannot be undone, so the first submit asks first -
        # unless the close would be refused, which is said at once, on the form.
        refusal = services.incident_close_refusal(incident=incident, actor=request.user, reason=reason)
        if refusal is not None:
            return _refused(request, incident, "close_form", form, refusal)
        return render(request, "incidents/incident_close_confirm.html", {"incident": incident, "reason": reason})
    try:
        services.incident_close(incident=incident, actor=request.user, reason=reason)
    except DomainError as error:
        return _refused(request, incident, "close_form", form, error)
    return _done(request, incident, f"{incident.reference} closed.")


@login_required
@require_POST
@domain_errors_as_pages
def incident_reassign(request: HttpRequest, reference: str) -> HttpResponse:
    incident = _get_incident(request, reference)
    form = ReassignForm(request.POST)
    if not form.is_valid():
        return _form_page(request, incident, reassign_form=form)
    try:
        services.incident_reassign(incident=incident, actor=request.user, to_party=form.cleaned_data["to_party"])
    except DomainError as error:
        return _refused(request, incident, "reassign_form", form, error)
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


#: The template CSV offered on the upload page.
BULK_TEMPLATE_CSV = "device_id\r\n00-DB-12-34-56-78-90-A0\r\n00-DB-12-34-56-78-90-B1\r\n"


@login_required
@refused_roles_see_why(services.install_code_request_raise_refusal,
                       heading="Only energy suppliers request install codes")
def bulk_upload(request: HttpRequest) -> HttpResponse:
    """Upload a CSV of Device IDs; it is checked first (nothing raised) and raised once confirmed."""
    form = BulkUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            device_ids = services.parse_device_id_csv(upload.read())
            job = services.incident_bulk_job_check(device_ids=device_ids, actor=request.user, file_name=upload.name,
                                                   line_numbers=getattr(device_ids, "line_numbers", None))
        except DomainError as error:
            form.add_error("file", error.detail)
        else:
            return redirect("incidents:bulk-job", job_id=job.pk)
    jobs = selectors.incident_bulk_jobs_for(request.user)[:10]
    return render(request, "incidents/bulk_upload.html", {"form": form, "jobs": jobs})


@login_required
def bulk_template_csv(request: HttpRequest) -> HttpResponse:
    """A template to fill in: the header row and two example rows."""
    response = HttpResponse(BULK_TEMPLATE_CSV, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="install-code-requests-template.csv"'
    return response


def _bulk_job_or_404(request: HttpRequest, job_id: int):
    try:
        return selectors.incident_bulk_job_get(user=request.user, job_id=job_id)
    except NotFound as error:
        raise Http404(error.detail) from error


@login_required
def bulk_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """A bulk upload: its check (before confirming), its progress while it runs, then its outcome counted
    by reason and the rows (paged)."""
    job = _bulk_job_or_404(request, job_id)
    if request.htmx and request.GET.get("part") == "progress":
        response = render(request, "incidents/_bulk_progress.html", {"job": job})
        if job.is_finished:
            response["HX-Refresh"] = "true"  # reload the page to show the results
        return response
    context: dict = {"job": job, "refused_csv_url": reverse("incidents:bulk-job-refused", args=[job.pk])}
    if job.status == JobStatus.CHECKED:
        outcomes = job.preview.get("outcomes", {})
        context.update({
            "outcome_lines": [(outcomes.get("raise", 0), "Raise a new request"),
                              (outcomes.get("existing", 0), "Return your open request")],
            "applicable": outcomes.get("raise", 0) + outcomes.get("existing", 0),
            "refused": outcomes.get("refused", 0), "reasons": job.preview.get("reasons", []),
            "confirm_url": reverse("incidents:bulk-job-confirm", args=[job.pk]),
            "upload_url": reverse("incidents:bulk-upload"),
        })
        return render(request, "incidents/bulk_job.html", context)
    rows = []
    next_url = None
    if job.is_finished:
        after = parse_after(request.GET.get("after"))
        queryset = selectors.incident_bulk_job_rows(job)
        if after is not None:
            queryset = queryset.filter(row_number__gt=after)
        if request.GET.get("outcome") == "refused":
            queryset = queryset.filter(ok=False)
        rows = list(queryset[:PAGE_SIZE + 1])
        if len(rows) > PAGE_SIZE:
            rows = rows[:PAGE_SIZE]
            query = request.GET.copy()
            query["after"] = str(rows[-1].row_number)
            next_url = "?" + query.urlencode()
        context["reasons"] = services.incident_bulk_job_reasons(job) if job.failed_count else []
    context.update({"rows": rows, "next_url": next_url, "only_refused": request.GET.get("outcome") == "refused",
                    "applied": job.processed_rows - job.failed_count, "refused": job.failed_count,
                    "existing": job.processed_rows - job.failed_count - job.created_count})
    return render(request, "incidents/bulk_job.html", context)


@login_required
@require_POST
def bulk_job_confirm(request: HttpRequest, job_id: int) -> HttpResponse:
    """The confirm step: start raising a checked upload."""
    job = _bulk_job_or_404(request, job_id)
    try:
        job = services.incident_bulk_job_confirm(job=job, actor=request.user)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        if not job.is_finished:
            messages.info(request, f"{job.total_rows:,} rows are being raised; this page shows the progress.")
    return redirect("incidents:bulk-job", job_id=job.pk)


@login_required
def bulk_job_refused_csv(request: HttpRequest, job_id: int) -> StreamingHttpResponse:
    """The refused rows as uploaded plus why (``refused_because``): fix them and upload this file again."""
    job = _bulk_job_or_404(request, job_id)

    def lines() -> Iterator[str]:
        writer = csv.writer(EchoWriter())
        yield writer.writerow(services.REFUSED_COLUMNS)
        for row in services.incident_bulk_refused_rows(job):
            yield writer.writerow([spreadsheet_safe(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="install-code-requests-{job.pk}-refused-rows.csv"'
    return response


@login_required
def bulk_job_results_csv(request: HttpRequest, job_id: int) -> StreamingHttpResponse:
    try:
        job = selectors.incident_bulk_job_get(user=request.user, job_id=job_id)
    except NotFound as error:
        raise Http404(error.detail) from error

    def lines() -> Iterator[str]:
        buffer = EchoWriter()
        writer = csv.writer(buffer)
        yield writer.writerow(["row", "device_id", "ok", "reference", "existing", "error"])
        for row in selectors.incident_bulk_job_rows(job).values_list(
                "row_number", "device_id", "ok", "reference", "existing", "error").iterator(chunk_size=5000):
            number, device_id, ok, reference, existing, error = row
            yield writer.writerow([number, spreadsheet_safe(device_id), "true" if ok else "false", reference,
                                   "true" if existing else "false", spreadsheet_safe(error)])

    response = StreamingHttpResponse(lines(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="install-code-requests-{job.pk}-results.csv"'
    return response




def _deposit_page(request: HttpRequest, *, form=None, upload_form=None, results=None, status: int = 200):
    refusal = "" if request.user.party and request.user.party.is_supplier else (
        "Only a supplier deposits install codes: the installing supplier of a device left uncommissioned.")
    return render(request, "incidents/deposits.html", {
        "form": form or DepositForm(), "upload_form": upload_form or DepositUploadForm(), "refusal": refusal,
        "deposits": selectors.deposits_for(request.user)[:50] if not refusal else [], "results": results,
    }, status=status)


@login_required
def deposits(request: HttpRequest) -> HttpResponse:
    """Issue 18: deposit install codes ahead, one (form) or many (CSV upload)."""
    if request.method != "POST":
        return _deposit_page(request)
    if "file" in request.FILES or request.POST.get("action") == "upload":
        upload_form = DepositUploadForm(request.POST, request.FILES)
        if upload_form.is_valid():
            try:
                rows = services.parse_deposit_csv(upload_form.cleaned_data["file"].read())
                results = services.install_code_deposits_bulk(rows=rows, actor=request.user)
            except DomainError as error:
                _errors_into_form(upload_form, error, fallback="file")
            else:
                ok = sum(1 for result in results if result.ok)
                level = messages.SUCCESS if ok == len(results) else messages.WARNING
                messages.add_message(request, level, f"{ok:,} of {len(results):,} codes deposited; "
                                                     f"{len(results) - ok:,} refused (see the rows below).")
                return _deposit_page(request, results=results)
        return _deposit_page(request, upload_form=upload_form, status=400)
    form = DepositForm(request.POST)
    if form.is_valid():
        try:
            deposit = services.install_code_deposit(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            _errors_into_form(form, error, fallback="device_id")
        else:
            messages.success(request, f"Install code deposited for {deposit.device.device_id}: a request for it "
                                      "will be answered at once.")
            return redirect("incidents:deposits")
    return _deposit_page(request, form=form, status=400)


@login_required
def contacts(request: HttpRequest) -> HttpResponse:
    """Issue 18: the supplier's own MP121 contact and escalation addresses, audited."""
    party = request.user.party
    refusal = services.party_contacts_refusal(actor=request.user)
    form = ContactsForm(request.POST or None, initial={
        "operational_email": getattr(party, "operational_email", ""),
        "escalation_email": getattr(party, "escalation_email", "")})
    status = 200
    if request.method == "POST" and not refusal:
        if form.is_valid():
            try:
                changes = services.party_contacts_update(actor=request.user, **form.cleaned_data)
            except DomainError as error:
                _errors_into_form(form, error, fallback="operational_email")
            else:
                messages.success(request, f"{len(changes)} address(es) changed." if changes else "Nothing changed.")
                return redirect("incidents:contacts")
        status = 400
    return render(request, "incidents/contacts.html", {
        "form": form, "refusal": refusal,
        "changes": selectors.contact_changes_for(party)[:50] if party and not refusal else [],
    }, status=status)
