"""SSI inventory pages: the device list (search, filters, keyset pages) and the device page; and the SSMI
pages for MP202: pre-notify a device (suppliers) and join a device to a hub (its responsible supplier or the
DCC). Both call the services in ``inventory.services.devices``."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from inventory.choices import DeviceStatus, DeviceType
from inventory.device_actions import device_actions_for
from inventory.filtersets import DeviceFilterSet, search_device_id
from inventory.forms import DeviceJoinForm, DevicePrenotifyForm
from inventory.selectors import (
    DeviceCount,
    device_count,
    device_get_for,
    device_queryset_for,
    hub_holds_restricted,
    party_sees_inventory,
    sms_devices_for,
)
from inventory.services.cpl import cpl_entry_is_dual_mode
from inventory.services.devices import device_join_hub, device_join_refusal, device_prenotify, device_prenotify_refusal
from inventory.services.hub_replacement import hub_replace_refusal
from inventory.tables import (
    chosen_columns,
    device_columns,
    prepare_queryset,
    reset_chosen_columns,
    save_chosen_columns,
)
from portal.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from portal.eui64 import is_device_id, normalise_device_id
from portal.pages import domain_errors_as_pages, form_add_domain_error, refused_roles_see_why

PAGE_SIZE = 50
#: Filters shown as selects on the page; the others (``device_id``, ``mpxn``, ``uprn``) are kept from the URL.
PAGE_FILTERS = ("device_type", "status", "payment_mode", "smets_version", "csp_region", "restricted",
                "responsible_supplier")
URL_ONLY_FILTERS = ("device_id", "mpxn", "uprn")
#: Filters whose hint the page shows; the others' (written for the API too) are kept for screen readers only.
VISIBLE_HINTS = ("payment_mode",)
ROWS_TARGET = "device-rows"


def _exact_match(request: HttpRequest, filterset: DeviceFilterSet, devices: list) -> str | None:
    """The one device a search names exactly by Device ID or MPxN (and nothing else filters), else None.

    A search that names a device opens it, as NetBox's global search does for an exact name; a postcode or
    a UPRN names premises, so it stays a list even with one row.
    """
    data = filterset.form.cleaned_data
    text = (data.get("q") or "").strip()
    if len(devices) != 1 or not text or request.GET.get("after"):
        return None
    if any(value not in (None, "") for name, value in data.items() if name != "q"):
        return None
    [device] = devices
    if search_device_id(text) != device.device_id and text != device.mpxn:
        return None
    return reverse("inventory:device-detail", args=[device.device_id])


@login_required
def device_list(request: HttpRequest) -> HttpResponse:
    """One keyset page of the devices the user's party may see (``?after=<Device ID>``, no OFFSET), with
    their count (exact up to a bound, else estimated and said so) and the user's chosen columns."""
    party = request.user.party
    filterset = DeviceFilterSet(request.GET, queryset=device_queryset_for(party))
    columns = chosen_columns(request.user)
    devices: list = []
    next_after = None
    count = None
    after = request.GET.get("after", "")
    if filterset.is_valid():
        matching = filterset.qs
        page = prepare_queryset(matching.order_by("device_id"), columns)
        if is_device_id(after):
            page = page.filter(device_id__gt=normalise_device_id(after))
        devices = list(page[: PAGE_SIZE + 1])
        if len(devices) > PAGE_SIZE:
            devices = devices[:PAGE_SIZE]
            next_after = devices[-1].device_id
        opened = _exact_match(request, filterset, devices) if not next_after else None
        if opened is not None:
            return HttpResponseClientRedirect(opened) if request.htmx else redirect(opened)
        count = device_count(matching) if devices or is_device_id(after) else DeviceCount(0, estimated=False)
    filters = request.GET.copy()
    filters.pop("after", None)
    query = filters.urlencode()
    chosen = {column.name for column in columns}
    context = {
        "filterset": filterset,
        "filter_fields": [filterset.form[name] for name in PAGE_FILTERS],
        "hidden_filters": [filterset.form[name] for name in URL_ONLY_FILTERS],
        "visible_hints": VISIBLE_HINTS,
        "devices": devices,
        "rows": [(device, [(column, column.render(device)) for column in columns]) for device in devices],
        "columns": columns,
        "column_choices": [(column, column.name in chosen) for column in device_columns() if not column.always],
        "count": count,
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
@require_POST
def device_list_columns(request: HttpRequest) -> HttpResponse:
    """Keep the user's choice of the device list's columns (or go back to the defaults), then show the list
    again with the same search and filters."""
    if request.POST.get("action") == "reset":
        reset_chosen_columns(request.user)
        messages.success(request, "The device list shows the default columns again.")
    else:
        saved = save_chosen_columns(request.user, request.POST.getlist("columns"))
        labels = [column.label for column in device_columns() if column.name in saved and not column.always]
        messages.success(request, "Columns saved: Device ID, " + ", ".join(labels) + "." if labels
                         else "Columns saved: Device ID only.")
    query = QueryDict(request.POST.get("filters", ""), mutable=True)
    query.pop("after", None)
    target = reverse("inventory:device-list")
    return redirect(f"{target}?{query.urlencode()}" if query else target)


def device_detail_context(request: HttpRequest, device) -> dict:
    """What the device page shows; the restriction form's view renders the same page with its bound form."""
    hub, sms_devices = sms_devices_for(request.user.party, device)
    return {
        "device": device, "hub": hub, "sms_devices": sms_devices,
        "may_join": _offers_join(request.user, device),
        "actions": device_actions_for(request.user, device),
        "restricted_in_sms": hub_holds_restricted(device),
        "may_replace_hub": device.device_type == DeviceType.CHF
        and hub_replace_refusal(actor=request.user, old_hub=device) is None,
        "timeline_url": sms_timeline_url(device),
    }


def sms_timeline_url(device) -> str | None:
    """The premises timeline of the device's SMS (the ``premises`` app, above inventory, registers its URL)."""
    if device.device_type != DeviceType.CHF and device.hub_id is None:
        return None
    try:
        return reverse("premises:timeline", args=[device.device_id])
    except NoReverseMatch:
        return None


def _offers_join(user, device) -> bool:
    """Joining a hub is how a device is installed (SRV 8.11): offered while the service would accept it and
    the device is not yet commissioned (a commissioned meter re-joining its own hub changes nothing)."""
    return device.status != DeviceStatus.COMMISSIONED and device_join_refusal(actor=user, device=device) is None


def visible_device(request: HttpRequest, device_id: str):
    """The device the user's party may see; unknown, out of scope and malformed are all ``NotFound`` (404)."""
    try:
        return device_get_for(request.user.party, device_id)
    except ValidationFailed as error:
        raise NotFound(error.detail, code=error.code) from error


@login_required
@domain_errors_as_pages
def device_detail(request: HttpRequest, device_id: str) -> HttpResponse:
    """A device's facts, CPL row, SMS and parties; unknown, out of scope or malformed is 404."""
    device = visible_device(request, device_id)
    return render(request, "inventory/device_detail.html", device_detail_context(request, device))


@login_required
@refused_roles_see_why(device_prenotify_refusal, heading="Only suppliers pre-notify devices")
def device_prenotify_view(request: HttpRequest) -> HttpResponse:
    form = DevicePrenotifyForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            device = device_prenotify(actor=request.user, request_id=request.request_id, **form.cleaned_data)
        except DomainError as error:
            form_add_domain_error(form, error)
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
@domain_errors_as_pages
def device_join_view(request: HttpRequest, device_id: str) -> HttpResponse:
    device = visible_device(request, device_id)
    refusal = device_join_refusal(actor=request.user, device=device)
    if isinstance(refusal, PermissionDenied):  # a role that may never join this device: say why, offer no form
        raise refusal
    form = DeviceJoinForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            previous_version = device.smets_version
            device = device_join_hub(actor=request.user, device=device, hub_id=form.cleaned_data["hub_id"],
                                     request_id=request.request_id)
        except DomainError as error:
            form_add_domain_error(form, error, field_map={"device_id": "hub_id"})
            status = error.status_code
        else:
            change = (f"its SMETS version changed from {previous_version} to {device.smets_version}"
                      if previous_version != device.smets_version else f"it stays {device.smets_version}")
            messages.success(request, f"{device.device_id} joined hub {device.hub.device_id}; {change}.")
            return redirect("inventory:device-join", device_id=device.device_id)
    if form.errors and status == 200:
        status = 400
    # A device that cannot join any hub (not the caller's, a hub itself, commissioned in its SMS) gets the
    # reason instead of a form it could only submit to be refused.
    refusal = device_join_refusal(actor=request.user, device=device) if request.method != "POST" else None
    return render(request, "inventory/join.html", {
        "device": device, "form": form, "dual_mode": cpl_entry_is_dual_mode(device.cpl_entry), "refusal": refusal,
    }, status=status)
