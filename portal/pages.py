"""Domain errors on pages, translated in one place (``portal.api.exceptions`` does it for the API).

Services raise ``portal.errors.DomainError`` subclasses with a human ``detail``; a page shows them as a
person expects: unknown (or not visible) is the 404 page, not allowed is the 403 page with the reason,
and a refusal of a form's content goes back on the form, beside the fields it names. Views never
decide a rule; they only choose which of these applies.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from portal.errors import DomainError, NotFound, PermissionDenied


def not_allowed_page(request: HttpRequest, reason: str, *, back_url: str = "", back_label: str = "",
                     heading: str = "") -> HttpResponse:
    """The one "not allowed" page (403): what the user cannot do and why, with a way back."""
    return render(request, "403.html", {"reason": reason, "back_url": back_url, "back_label": back_label,
                                        "heading": heading}, status=403)


View = Callable[..., HttpResponse]


def refused_roles_see_why(refusal: Callable[[Any], DomainError | None], *, back_url: str = "",
                          back_label: str = "", heading: str = "") -> Callable[[View], View]:
    """Decorator: before a page with a form, ask the service's ``*_refusal(actor)``; a role that could never
    submit it gets the not-allowed page saying why (a page that explains, not a form refused after
    submitting). The same function builds the navigation and the home page, so what is linked is allowed."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            error = refusal(request.user)
            if error is not None:
                return not_allowed_page(request, error.detail, back_url=back_url, back_label=back_label,
                                        heading=heading)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def domain_errors_as_pages(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorator: a ``NotFound`` escaping ``view`` is the 404 page, a ``PermissionDenied`` the 403 page with
    its reason. Other refusals belong on the view's form (``form_add_domain_error``) and pass through."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(error.detail) from error
        except PermissionDenied as error:
            return not_allowed_page(request, error.detail)

    return wrapper


def form_add_domain_error(form: forms.Form, error: DomainError, *, field_map: dict[str, str] | None = None,
                          then: str = "") -> None:
    """Put a service's refusal on ``form``: the detail in the error summary (followed by ``then``, e.g. "Nothing
    was changed."), each field error beside its field (``field_map`` renames the service's field names to the
    form's). A field that already has an error from the form's own checks keeps only that one, so a message is
    never shown twice."""
    form.add_error(None, f"{error.detail} {then}" if then else error.detail)
    for field, field_errors in error.errors.items():
        field = (field_map or {}).get(field, field)
        if field in form.fields and field not in form.errors:
            form.add_error(field, field_errors)

