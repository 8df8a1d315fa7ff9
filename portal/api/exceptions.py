"""One error shape for the whole API: ``{"code", "detail", "errors"}`` (docs/API.md)."""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
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
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        return _django_limit(exc, context)
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


def _django_limit(exc: Exception, context) -> Response:
    """Django's own request limits fire when DRF reads the body, before any parser of ours: without this
    they would be Django's HTML 400 page. Too large is 413 (as ``LimitedJSONParser`` answers), too many
    fields 400."""
    if isinstance(exc, RequestDataTooBig):
        request = context.get("request")
        length = request.META.get("CONTENT_LENGTH", "") if request is not None else ""
        size = f"is {length} bytes" if str(length).isdecimal() else "is too large"
        return Response({
            "code": "request_too_large", "errors": {},
            "detail": f"The request body {size}; the API accepts bodies up to "
                      f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
        }, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    return Response({"code": "too_many_fields", "detail": f"The request has too many fields: {exc}", "errors": {}},
                    status=status.HTTP_400_BAD_REQUEST)


def _summarise(errors: dict) -> str:
    """One sentence from DRF's field errors, nested ones (a list item, a nested object) named by their
    path, e.g. ``device_ids[0]: This field may not be null.``"""
    parts = []
    for field, messages in errors.items():
        parts.extend(_messages("" if field == "non_field_errors" else str(field), messages))
    return " ".join(parts) or "The request is not valid."


def _messages(path: str, value) -> list[str]:
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in _messages(_child(path, key), item)]
    if isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
        return [text for index, item in enumerate(value) for text in _messages(_child(path, index), item)]
    text = " ".join(str(item) for item in value) if isinstance(value, list) else str(value)
    return [f"{path}: {text}" if path else text] if text else []


def _child(path: str, key) -> str:
    if isinstance(key, int) or str(key).isdecimal():
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)
