"""REST entry point of the premises timeline: ``GET /api/v1/premises/<device_id>/timeline/``."""
from __future__ import annotations

import datetime

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from inventory.selectors import device_get_for
from portal.pagination import parse_limit
from premises.selectors import PAGE_SIZE, sms_timeline


class TimelineEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField(default_timezone=datetime.UTC)
    source = serializers.ChoiceField(choices=["restriction", "supplier_change", "hub_replacement", "alert_withheld",
                                              "firmware", "incident"])
    id = serializers.IntegerField(source="pk", help_text="The record's id in its own table.")
    title = serializers.CharField()
    detail = serializers.CharField()
    device_id = serializers.CharField()
    url = serializers.CharField(help_text="The record's page.")


@extend_schema(
    parameters=[OpenApiParameter("device_id", str, OpenApiParameter.PATH, description="Any device of the SMS."),
                OpenApiParameter("cursor", str), OpenApiParameter("limit", int)],
    responses={200: inline_serializer("Timeline", {"next": serializers.CharField(allow_null=True),
                                                   "results": TimelineEventSerializer(many=True)}),
               400: None, 404: None},
)
class TimelineView(APIView):
    """The SMS's timeline, newest first: restriction and supplier changes, hub replacements, withheld alerts,
    firmware requests and incidents, as the caller's party may read them (keyset paged)."""

    def get(self, request, device_id: str):
        device = device_get_for(request.user.party, device_id)
        limit = parse_limit(request.query_params.get("limit"), default=PAGE_SIZE)
        result = sms_timeline(user=request.user, device=device, cursor=request.query_params.get("cursor"),
                              limit=limit)
        next_url = None
        if result.next_cursor:
            next_url = replace_query_param(request.build_absolute_uri(), "cursor", result.next_cursor)
        return Response({"next": next_url, "results": TimelineEventSerializer(result.events, many=True).data})
