"""REST entry points of the CSP restriction-notice desk (R169-17) and the hub replacement (R169-12). They
translate; the rules are in ``inventory.services.csp_notices`` and ``inventory.services.hub_replacement``."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.api.serializers import (
    HubReplacementSerializer,
    HubReplaceRequestSerializer,
    NoticeAcknowledgeSerializer,
    RestrictionNoticeSerializer,
)
from inventory.api.views.devices import DEVICE_ID_PATH
from inventory.models import RestrictionNotice
from inventory.selectors import NOTICE_STATES, device_get_for, restriction_notices_for
from inventory.services.csp_notices import restriction_notice_acknowledge
from inventory.services.hub_replacement import hub_replace, hub_replace_refusal, replacement_hub_get
from portal.errors import ValidationFailed

_ACKNOWLEDGED = inline_serializer("NoticesAcknowledged", {"acknowledged": RestrictionNoticeSerializer(many=True)})


@extend_schema(parameters=[OpenApiParameter("state", str, enum=list(NOTICE_STATES), default="all")],
               responses={200: RestrictionNoticeSerializer(many=True), 400: None})
class RestrictionNoticeListView(generics.ListAPIView):
    """The caller's restriction notices, newest first (a CSP its own; the DCC all; others none)."""

    serializer_class = RestrictionNoticeSerializer
    keyset_field = "id"
    keyset_descending = True

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return RestrictionNotice.objects.none()
        state = self.request.query_params.get("state", "all")
        if state not in NOTICE_STATES:
            raise ValidationFailed(f"state must be one of {', '.join(NOTICE_STATES)}.", code="invalid_state",
                                   errors={"state": [f"One of {', '.join(NOTICE_STATES)}."]})
        return restriction_notices_for(self.request.user.party, state=state)


def _acknowledge(request, ids: list[int]) -> Response:
    notices = restriction_notice_acknowledge(actor=request.user, notice_ids=ids)
    fresh = restriction_notices_for(request.user.party).filter(pk__in=[notice.pk for notice in notices])
    return Response({"acknowledged": RestrictionNoticeSerializer(fresh, many=True).data})


@extend_schema(request=NoticeAcknowledgeSerializer, responses={200: _ACKNOWLEDGED, 400: None, 403: None, 404: None,
                                                               409: None})
class RestrictionNoticeAcknowledgeView(APIView):
    """Acknowledge many notices at once: all or none (404 names unknown ones, 409 already acknowledged ones)."""

    def post(self, request):
        body = NoticeAcknowledgeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return _acknowledge(request, body.validated_data["ids"])


class RestrictionNoticeAcknowledgeOneView(APIView):
    """Acknowledge one notice."""

    @extend_schema(operation_id="api_v1_restriction_notice_acknowledge_one", request=None,
                   responses={200: _ACKNOWLEDGED, 403: None, 404: None, 409: None})
    def post(self, request, notice_id: int):
        return _acknowledge(request, [notice_id])


@extend_schema(parameters=[DEVICE_ID_PATH], request=HubReplaceRequestSerializer,
               responses={200: HubReplacementSerializer, 400: None, 403: None, 404: None, 409: None, 422: None})
class HubReplaceView(APIView):
    """Replace a hub (R169-12): its SMS moves to ``new_hub_id``; a restricted gas meter's flag moves to the new GPF."""

    def post(self, request, device_id: str):
        old_hub = device_get_for(request.user.party, device_id)
        refusal = hub_replace_refusal(actor=request.user, old_hub=old_hub)  # who, before anything about the new hub
        if refusal is not None:
            raise refusal
        body = HubReplaceRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        new_hub = replacement_hub_get(actor=request.user, device_id=body.validated_data["new_hub_id"])
        replacement = hub_replace(actor=request.user, old_hub=old_hub, new_hub=new_hub,
                                  reason=body.validated_data["reason"], request_id=request.request_id)
        return Response(HubReplacementSerializer(replacement).data)


__all__ = ["HubReplaceView", "RestrictionNoticeAcknowledgeOneView", "RestrictionNoticeAcknowledgeView",
           "RestrictionNoticeListView"]
