"""The demo's mailbox (what the mail catcher caught; DCC only, like MailHog) and, for each CSP, what its demo
notification endpoint received. Both exist only in the launcher's demo mode (``DEMO_MAILBOX_ENABLED``): off,
every URL here answers 404, to everyone. See ``portal.demo_mailbox``."""
from __future__ import annotations

import json
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from rest_framework.exceptions import ValidationError

from portal.models import CaughtEmail, CaughtNotification
from portal.pagination import encode_cursor, keyset_page

PAGE_SIZE = 50


def demo_only(view):
    """404 unless the demo mailbox is on: the pages do not exist outside ``make demo``."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.DEMO_MAILBOX_ENABLED:
            raise Http404("The demo mailbox is only served in the launcher's demo mode.")
        return view(request, *args, **kwargs)

    return wrapper


def _is_desk(user) -> bool:
    """The DCC service desk, or a Django superuser (the demo's ``admin``, who has no party)."""
    return user.is_superuser or bool(user.party and user.party.is_dcc)


def _page(request: HttpRequest, queryset):
    rows, next_key = keyset_page(queryset, field="id", cursor=request.GET.get("cursor"), limit=PAGE_SIZE,
                                 descending=True)
    next_query = None
    if next_key is not None:
        query = request.GET.copy()
        query["cursor"] = encode_cursor(next_key)
        next_query = query.urlencode()
    return rows, next_query


@demo_only
@login_required
def mailbox_list(request: HttpRequest) -> HttpResponse:
    if not _is_desk(request.user):
        raise PermissionDenied("Only the DCC service desk can read the demo mailbox.")
    try:
        rows, next_query = _page(request, CaughtEmail.objects.defer("raw", "body"))
    except ValidationError:
        return HttpResponseBadRequest("This page link is not valid: start again from the first page.")
    return render(request, "portal/demo_mailbox_list.html", {
        "rows": rows, "next_query": next_query, "paged": bool(request.GET.get("cursor")),
        "smtp": f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}",
    })


@demo_only
@login_required
def mailbox_message(request: HttpRequest, email_id: int) -> HttpResponse:
    if not _is_desk(request.user):
        raise PermissionDenied("Only the DCC service desk can read the demo mailbox.")
    email = get_object_or_404(CaughtEmail, pk=email_id)
    return render(request, "portal/demo_mailbox_message.html", {"email": email})


@demo_only
@login_required
def csp_notifications(request: HttpRequest) -> HttpResponse:
    """A CSP's users see what their party's demo endpoint received; the DCC sees every CSP's."""
    party = request.user.party
    desk = _is_desk(request.user)
    if not desk and not (party and party.is_csp):
        raise PermissionDenied("Only CSPs (and the DCC service desk) have a demo notification endpoint.")
    notifications = CaughtNotification.objects.select_related("party")
    if not desk:
        notifications = notifications.filter(party=party)
    try:
        rows, next_query = _page(request, notifications)
    except ValidationError:
        return HttpResponseBadRequest("This page link is not valid: start again from the first page.")
    for row in rows:
        row.payload_text = json.dumps(row.payload, indent=2, sort_keys=True)
    return render(request, "portal/demo_csp_notifications.html", {
        "rows": rows, "next_query": next_query, "paged": bool(request.GET.get("cursor")), "desk": desk,
        "endpoint": party.notification_endpoint if party and party.is_csp else "",
    })
