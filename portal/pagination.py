"""Keyset pagination: ``{"next": url|null, "results": [...]}``, never OFFSET, never COUNT(*).

A view sets ``keyset_field`` (a unique, indexed column; default ``pk``). The cursor is the last
row's key, opaque to clients. Deep pages cost the same as the first.

A cursor comes back from the client, so it is checked before it reaches a query: ``decode_cursor``
takes the shape the ordering expects (``int``, ``str``, an aware ``datetime``, or a tuple of them for
a composite key) and refuses anything else - hand-edited, truncated, nested, out of range, text that
cannot be stored - as a 400 (``ValidationError`` on ``cursor``), never a 500.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from portal.text import unstorable_reason

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
#: Far longer than any cursor ``encode_cursor`` writes (a key, or a time and an id).
MAX_CURSOR_LENGTH = 1000
INVALID_CURSOR = "Invalid cursor: use the 'next' link of the previous page."

#: The type of one part of a key: a whole number, text or an aware time.
KeyPart = type[int] | type[str] | type[dt.datetime]
#: A key (one part) or a composite key (a tuple of parts, encoded as a JSON list).
KeyShape = KeyPart | tuple[KeyPart, ...]


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, shape: KeyShape, *, field: models.Field | None = None) -> Any:
    """The key ``cursor`` carries, if it has ``shape`` (and passes ``field``'s validators: its range or
    length); a tuple for a composite key. Raises ``ValidationError`` on ``cursor`` otherwise."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("cursor too long")
        padded = cursor + "=" * (-len(cursor) % 4)
        value = _conform(json.loads(base64.urlsafe_b64decode(padded.encode())), shape)
        if field is not None:
            field.run_validators(value)
        return value
    except (ValueError, TypeError, UnicodeError, binascii.Error, RecursionError, OverflowError,
            DjangoValidationError) as error:
        raise ValidationError({"cursor": [INVALID_CURSOR]}) from error


def _conform(raw: Any, shape: KeyShape) -> Any:
    """``raw`` as a key of ``shape``, or ``ValueError``. JSON types must match exactly (no ``true`` for 1)."""
    if isinstance(shape, tuple):
        if not isinstance(raw, list) or len(raw) != len(shape):
            raise ValueError(f"expected a list of {len(shape)}")
        return tuple(_conform(part, kind) for part, kind in zip(raw, shape, strict=True))
    if shape is int:
        if type(raw) is not int or not -(2 ** 63) <= raw < 2 ** 63:
            raise ValueError("expected a whole number that fits a bigint")
        return raw
    if not isinstance(raw, str) or unstorable_reason(raw):
        raise ValueError("expected text")
    if shape is dt.datetime:
        value = dt.datetime.fromisoformat(raw)
        if value.tzinfo is None:
            raise ValueError("expected a time with its UTC offset")
        value.astimezone(dt.UTC)  # OverflowError past either end of the calendar
        return value
    return raw


def key_shape(queryset: QuerySet, field: str) -> tuple[KeyPart, models.Field]:
    """What a cursor over ``queryset`` ordered by ``field`` (``pk``, ``id``, ``device__device_id``...) holds."""
    model_field = _model_field(queryset.model, field)
    if isinstance(model_field, models.IntegerField):  # AutoField and BigAutoField included
        return int, model_field
    if isinstance(model_field, models.DateTimeField):
        return dt.datetime, model_field
    if isinstance(model_field, models.CharField | models.TextField):
        return str, model_field
    raise TypeError(f"No keyset cursor for a {type(model_field).__name__} ({field}).")


def _model_field(model: type[models.Model], path: str) -> models.Field:
    parts = path.split("__")
    for index, part in enumerate(parts):
        field = model._meta.pk if part == "pk" else model._meta.get_field(part)
        if index == len(parts) - 1:
            if field.is_relation and field.related_model is not None:
                return field.target_field
            return field
        if field.related_model is None:
            raise FieldDoesNotExist(f"{path}: {part} is not a relation")
        model = field.related_model
    raise FieldDoesNotExist(path)


def parse_after(raw: str | None) -> int | None:
    """A results page's ``?after=<row number>``, or None (the first page) when it is not one: ``str.isdigit``
    also accepts "\u00b2" and other digits ``int`` refuses, and a 5,000-digit number is too long for ``int``."""
    if raw and raw.isascii() and raw.isdigit() and len(raw) <= 18:
        return int(raw)
    return None


def parse_limit(raw: str | None, default: int = DEFAULT_LIMIT) -> int:
    if raw in (None, ""):
        return default
    try:
        limit = int(raw)
    except ValueError as error:
        raise ValidationError({"limit": [f"Must be a whole number from 1 to {MAX_LIMIT}."]}) from error
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError({"limit": [f"Must be a whole number from 1 to {MAX_LIMIT}."]})
    return limit


def keyset_page(queryset: QuerySet, *, field: str, cursor: str | None, limit: int,
                descending: bool = False) -> tuple[list, Any]:
    """Return one page of ``queryset`` ordered by ``field`` after ``cursor``, and the next key (or None).

    A cursor that is not a key of ``field``'s type raises ``ValidationError`` (pages catch it)."""
    ordered = queryset.order_by(f"-{field}" if descending else field)
    if cursor:
        shape, model_field = key_shape(queryset, field)
        last = decode_cursor(cursor, shape, field=model_field)
        ordered = ordered.filter(**{f"{field}__{'lt' if descending else 'gt'}": last})
    rows = list(ordered[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last_row = rows[-1]
    next_key = last_row[field] if isinstance(last_row, dict) else getattr(last_row, field.replace("__", "."))
    return rows, next_key


class KeysetPagination(BasePagination):
    cursor_query_param = "cursor"
    limit_query_param = "limit"

    def paginate_queryset(self, queryset, request, view=None):
        field = getattr(view, "keyset_field", "pk")
        descending = getattr(view, "keyset_descending", False)
        limit = parse_limit(request.query_params.get(self.limit_query_param))
        rows, next_key = keyset_page(
            queryset, field=field, cursor=request.query_params.get(self.cursor_query_param),
            limit=limit, descending=descending,
        )
        self._next = None
        if next_key is not None:
            self._next = replace_query_param(
                request.build_absolute_uri(), self.cursor_query_param, encode_cursor(_jsonable(next_key)),
            )
        return rows

    def get_paginated_response(self, data):
        return Response({"next": self._next, "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {"type": "string", "format": "uri", "nullable": True},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": "cursor", "required": False, "in": "query", "schema": {"type": "string"},
             "description": "Opaque cursor from the previous page's `next` link."},
            {"name": "limit", "required": False, "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
             "description": f"Rows per page (default {DEFAULT_LIMIT}, max {MAX_LIMIT})."},
        ]


def _jsonable(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
