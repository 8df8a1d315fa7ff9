"""SSMI pages for MP202: pre-notify a device (suppliers) and join a device to a hub (its responsible
supplier or the DCC). Both call the services in ``inventory.services.devices``."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from inventory.forms import DeviceJoinForm, DevicePrenotifyForm
from inventory.selectors import device_get_for
from inventory.services.cpl import cpl_is_dual_mode
from inventory.services.devices import device_join_hub, device_prenotify, prenotify_refusal
from portal.errors import DomainError


def _show_domain_error(form, error: DomainError, *, field_map: dict[str, str] | None = None) -> None:
    form.add_error(None, error.detail)
    for field, field_errors in error.errors.items():
        field = (field_map or {}).get(field, field)
        if field in form.fields:
            form.add_error(field, field_errors)


@login_required
def device_prenotify_view(request: HttpRequest) -> HttpResponse:
    if prenotify_refusal(request.user) is not None:
        return render(request, "inventory/prenotify_forbidden.html", status=403)
    form = DevicePrenotifyForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            device = device_prenotify(actor=request.user, request_id=request.request_id, **form.cleaned_data)
        except DomainError as error:
            _show_domain_error(form, error)
            status = error.status_code
        else:
            messages.success(
                request, f"{device.device_type} {device.device_id} pre-notified as {device.smets_version}; status Pending.",
            )
            return redirect("inventory:device-join", device_id=device.device_id)
    if form.errors and status == 200:
        status = 400
    return render(request, "inventory/prenotify.html", {"form": form}, status=status)


@login_required
def device_join_view(request: HttpRequest, device_id: str) -> HttpResponse:
    try:
        device = device_get_for(request.user.party, device_id)
    except DomainError as error:
        raise Http404(error.detail) from error
    form = DeviceJoinForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            previous_version = device.smets_version
            device = device_join_hub(actor=request.user, device=device, hub_id=form.cleaned_data["hub_id"],
                                     request_id=request.request_id)
        except DomainError as error:
            _show_domain_error(form, error, field_map={"device_id": "hub_id"})
            status = error.status_code
        else:
            change = (f"its SMETS version changed from {previous_version} to {device.smets_version}"
                      if previous_version != device.smets_version else f"it stays {device.smets_version}")
            messages.success(request, f"{device.device_id} joined hub {device.hub.device_id}; {change}.")
            return redirect("inventory:device-join", device_id=device.device_id)
    if form.errors and status == 200:
        status = 400
    return render(request, "inventory/join.html", {
        "device": device, "form": form, "dual_mode": cpl_is_dual_mode(device.cpl_entry),
    }, status=status)
