"""REST endpoints of the Central Products List (MP202): the list for everyone, DCC-only maintenance
(device pre-notification and joining a hub are ``inventory.api.views.devices``). Thin: each calls the
service and lets the exception handler translate domain errors."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.api.serializers import CPLEntryAddSerializer, CPLEntrySerializer, CPLStatusSerializer
from inventory.api.views.devices import request_id_of
from inventory.filtersets import CPLEntryFilterSet
from inventory.selectors import cpl_entry_list
from inventory.services.cpl import cpl_entry_add, cpl_entry_set_status


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
        entry = cpl_entry_add(actor=request.user, request_id=request_id_of(request), **data.validated_data)
        return Response(CPLEntrySerializer(cpl_entry_list().get(pk=entry.pk)).data, status=status.HTTP_201_CREATED)


class CPLEntryStatusView(APIView):
    """Change a CPL row's status (Active, Cancelled, Expired, Withdrawn); DCC service desk only."""

    @extend_schema(request=CPLStatusSerializer, responses={200: CPLEntrySerializer})
    def post(self, request, entry_id: int):
        data = CPLStatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = cpl_entry_set_status(
            actor=request.user, entry_id=entry_id, status=data.validated_data["status"], request_id=request_id_of(request),
        )
        return Response(CPLEntrySerializer(cpl_entry_list().get(pk=entry.pk)).data)
