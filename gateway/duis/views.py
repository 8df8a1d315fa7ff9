"""``POST /duis/``: DUIS 5.4 XML over HTTP, authenticated like the REST API (token, or session + CSRF)."""
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.parsers import BaseParser
from rest_framework.views import APIView

from gateway.duis.dispatch import duis_request_handle
from gateway.duis.messages import MAX_MESSAGE_BYTES
from gateway.selectors import gateway_party_of


class RawXMLParser(BaseParser):
    """Hands the body to the DUIS parser untouched (it parses safely and validates against the schema).

    Reads at most one byte more than the size limit, so an endless or huge body cannot fill memory
    and is still refused as too large."""

    media_type = "application/xml"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read(MAX_MESSAGE_BYTES + 1)


class TextXMLParser(RawXMLParser):
    media_type = "text/xml"


class DuisView(APIView):
    parser_classes = [RawXMLParser, TextXMLParser]

    @extend_schema(
        request={"application/xml": {"type": "string"}}, responses={(200, "application/xml"): {"type": "string"}},
        summary="DUIS 5.4 request in, DUIS response out (8.2: sr:DSPInventory; others: acknowledgement)",
        examples=[OpenApiExample("8.2 by DeviceID", value="<sr:Request ...>", request_only=True)],
    )
    def post(self, request):
        data = request.data if isinstance(request.data, bytes) else b""
        answer = duis_request_handle(data=data, party=gateway_party_of(request.user), user=request.user)
        return HttpResponse(answer, content_type="application/xml; charset=utf-8")
