"""DCC's outbox page: every email and CSP notification with its delivery state, so failing
CSP notifications (R169-6) are seen and chased. Newest first, keyset paged, filterable."""
from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from rest_framework.exceptions import ValidationError

from portal.choices import OutboxKind, OutboxStatus
from portal.models import OutboxMessage
from portal.pagination import encode_cursor, keyset_page

PAGE_SIZE = 50


class OutboxFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *OutboxStatus.choices])
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *OutboxKind.choices])


@login_required
def outbox_list(request: HttpRequest) -> HttpResponse:
    party = request.user.party
    if party is None or not party.is_dcc:
        raise PermissionDenied("Only the DCC service desk can see the outbox.")
    form = OutboxFilterForm(request.GET)
    messages_qs = OutboxMessage.objects.select_related("party").defer("body")
    if form.is_valid():
        if form.cleaned_data["status"]:
            messages_qs = messages_qs.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["kind"]:
            messages_qs = messages_qs.filter(kind=form.cleaned_data["kind"])
    try:
        rows, next_key = keyset_page(messages_qs, field="id", cursor=request.GET.get("cursor"), limit=PAGE_SIZE,
                                     descending=True)
    except ValidationError:
        return HttpResponseBadRequest("This page link is not valid: start again from the first page.")
    query = request.GET.copy()
    query.pop("cursor", None)
    first_query = query.urlencode()
    next_query = None
    if next_key is not None:
        query["cursor"] = encode_cursor(next_key)
        next_query = query.urlencode()
    context = {
        "form": form, "rows": rows, "first_query": first_query, "next_query": next_query,
        "paged": bool(request.GET.get("cursor")), "filtered": bool(request.GET.get("status") or request.GET.get("kind")),
        "demo_mailbox": settings.DEMO_MAILBOX_ENABLED,
    }
    return render(request, "portal/outbox_list.html", context)
