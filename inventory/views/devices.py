"""SSI inventory pages: the device list (search, filters, keyset pages) and the device page; and the SSMI
pages for MP202: pre-notify a device (suppliers) and join a device to a hub (its responsible supplier or the
DCC). Both call the services in ``inventory.services.devices``."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers

from inventory.choices import DeviceType
from inventory.filtersets import DeviceFilterSet
from inventory.forms import DeviceJoinForm, DevicePrenotifyForm
from inventory.selectors import (
    device_get_for,
    device_queryset_for,
    hub_holds_restricted,
    party_sees_inventory,
    restricted_in_sms_q,
    sms_devices_for,
)
from inventory.services.cpl import cpl_entry_is_dual_mode
from inventory.services.devices import device_join_hub, device_join_refusal, device_prenotify, device_prenotify_refusal
from inventory.services.hub_replacement import hub_replace_refusal
from portal.errors import DomainError
from portal.eui64 import is_device_id, normalise_device_id

PAGE_SIZE = 50
#: Filters shown as selects on the page; the others (``device_id``, ``mpxn``, ``uprn``) are kept from the URL.
PAGE_FILTERS = ("device_type", "status", "smets_version", "csp_region", "restricted", "responsible_supplier")
URL_ONLY_FILTERS = ("device_id", "mpxn", "uprn")
ROWS_TARGET = "device-rows"


@login_required
def device_list(request: HttpRequest) -> HttpResponse:
    """One keyset page of the devices the user's party may see (``?after=<Device ID>``, no OFFSET, no COUNT)."""
    party = request.user.party
    filterset = DeviceFilterSet(request.GET, queryset=device_queryset_for(party))
    devices: list = []
    next_after = None
    after = request.GET.get("after", "")
    if filterset.is_valid():
        page = filterset.qs.annotate(restricted_in_sms=restricted_in_sms_q()).order_by("device_id")
        if is_device_id(after):
            page = page.filter(device_id__gt=normalise_device_id(after))
        devices = list(page[: PAGE_SIZE + 1])
        if len(devices) > PAGE_SIZE:
            devices = devices[:PAGE_SIZE]
            next_after = devices[-1].device_id
    filters = request.GET.copy()
    filters.pop("after", None)
    query = filters.urlencode()
    context = {
        "filterset": filterset,
        "filter_fields": [filterset.form[name] for name in PAGE_FILTERS],
        "hidden_filters": [filterset.form[name] for name in URL_ONLY_FILTERS],
        "devices": devices,
        "sees_inventory": party_sees_inventory(party),
        "is_first_page": not is_device_id(after),
        "filter_query": query,
        "next_after": next_after,
        "rows_target": ROWS_TARGET,
    }
    htmx_rows = request.htmx and request.htmx.target == ROWS_TARGET
    response = render(request, "inventory/_device_rows.html" if htmx_rows else "inventory/device_list.html", context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@login_required
def device_detail(request: HttpRequest, device_id: str) -> HttpResponse:
    """A device's facts, CPL row, SMS and parties; unknown, out of scope or malformed is 404."""
    party = request.user.party
    try:
        device = device_get_for(party, device_id)
    except DomainError as error:
        raise Http404(error.detail) from error
    hub, sms_devices = sms_devices_for(party, device)
    return render(request, "inventory/device_detail.html", {
        "device": device, "hub": hub, "sms_devices": sms_devices,
        "may_join": device_join_refusal(actor=request.user, device=device) is None,
        "restricted_in_sms": hub_holds_restricted(device),
        "may_replace_hub": device.device_type == DeviceType.CHF
        and hub_replace_refusal(actor=request.user, old_hub=device) is None,
        "timeline_url": sms_timeline_url(device),
    })


def sms_timeline_url(device) -> str | None:
    """The premises timeline of the device's SMS (the ``premises`` app, above inventory, registers its URL)."""
    if device.device_type != DeviceType.CHF and device.hub_id is None:
        return None
    try:
        return reverse("premises:timeline", args=[device.device_id])
    except NoReverseMatch:
        return None


def _show_domain_error(form, error: DomainError, *, field_map: dict[str, str] | None = None) -> None:
    form.add_error(None, error.detail)
    for field, field_errors in error.errors.items():
        field = (field_map or {}).get(field, field)
        if field in form.fields:
            form.add_error(field, field_errors)


@login_required
def device_prenotify_view(request: HttpRequest) -> HttpResponse:
    if device_prenotify_refusal(request.user) is not None:
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
        "device": device, "form": form, "dual_mode": cpl_entry_is_dual_mode(device.cpl_entry),
    }, status=status)
