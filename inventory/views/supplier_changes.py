"""The DCC Change of Supplier page (R169-5): the form on the device page posts here. The view translates
the service's errors into messages; the rules are ``inventory.services.supplier_changes``."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from inventory.forms import SupplierChangeForm
from inventory.services.supplier_changes import supplier_change_record
from inventory.views.devices import visible_device
from inventory.views.restriction import redirect_back
from portal.errors import DomainError
from portal.pages import domain_errors_as_pages


@login_required
@require_POST
@domain_errors_as_pages
def supplier_change_view(request: HttpRequest, device_id: str) -> HttpResponse:
    """DCC records a Change of Supplier from the device page (R169-5)."""
    device = visible_device(request, device_id)
    form = SupplierChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the new Responsible Supplier. Nothing was changed.")
        return redirect_back(request, device)
    try:
        changes = supplier_change_record(device=device, new_supplier=form.cleaned_data["new_supplier"],
                                         actor=request.user, request_id=request.request_id)
    except DomainError as error:
        messages.error(request, f"{error.detail} Nothing was changed.")
    else:
        devices = ", ".join(change.device.device_id for change in changes)
        messages.success(request, f"{form.cleaned_data['new_supplier'].code} is now the Responsible Supplier of "
                                  f"{devices}. Restricted mode is unchanged.")
    return redirect_back(request, device)
