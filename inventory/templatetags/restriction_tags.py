"""``{% restriction_panel device %}``: the MP169 panel on the device page (state, form, history).

Owned by the MP169 work; the device page only includes the tag. Whether the form is offered is
the service's answer (``restriction_refusal``), never a rule re-written here.
"""
from __future__ import annotations

from django import template

from inventory.forms import RestrictionForm, SupplierChangeForm
from inventory.models import Device
from inventory.selectors import restriction_history_for
from inventory.services.restriction import restriction_refusal
from inventory.services.supplier_changes import supplier_change_refusal
from portal.errors import PermissionDenied

register = template.Library()

#: History rows shown in the panel; the CSV download has them all.
PANEL_HISTORY_ROWS = 20


@register.inclusion_tag("inventory/_restriction_panel.html", takes_context=True)
def restriction_panel(context, device: Device) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    refusal = restriction_refusal(device=device, actor=user) if signed_in else None
    may_change = signed_in and refusal is None
    history = list(restriction_history_for(device, getattr(user, "party", None))[: PANEL_HISTORY_ROWS + 1])
    # After a refused submit the view puts the bound form (the user's answers and every error) in the context.
    form = context.get("restriction_form") if may_change else None
    if may_change and form is None:
        form = RestrictionForm(currently_restricted=device.restricted)
    return {
        "device": device,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "may_change": may_change,
        # The responsible supplier is told why the form is not offered; everyone else just sees it read-only.
        "refusal": refusal if signed_in and not isinstance(refusal, PermissionDenied) else None,
        "form": form,
        "supplier_form": SupplierChangeForm() if signed_in and supplier_change_refusal(actor=user) is None else None,
        "history": history[:PANEL_HISTORY_ROWS],
        "history_truncated": len(history) > PANEL_HISTORY_ROWS,
        "next": context.get("restriction_next") or (request.get_full_path() if request is not None else ""),
    }
