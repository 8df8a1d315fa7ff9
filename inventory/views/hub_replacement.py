"""The hub replacement page (R169-12): a question page on the hub's device page, then back to the new hub with a
confirmation. The rules are ``inventory.services.hub_replacement``; this view translates its errors."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from inventory.forms import HubReplaceForm
from inventory.services.hub_replacement import hub_replace, hub_replace_refusal, replacement_hub_get
from inventory.views.devices import visible_device
from portal.errors import DomainError
from portal.pages import domain_errors_as_pages, form_add_domain_error


@login_required
@domain_errors_as_pages
def hub_replace_view(request: HttpRequest, device_id: str) -> HttpResponse:
    old_hub = visible_device(request, device_id)
    refusal = hub_replace_refusal(actor=request.user, old_hub=old_hub)
    if refusal is not None:
        return render(request, "inventory/hub_replace.html", {"hub": old_hub, "refusal": refusal},
                      status=refusal.status_code)
    form = HubReplaceForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            new_hub = replacement_hub_get(actor=request.user, device_id=form.cleaned_data["new_hub_id"])
            replacement = hub_replace(actor=request.user, old_hub=old_hub, new_hub=new_hub,
                                      reason=form.cleaned_data["reason"], request_id=request.request_id)
        except DomainError as error:
            form_add_domain_error(form, error, then="Nothing was changed.")
            status = error.status_code
        else:
            moved = "the Restricted flag moved to its GPF" if replacement.new_gpf_change_id else "no flag to move"
            messages.success(request, f"Hub {old_hub.device_id} replaced by {new_hub.device_id}: "
                                      f"{', '.join(replacement.moved_device_ids)} moved; {moved}.")
            return redirect("inventory:device-detail", device_id=new_hub.device_id)
    if form.errors and status == 200:
        status = 400
    return render(request, "inventory/hub_replace.html", {"hub": old_hub, "form": form}, status=status)
