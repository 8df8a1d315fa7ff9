"""The premises timeline page (one per SMS). Thin: the reads are ``premises.selectors``."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from inventory.selectors import device_get_for
from portal.errors import DomainError, ValidationFailed
from premises.selectors import sms_timeline


@login_required
def timeline(request: HttpRequest, device_id: str) -> HttpResponse:
    """The timeline of the SMS of ``device_id`` (any of its devices); unknown or out of scope is 404."""
    try:
        device = device_get_for(request.user.party, device_id)
    except DomainError as error:
        raise Http404(error.detail) from error
    cursor = request.GET.get("cursor") or None
    try:
        result = sms_timeline(user=request.user, device=device, cursor=cursor)
    except ValidationFailed as error:
        return render(request, "premises/timeline.html", {"device": device, "error": error.detail}, status=400)
    return render(request, "premises/timeline.html", {
        "device": device, "timeline": result, "is_first_page": cursor is None,
    })
