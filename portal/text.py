"""Text PostgreSQL can store. ``text`` and ``jsonb`` hold neither U+0000 (NUL) nor a lone surrogate
(U+D800-U+DFFF: half of a UTF-16 pair, not a character, with no UTF-8 form), so input carrying either
is refused before anything is written: a write that fails half-way through a bulk change is worse
than a clear refusal of the whole.

``unstorable_reason`` is the one check; ``refuse_unstorable`` raises the domain error for it.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from portal.errors import ValidationFailed

_NUL_OR_SURROGATE = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")

#: A path into a nested value: dict keys and list indexes, outermost first.
Path = tuple[str | int, ...]


def _describe(char: str) -> str:
    if char == "\x00":
        return "contains a NUL character (\\u0000)"
    return f"contains a lone surrogate (\\u{ord(char):04x}: half of a UTF-16 pair, not a character)"


def find_unstorable(value: Any, *, nul: bool = True) -> tuple[Path, str] | None:
    """The first place in ``value`` (a string, or dicts and lists of them, keys included) holding text
    that cannot be stored, with why; None when all of it can be. ``nul=False`` looks for surrogates only.

    Iterative, so a deeply nested value cannot exhaust the stack.
    """
    pattern = _NUL_OR_SURROGATE if nul else _SURROGATE
    for path, text in _strings(value):
        match = pattern.search(text)
        if match is not None:
            return path, _describe(match.group())
    return None


def _strings(value: Any) -> Iterator[tuple[Path, str]]:
    stack: list[tuple[Path, Any]] = [((), value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, str):
            yield path, node
        elif isinstance(node, dict):
            children = list(node.items())
            for key, _item in children:
                if isinstance(key, str):
                    yield (*path, key), key
            stack.extend(((*path, key), item) for key, item in reversed(children))
        elif isinstance(node, list | tuple):
            stack.extend(((*path, index), item) for index, item in reversed(list(enumerate(node))))


def unstorable_reason(value: Any) -> str | None:
    """Why ``value`` cannot be stored ("contains a NUL character (\\u0000)", ...), or None if it can."""
    found = find_unstorable(value)
    return found[1] if found else None


def refuse_unstorable(value: Any, *, subject: str, field: str | None = None,
                      unchanged: str = "Nothing was changed.") -> None:
    """Raise ``ValidationFailed`` (``bad_characters``) when ``value`` holds text that cannot be stored.

    ``subject`` starts the sentence ("The reason", "Row 2"); ``field`` names the field error, if any.
    """
    reason = unstorable_reason(value)
    if reason is None:
        return
    raise ValidationFailed(
        f"{subject} {reason}, which cannot be stored: remove it. {unchanged}".strip(), code="bad_characters",
        errors={field: [f"{subject} {reason}."]} if field else {},
    )
