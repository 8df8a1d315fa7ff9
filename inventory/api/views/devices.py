"""REST devices API (docs/API.md "Devices"): list, one device, streamed extract, and the MP202 writes:
pre-notification (SRV 12.2) and joining a device to a hub (SRV 8.11)."""
from __future__ import annotations

from django.db.models import F
from django.http import StreamingHttpResponse
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.api.serializers import (
    DeviceDetailSerializer,
    DeviceJoinSerializer,
    DevicePrenotifySerializer,
    DeviceSerializer,
    Mp202DeviceSerializer,
)
from inventory.filtersets import DeviceFilterSet
from inventory.selectors import COLUMN_NAMES, device_get_for, device_queryset_for, sms_devices_for, stream_csv, stream_jsonl
from inventory.services.devices import device_join_hub, device_prenotify
from portal.db_routing import read_alias, replica_reads_view

DEVICE_ID_PATH = OpenApiParameter(
    "device_id", OpenApiTypes.STR, OpenApiParameter.PATH,
    description="EUI-64 Device ID, e.g. 00-DB-12-34-56-78-90-A0 (lower case accepted).",
)


def request_id_of(request) -> str:
    """The request's id (``RequestIdMiddleware``), or "" when there is none."""
    return getattr(request, "request_id", "")


class DeviceListView(generics.ListAPIView):
    """Devices you may see in the SSI inventory, in Device ID order (keyset paginated)."""

    serializer_class = DeviceSerializer
    filterset_class = DeviceFilterSet
    keyset_field = "device_id"

    def get_queryset(self):
        party = getattr(self.request.user, "party", None)  # None while the schema is generated
        return device_queryset_for(party).annotate(hub_device_id=F("hub__device_id"))


@extend_schema(parameters=[DEVICE_ID_PATH], responses={200: DeviceDetailSerializer, 400: None, 404: None})
class DeviceDetailView(APIView):
    """One device with its Smart Metering System (the hub and the devices joined to it)."""

    serializer_class = DeviceDetailSerializer

    def get(self, request, device_id: str):
        device = device_get_for(request.user.party, device_id)
        sms = sms_devices_for(request.user.party, device)
        return Response(DeviceDetailSerializer(device, context={"request": request, "sms": sms}).data)


class IgnoreFormatNegotiation(BaseContentNegotiation):
    """The extract's ``?format=`` chooses the file format, not DRF's renderer: errors are always JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


EXTRACT_FORMATS = {
    "csv": ("text/csv; charset=utf-8", stream_csv),
    "jsonl": ("application/x-ndjson", stream_jsonl),
}


@extend_schema(
    filters=True,
    parameters=[
        OpenApiParameter("format", OpenApiTypes.STR, enum=list(EXTRACT_FORMATS), default="csv",
                         description="csv (header row first) or jsonl (one JSON object per line)."),
    ],
    responses={
        (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV, columns: " + ", ".join(COLUMN_NAMES)),
        (200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.STR, description="JSON lines, same fields."),
        400: None,
    },
)
class DeviceExtractView(generics.GenericAPIView):
    """A streamed extract of the devices the list would show, with the same filters."""

    filterset_class = DeviceFilterSet
    filter_backends = [DjangoFilterBackend]
    pagination_class = None
    content_negotiation_class = IgnoreFormatNegotiation

    def get_queryset(self):
        return device_queryset_for(getattr(self.request.user, "party", None))

    @replica_reads_view("device extract stream")
    def get(self, request):
        file_format = request.query_params.get("format", "csv")
        if file_format not in EXTRACT_FORMATS:
            raise ValidationError({"format": [f"Choose one of: {', '.join(EXTRACT_FORMATS)}."]})
        # The rows stream after the view returns: the queryset carries the database the block chose.
        queryset = self.filter_queryset(self.get_queryset()).using(read_alias())
        content_type, stream = EXTRACT_FORMATS[file_format]
        response = StreamingHttpResponse(stream(queryset), content_type=content_type)
        filename = f"devices-{timezone.now():%Y%m%d-%H%M%S}.{file_format}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response


class DevicePrenotifyView(APIView):
    """SRV 12.2 over REST: add a device to the SMI as Pending (suppliers only; checked against the CPL)."""

    @extend_schema(request=DevicePrenotifySerializer, responses={201: Mp202DeviceSerializer})
    def post(self, request):
        data = DevicePrenotifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device = device_prenotify(actor=request.user, request_id=request_id_of(request), **data.validated_data)
        return Response(Mp202DeviceSerializer(device).data, status=status.HTTP_201_CREATED)


class DeviceJoinView(APIView):
    """Join a device to a hub (SRV 8.11 Add); a PPMID takes the hub's SMETS version (MP202)."""

    @extend_schema(request=DeviceJoinSerializer, responses={200: Mp202DeviceSerializer})
    def post(self, request, device_id: str):
        data = DeviceJoinSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device = device_get_for(request.user.party, device_id)
        device = device_join_hub(actor=request.user, device=device, hub_id=data.validated_data["hub_id"],
                                 request_id=request_id_of(request))
        return Response(Mp202DeviceSerializer(device).data)
