"""Gateway REST endpoints: thin translations to ``gateway.services``."""
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from gateway.api.serializers import (
    AlertResultSerializer,
    AlertSerializer,
    ServiceRequestResultSerializer,
    ServiceRequestSerializer,
)
from gateway.choices import Channel
from gateway.selectors import gateway_party_of
from gateway.services import alert_receive, service_request_submit


class ServiceRequestView(APIView):
    @extend_schema(request=ServiceRequestSerializer, responses=ServiceRequestResultSerializer,
                   summary="Submit a service request (answered with a DUIS response code; always logged)")
    def post(self, request):
        body = ServiceRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        scheduled, payment_mode = data.get("scheduled_srv"), data.get("payment_mode")
        body = {"scheduled_srv": scheduled} if scheduled else {"payment_mode": payment_mode} if payment_mode else None
        outcome = service_request_submit(
            party=gateway_party_of(request.user), user=request.user, srv=data["srv"], device_id=data.get("device_id"),
            command_variant=data["command_variant"], channel=Channel.JSON, body=body,
        )
        return Response({"request_id": outcome.request_id, "response_code": outcome.response_code,
                         "detail": outcome.detail})


class AlertView(APIView):
    @extend_schema(request=AlertSerializer, responses=AlertResultSerializer,
                   summary="Submit a device alert (DCC and CSPs): SAT log, or diagnostics log (MP169)")
    def post(self, request):
        body = AlertSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        outcome = alert_receive(party=gateway_party_of(request.user), device_id=body.validated_data["device_id"],
                                alert_code=body.validated_data["alert_code"])
        return Response({"delivered": outcome.delivered, "log": outcome.log})
