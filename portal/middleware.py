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
