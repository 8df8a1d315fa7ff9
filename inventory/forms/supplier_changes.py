"""The DCC's Change of Supplier form (R169-5). It only shapes input; the rules are
``inventory.services.supplier_changes``."""
from __future__ import annotations

from django import forms

from portal.choices import SUPPLIER_ROLES
from portal.forms import PortalForm
from portal.models import Party


class SupplierChangeForm(PortalForm):
    """DCC records a Change of Supplier on a device (R169-5)."""

    new_supplier = forms.ModelChoiceField(
        label="New Responsible Supplier",
        queryset=Party.objects.filter(roles__overlap=sorted(SUPPLIER_ROLES)).order_by("code"),
    )
