"""One error shape for the whole API: ``{"code", "detail", "errors"}`` (docs/API.md)."""
from __future__ import annotations

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from portal.errors import DomainError


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(
            {"code": exc.code, "detail": exc.detail, "errors": exc.errors}, status=exc.status_code,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {"code": "invalid", "detail": _summarise(errors), "errors": errors}
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        if response.status_code == status.HTTP_401_UNAUTHORIZED:
            code = "not_authenticated" if code == "not_authenticated" else "authentication_failed"
        response.data = {"code": code if isinstance(code, str) else "error", "detail": str(detail), "errors": {}}
    return response


def _summarise(errors: dict) -> str:
    parts = []
    for field, messages in errors.items():
        text = " ".join(str(m) for m in messages) if isinstance(messages, list) else str(messages)
        parts.append(text if field == "non_field_errors" else f"{field}: {text}")
    return " ".join(parts) or "The request is not valid."
