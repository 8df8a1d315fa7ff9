"""Device extract pages: start an extract of the inventory list as shown, follow its progress, download the file."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from inventory.models import DeviceExtractJob
from inventory.selectors import device_extract_job_get, device_extract_jobs_for
from inventory.services.extracts import EXTRACT_RETENTION, device_extract_job_submit, extract_filter_summary
from portal.errors import DomainError
from portal.pages import domain_errors_as_pages

RECENT_EXTRACTS = 20


def _own_job(request: HttpRequest, job_id: int) -> DeviceExtractJob:
    """One of the party's extracts; another party's is ``NotFound``, the 404 page (``domain_errors_as_pages``)."""
    return device_extract_job_get(user=request.user, job_id=job_id)


@login_required
@require_http_methods(["GET", "POST"])
def extract_list(request: HttpRequest) -> HttpResponse:
    """GET: the user's recent extracts. POST (from the inventory list): extract the devices it shows."""
    if request.method == "POST":
        try:
            job = device_extract_job_submit(actor=request.user, filters=request.POST.get("filters", ""))
        except DomainError as error:
            messages.error(request, f"{error.detail} No extract was started.")
            return redirect("inventory:extract-list")
        if job.is_finished:
            messages.success(request, f"Your extract of {job.total_rows:,} devices is ready to download.")
        else:
            messages.info(request, "Your extract is being written; this page shows the progress.")
        return redirect("inventory:extract-job", job_id=job.pk)
    jobs = list(device_extract_jobs_for(request.user)[:RECENT_EXTRACTS])
    for job in jobs:
        job.filter_summary = extract_filter_summary(job.filters)
    return render(request, "inventory/extract_list.html", {"jobs": jobs, "retention_days": EXTRACT_RETENTION.days})


@login_required
@domain_errors_as_pages
def extract_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """One extract: progress while it is written (htmx polls ``?part=progress``), then the file's details."""
    job = _own_job(request, job_id)
    if request.htmx and request.GET.get("part") == "progress":
        response = render(request, "inventory/_extract_progress.html", {"job": job})
        if job.is_finished:
            response["HX-Refresh"] = "true"
        return response
    return render(request, "inventory/extract_job.html", {
        "job": job, "filter_summary": extract_filter_summary(job.filters), "retention_days": EXTRACT_RETENTION.days,
    })


@login_required
@domain_errors_as_pages
def extract_download(request: HttpRequest, job_id: int) -> FileResponse:
    """The extract's CSV file, to the user who asked for it, until it expires."""
    job = _own_job(request, job_id)
    if not job.is_downloadable:
        raise Http404("This extract has no file: it is still being written, it failed, or it has expired.")
    response = FileResponse(job.file.open("rb"), as_attachment=True, filename=f"devices-extract-{job.pk}.csv",
                            content_type="text/csv")
    response["Cache-Control"] = "no-store"
    return response
