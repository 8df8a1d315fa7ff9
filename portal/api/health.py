"""``GET /api/v1/health/``: the liveness probe for load balancers and ops monitoring.

Public and free of I/O on purpose: it answers ``{"status": "ok"}`` without authenticating, without a
session and without a database query, so it says only that this web process is up and serving. The
gateway benchmark (``python -m benchmarks``) uses it as its reference: the cost of a request through
the same server stack (gunicorn, Django middleware, DRF) with no work behind it.
"""
from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


class HealthView(APIView):
    """The web process is up (no database or Redis check: a liveness, not a readiness probe)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        auth=[],
        responses={200: inline_serializer("Health", fields={"status": serializers.CharField(default="ok")})},
    )
    def get(self, request):
        return Response({"status": "ok"})
