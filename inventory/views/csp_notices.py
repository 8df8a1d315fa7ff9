"""The CSP's restriction-notice desk (R169-17): its region's notices, newest first, and acknowledging one or
many. The DCC reads every CSP's notices. Rules: ``inventory.services.csp_notices``."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from inventory.selectors import NOTICE_STATES, restriction_notices_for
from inventory.services.csp_notices import restriction_notice_acknowledge
from portal.errors import DomainError, ValidationFailed
from portal.pagination import parse_after

PAGE_SIZE = 50


@login_required
def notice_list(request: HttpRequest) -> HttpResponse:
    party = request.user.party
    if party is None or not (party.is_csp or party.is_dcc):
        return render(request, "403.html", {"reason": "Restriction notices are for the CSPs and the DCC service desk."},
                      status=403)
    source = request.POST if request.method == "POST" else request.GET
    state = source.get("state", "open")
    state = state if state in NOTICE_STATES else "open"
    status, chosen = 200, set()
    if request.method == "POST":
        raw = request.POST.getlist("notice")
        chosen = {int(value) for value in raw if value.isascii() and value.isdigit() and len(value) < 18}
        try:
            if len(chosen) != len(set(raw)):
                raise ValidationFailed("A notice reference is not valid. Nothing was acknowledged.",
                                       code="bad_notice_id")
            done = restriction_notice_acknowledge(actor=request.user, notice_ids=sorted(chosen))
        except DomainError as error:
            messages.error(request, error.detail)
            status = error.status_code
        else:
            messages.success(request, f"{len(done)} notice{'s' if len(done) != 1 else ''} acknowledged: "
                                      + ", ".join(notice.device.device_id for notice in done) + ".")
            return redirect(f"{request.path}?state={state}")
    notices = restriction_notices_for(party, state=state)
    after = parse_after(request.GET.get("after"))
    if after is not None:
        notices = notices.filter(pk__lt=after)
    page = list(notices[: PAGE_SIZE + 1])
    next_after = page[PAGE_SIZE - 1].pk if len(page) > PAGE_SIZE else None
    return render(request, "inventory/restriction_notices.html", {
        "notices": page[:PAGE_SIZE], "state": state, "states": NOTICE_STATES, "next_after": next_after,
        "may_acknowledge": party.is_csp, "chosen": chosen, "is_first_page": after is None,
    }, status=status)
