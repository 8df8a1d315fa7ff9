"""JSON parsing with a size limit: DRF reads the whole body, and Django's upload limits do not apply to it."""
from __future__ import annotations

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class PayloadTooLarge(ParseError):
    status_code = 413
    default_code = "payload_too_large"


class LimitedJSONParser(JSONParser):
    """Refuses a JSON body larger than ``settings.API_MAX_JSON_BYTES`` before reading it.

    The limit fits the largest legitimate body (a 100,000-row bulk install-code request is ~3 MB).
    """

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        limit = settings.API_MAX_JSON_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        except ValueError:
            length = 0
        if length > limit:
            raise PayloadTooLarge(f"The request body is {length} bytes; the API accepts JSON bodies up to {limit} bytes.")
        return super().parse(stream, media_type, parser_context)
