"""``GET /api/v1/health/``: the liveness probe for load balancers and ops monitoring.

Public and free of I/O on purpose: it answers ``{"status": "ok"}`` without authenticating, without a
session and without a database query, so it says only that this web process is up and serving. With a
read replica configured (``DATABASE_REPLICA_URL``) it also reports the replica's state and lag under
``database_replica``, from the process's probe (``portal.db_routing.replica_status``: at most one probe per
``DATABASE_REPLICA_PROBE_SECONDS``, so the endpoint stays cheap). The
gateway benchmark (``python -m benchmarks``) uses it as its reference: the cost of a request through
the same server stack (gunicorn, Django middleware, DRF) with no work behind it.
"""
from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.db_routing import replica_configured, replica_status


class HealthView(APIView):
    """The web process is up (no database or Redis check: a liveness, not a readiness probe)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        auth=[],
        responses={200: inline_serializer("Health", fields={
            "status": serializers.CharField(default="ok"),
            "database_replica": inline_serializer("HealthReplica", required=False, fields={
                "configured": serializers.BooleanField(), "available": serializers.BooleanField(),
                "lag_seconds": serializers.FloatField(allow_null=True),
                "max_lag_seconds": serializers.FloatField(), "lag_policy": serializers.CharField(),
                "error": serializers.CharField(required=False),
            }),
        })},
    )
    def get(self, request):
        if not replica_configured():
            return Response({"status": "ok"})
        return Response({"status": "ok", "database_replica": replica_status().as_dict()})
