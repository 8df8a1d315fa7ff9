"""DCC pages for DUIS User IDs (RD-1): every party with its User IDs, and one party's identities with the
register form, revoke buttons and the audit trail. Rules are in ``gateway.duis.identities``."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from gateway.duis.identities import (
    DUIS_USER_ROLES,
    duis_identities_of,
    duis_identity_edit_refusal,
    duis_identity_register,
    duis_identity_revoke,
)
from gateway.models import DuisIdentityChange
from portal.errors import DomainError
from portal.forms import PortalForm
from portal.models import Party
from portal.pages import form_add_domain_error, not_allowed_page


class DuisIdentityRegisterForm(PortalForm):
    user_id = forms.CharField(label="User ID", max_length=40, help_text="EUI-64, e.g. 90-B3-D5-1F-30-01-00-00.")
    role = forms.ChoiceField(choices=[(role.value, f"{role.value} {role.label}") for role in DUIS_USER_ROLES])
    certificate_pem = forms.CharField(
        label="Signing certificate (PEM)", max_length=20000, strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text="Its subject's x500UniqueIdentifier must be the User ID.")
    reason = forms.CharField(max_length=250, required=False)


class DuisIdentityRevokeForm(PortalForm):
    user_id = forms.CharField(max_length=40)
    reason = forms.CharField(max_length=250, required=False)


def _forbidden(request: HttpRequest) -> HttpResponse | None:
    refusal = duis_identity_edit_refusal(request.user)
    if refusal is not None:
        return not_allowed_page(request, refusal.detail)
    return None


@login_required
def duis_identity_parties(request: HttpRequest) -> HttpResponse:
    forbidden = _forbidden(request)
    if forbidden:
        return forbidden
    parties = (Party.objects.exclude(roles__overlap=["DCC", "CSP"])
               .annotate(active_ids=Count("duis_identities", filter=Q(duis_identities__revoked_at__isnull=True)))
               .order_by("code"))
    return render(request, "gateway/duis_identity_parties.html", {"parties": parties})


@login_required
def duis_identity_party(request: HttpRequest, code: str) -> HttpResponse:
    forbidden = _forbidden(request)
    if forbidden:
        return forbidden
    party = get_object_or_404(Party, code=code)
    form = DuisIdentityRegisterForm()
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            revoke = DuisIdentityRevokeForm(request.POST)
            if revoke.is_valid():
                try:
                    duis_identity_revoke(actor=request.user, party=party, **revoke.cleaned_data)
                except DomainError as error:
                    messages.error(request, error.detail)
                else:
                    messages.success(request, f"User ID {revoke.cleaned_data['user_id']} revoked: nothing it signs "
                                              "is accepted any more.")
            return redirect("gateway:duis-identity-party", code=party.code)
        form = DuisIdentityRegisterForm(request.POST)
        if form.is_valid():
            try:
                identity = duis_identity_register(actor=request.user, party=party, **form.cleaned_data)
            except DomainError as error:
                form_add_domain_error(form, error)
            else:
                messages.success(request, f"User ID {identity.user_id} registered for {party.code} as {identity.role}.")
                return redirect("gateway:duis-identity-party", code=party.code)
    return render(request, "gateway/duis_identity_party.html", {
        "party": party, "form": form, "identities": duis_identities_of(actor=request.user, party=party),
        "history": DuisIdentityChange.objects.filter(party=party).select_related("actor", "actor_party")[:100],
    }, status=400 if form.errors else 200)
