"""``Authorization: Token <key>`` authentication against hashed per-user API tokens, and the username
django-axes records for a failed login.

A token found active is remembered per process for ``API_TOKEN_CACHE_SECONDS`` (default 5; 0 turns it off),
so a client's burst of requests costs one lookup, not one per request (the gateway's throughput,
docs/decisions/0005). The price: another web process may accept a token for up to that long after it was
revoked or its user deactivated; the process that revokes forgets it at once (``api_token_cache_forget``).
"""
from __future__ import annotations

import copy
import threading
import time

from django.conf import settings
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from portal.models import ApiToken

_cache: dict[str, tuple[float, ApiToken]] = {}
_cache_lock = threading.Lock()
_CACHE_MAX = 10_000


def _find_active(key: str) -> ApiToken | None:
    seconds = getattr(settings, "API_TOKEN_CACHE_SECONDS", 5)
    if seconds <= 0:
        return ApiToken.find_active(key)
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] > now:
        return copy.deepcopy(hit[1])  # each request its own instances: nothing leaks between requests
    token = ApiToken.find_active(key)
    if token is not None:
        with _cache_lock:
            if len(_cache) >= _CACHE_MAX:
                _cache.clear()
            _cache[key] = (now + seconds, copy.deepcopy(token))
    return token


def api_token_cache_forget(token_pk: int | None = None) -> None:
    """Forget a token (or every token) in this process, e.g. at once when it is revoked."""
    with _cache_lock:
        for key in [k for k, (_, token) in _cache.items() if token_pk is None or token.pk == token_pk]:
            del _cache[key]


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header: expected 'Token <key>'.")
        try:
            key = header[1].decode()
        except UnicodeError as error:
            raise exceptions.AuthenticationFailed("Invalid token header: the key is not text.") from error
        token = _find_active(key)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked API token.")
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            with _cache_lock:
                hit = _cache.get(key)
                if hit is not None:
                    hit[1].last_used_at = now
        return token.user, token

    def authenticate_header(self, request) -> str:
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "portal.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey", "in": "header", "name": "Authorization",
            "description": "Per-user API token issued in the portal: `Token <key>`.",
        }


#: django-axes keeps the username of a failed login in a ``varchar(255)`` column.
AXES_USERNAME_MAX_LENGTH = 255


def axes_username(request, credentials: dict | None = None) -> str | None:
    """The username django-axes counts a failed login against (``AXES_USERNAME_CALLABLE``).

    As axes itself reads it (the credentials, else the posted form), but cut to the column it is stored
    in and without NUL: Django's login form does not limit the username's length, so a longer one
    reached axes' insert and failed with a 500. No account has such a name (usernames are at most 150
    characters), so counting it under its first 255 characters loses nothing.
    """
    if credentials:
        username = credentials.get("username")
    elif request is not None:
        username = getattr(request, "data", request.POST).get("username")
    else:
        username = None
    if username is None:
        return None
    return str(username).replace("\x00", "")[:AXES_USERNAME_MAX_LENGTH]
