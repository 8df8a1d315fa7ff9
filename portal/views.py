"""The user's API tokens page (issue, show once, revoke)."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from portal.errors import DomainError
from portal.forms import ApiTokenForm
from portal.models import ApiToken
from portal.services import api_token_issue, api_token_revoke


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    new_key = None
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _token, new_key = api_token_issue(user=request.user, name=form.cleaned_data["name"])
        messages.success(request, "API token created. Copy it now: it is not shown again.")
        form = ApiTokenForm()
    tokens = request.user.api_tokens.all()
    return render(request, "portal/api_tokens.html", {"form": form, "tokens": tokens, "new_key": new_key})


@login_required
@require_POST
def api_token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    try:
        api_token_revoke(token=token, actor=request.user)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"Token {token.prefix}… revoked.")
    return redirect("api-tokens")
