"""REST endpoints of MP202: the CPL (list for everyone, DCC-only maintenance), device pre-notification
and joining a device to a hub. Thin: each calls the service and lets the exception handler translate
domain errors."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.api.cpl_serializers import (
    CPLEntryAddSerializer,
    CPLEntrySerializer,
    CPLStatusSerializer,
    DeviceJoinSerializer,
    DevicePrenotifySerializer,
    Mp202DeviceSerializer,
)
from inventory.filtersets import CPLEntryFilterSet
from inventory.selectors import cpl_entry_list, device_get_for
from inventory.services.cpl import cpl_entry_add, cpl_entry_set_status
from inventory.services.devices import device_join_hub, device_prenotify


def _request_id(request) -> str:
    return getattr(request, "request_id", "")


class CPLEntryListView(generics.ListCreateAPIView):
    """The Central Products List. Filters: ``device_type``, ``manufacturer``, ``model``, ``status``,
    ``smets_version``, ``dual_mode``. ``POST`` adds a row (DCC service desk only)."""

    serializer_class = CPLEntrySerializer
    filterset_class = CPLEntryFilterSet
    keyset_field = "id"

    def get_queryset(self):
        return cpl_entry_list()

    @extend_schema(request=CPLEntryAddSerializer, responses={201: CPLEntrySerializer})
    def post(self, request, *args, **kwargs):
        data = CPLEntryAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = cpl_entry_add(actor=request.user, request_id=_request_id(request), **data.validated_data)
        return Response(CPLEntrySerializer(cpl_entry_list().get(pk=entry.pk)).data, status=status.HTTP_201_CREATED)


class CPLEntryStatusView(APIView):
    """Change a CPL row's status (Active, Cancelled, Expired, Withdrawn); DCC service desk only."""

    @extend_schema(request=CPLStatusSerializer, responses={200: CPLEntrySerializer})
    def post(self, request, entry_id: int):
        data = CPLStatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = cpl_entry_set_status(
            actor=request.user, entry_id=entry_id, status=data.validated_data["status"], request_id=_request_id(request),
        )
        return Response(CPLEntrySerializer(cpl_entry_list().get(pk=entry.pk)).data)


class DevicePrenotifyView(APIView):
    """SRV 12.2 over REST: add a device to the SMI as Pending (suppliers only; checked against the CPL)."""

    @extend_schema(request=DevicePrenotifySerializer, responses={201: Mp202DeviceSerializer})
    def post(self, request):
        data = DevicePrenotifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device = device_prenotify(actor=request.user, request_id=_request_id(request), **data.validated_data)
        return Response(Mp202DeviceSerializer(device).data, status=status.HTTP_201_CREATED)


class DeviceJoinView(APIView):
    """Join a device to a hub (SRV 8.11 Add); a PPMID takes the hub's SMETS version (MP202)."""

    @extend_schema(request=DeviceJoinSerializer, responses={200: Mp202DeviceSerializer})
    def post(self, request, device_id: str):
        data = DeviceJoinSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device = device_get_for(request.user.party, device_id)
        device = device_join_hub(actor=request.user, device=device, hub_id=data.validated_data["hub_id"],
                                 request_id=_request_id(request))
        return Response(Mp202DeviceSerializer(device).data)
