"""Domain errors raised by services. Views and API views translate them; they never decide rules.

Each carries a machine ``code``, a human ``detail`` and the HTTP status the API answers with.
"""
from __future__ import annotations


class DomainError(Exception):
    status_code = 400
    default_code = "invalid"

    def __init__(self, detail: str, *, code: str | None = None, errors: dict | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.default_code
        self.errors = errors or {}


class ValidationFailed(DomainError):
    """Malformed input (400)."""

    status_code = 400
    default_code = "invalid"


class PermissionDenied(DomainError):
    """The actor's party may not do this (403)."""

    status_code = 403
    default_code = "forbidden"


class NotFound(DomainError):
    """Unknown (or not visible to the actor) object (404)."""

    status_code = 404
    default_code = "not_found"


class Conflict(DomainError):
    """The object's state does not allow it (409)."""

    status_code = 409
    default_code = "conflict"


class RuleRefused(DomainError):
    """A business rule refuses the request (422), e.g. a prepayment meter cannot be restricted."""

    status_code = 422
    default_code = "rule_refused"
