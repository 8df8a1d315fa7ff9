"""JSON parsing that refuses what the API cannot handle before any view sees it: a body over the size
limit (Django's upload limits do not apply to it), nesting deeper than any request needs (Python's
parser raises ``RecursionError`` near 1,000 levels, and a value nested hundreds deep breaks storing it),
and lone surrogates (``"\\udc00"`` decodes to half of a UTF-16 pair, which can be neither stored nor
rendered back in an error message). NUL is valid JSON and refused where text is stored (``portal.text``).
"""
from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils.json import strict_constant

from portal.errors import ValidationFailed
from portal.text import Path, find_unstorable

#: The deepest body the API takes: ``{"changes": [{"reason": ...}]}`` is three levels.
MAX_JSON_DEPTH = 32
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class PayloadTooLarge(ParseError):
    status_code = 413
    default_code = "request_too_large"


class NestedTooDeeply(ParseError):
    default_code = "nested_too_deeply"


class LimitedJSONParser(JSONParser):
    """Refuses a JSON body larger than ``settings.API_MAX_JSON_BYTES`` before reading it, and one nested
    deeper than ``MAX_JSON_DEPTH`` or holding a lone surrogate after reading it.

    The limit fits the largest legitimate body (a 100,000-row bulk install-code request is ~3 MB).
    """

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context.get("request")
        limit = settings.API_MAX_JSON_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        except ValueError:
            length = 0
        if length > limit:
            raise PayloadTooLarge(f"The request body is {length} bytes; the API accepts JSON bodies up to {limit} bytes.")
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
            data = json.loads(text, parse_constant=strict_constant if self.strict else None)
        except RecursionError as error:
            raise _too_deep() from error
        except ValueError as error:  # includes UnicodeDecodeError and json.JSONDecodeError
            raise ParseError(f"JSON parse error - {error}") from error
        if text.count("[") + text.count("{") > MAX_JSON_DEPTH and _deeper_than(data, MAX_JSON_DEPTH):
            raise _too_deep()
        if _SURROGATE_ESCAPE.search(text):
            found = find_unstorable(data, nul=False)
            if found is not None:
                raise _unstorable(*found)
        return data


def _too_deep() -> NestedTooDeeply:
    return NestedTooDeeply(f"The JSON body is nested too deeply: at most {MAX_JSON_DEPTH} levels of arrays and "
                           "objects are accepted.")


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether arrays and objects in ``data`` nest more than ``limit`` levels (walked without recursion)."""
    stack = [(data, 1)] if isinstance(data, dict | list) else []
    while stack:
        node, level = stack.pop()
        if level > limit:
            return True
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, dict | list):
                stack.append((child, level + 1))
    return False


def _unstorable(path: Path, reason: str) -> ValidationFailed:
    """Name the place (``changes[1].reason``, and the row: list items are rows to the user) and refuse."""
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{_printable(part)}" for part in path).lstrip(".")
    rows = [part for part in path if isinstance(part, int)]
    place = f"{where} (row {rows[-1] + 1})" if rows else (where or "the body")
    return ValidationFailed(
        f"In the JSON body, {place} {reason}, which cannot be stored: remove it. Nothing was changed.",
        code="bad_characters", errors={where or "body": [f"This value {reason}."]},
    )


def _printable(key: str) -> str:
    """A key as JSON would escape it, so a key that is itself the problem can still be shown."""
    return json.dumps(key)[1:-1]
