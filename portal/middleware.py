"""A request id for every request: from ``X-Request-ID`` if the caller sent a sane one, else new.

Audit rows record it, so a change can be traced back to the request that made it.
"""
from __future__ import annotations

import re
import uuid

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        supplied = request.headers.get("X-Request-ID", "")
        request.request_id = supplied if _SAFE_REQUEST_ID.match(supplied) else uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class NoStoreForAuthenticatedMiddleware:
    """``Cache-Control: no-store, private`` on every response to an authenticated request.

    Pages and API answers for a signed-in user or an API token hold personal or secret data (MPxNs,
    addresses, a new API key, an install code): no browser cache, proxy or back button may keep them.
    It runs after the view, so an API token authenticated by DRF inside the view counts too (DRF sets
    the user on the Django request), and so does any ``Authorization`` header. Static files (served
    by WhiteNoise before this middleware) and pages for visitors keep their own caching. Whatever
    caching header a view set is replaced, unless it already says ``no-store``.
    """

    VALUE = "no-store, private"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        authenticated = (user is not None and user.is_authenticated) or "HTTP_AUTHORIZATION" in request.META
        # A view that already forbids storing (the install-code reveal) keeps its own header.
        if authenticated and "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = self.VALUE
        return response
