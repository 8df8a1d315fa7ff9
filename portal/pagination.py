"""Keyset pagination: ``{"next": url|null, "results": [...]}``, never OFFSET, never COUNT(*).

A view sets ``keyset_field`` (a unique, indexed column; default ``pk``). The cursor is the last
row's key, opaque to clients. Deep pages cost the same as the first.
"""
from __future__ import annotations

import base64
import json
from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Any:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeError) as error:
        raise ValidationError({"cursor": ["Invalid cursor: use the 'next' link of the previous page."]}) from error


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
    """Return one page of ``queryset`` ordered by ``field`` after ``cursor``, and the next key (or None)."""
    ordered = queryset.order_by(f"-{field}" if descending else field)
    if cursor:
        last = decode_cursor(cursor)
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
