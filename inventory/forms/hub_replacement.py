"""The hub replacement form (R169-12): which installed hub takes over the SMS.

Rules: ``inventory.services.hub_replacement``."""
from __future__ import annotations

from django import forms

from portal.eui64 import EUI64_EXAMPLE


class HubReplaceForm(forms.Form):
    new_hub_id = forms.CharField(
        max_length=23, label="Replacement hub (CHF) Device ID",
        help_text=f"The Communications Hub Function installed in its place, e.g. {EUI64_EXAMPLE}.",
    )
    reason = forms.CharField(max_length=200, required=False, label="Reason (optional)",
                             help_text="For example: 2G/3G to 4G hub replacement, faulty hub.")
