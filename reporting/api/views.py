"""REST reports (docs/API.md "Reports"). Scoping and snapshot-or-live are the selectors' business."""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from portal.db_routing import replica_reads_view
from portal.pagination import decode_cursor, encode_cursor, parse_limit
from reporting import selectors
from reporting.api.serializers import FirmwareReportSerializer, PerformanceReportSerializer, SlaReportSerializer
from reporting.months import parse_month

MONTH_PATH = OpenApiParameter(
    "month", OpenApiTypes.STR, OpenApiParameter.PATH,
    description="Report month YYYY-MM (UTC calendar month); not in the future.",
)
BAD_MONTH = OpenApiResponse(description="Malformed month or a month in the future: {code, detail, errors}.")


def _envelope(report) -> dict:
    return {
        "month": f"{report.month:%Y-%m}" if report.month else None, "source": report.source,
        "version": report.version, "generated_at": report.generated_at, "rules": report.rules,
    }


@extend_schema(parameters=[MONTH_PATH], responses={200: PerformanceReportSerializer, 400: BAD_MONTH})
class PerformanceReportView(APIView):
    """Monthly service-request performance per CSP region and SRV category (R169-10), scoped to your party."""

    @replica_reads_view("performance report")
    def get(self, request, month: str):
        report = selectors.performance_report_for(request.user.party, parse_month(month), with_trend=False)
        return Response(PerformanceReportSerializer({**_envelope(report), "rows": report.rows}).data)


@extend_schema(parameters=[MONTH_PATH], responses={200: SlaReportSerializer, 400: BAD_MONTH})
class InstallCodeSlaReportView(APIView):
    """Monthly install-code request SLA per installing supplier, plus national totals (R121-10)."""

    @replica_reads_view("install-code SLA report")
    def get(self, request, month: str):
        report = selectors.install_code_sla_report_for(request.user.party, parse_month(month), with_trend=False)
        return Response(SlaReportSerializer({**_envelope(report), "rows": report.rows}).data)


@extend_schema(
    parameters=[
        OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM: the stored snapshot of that month "
                         "instead of the live list."),
        OpenApiParameter("limit", OpenApiTypes.INT, description="Devices per page (1-1000, default 50)."),
        OpenApiParameter("cursor", OpenApiTypes.STR, description="The 'next' link's cursor."),
    ],
    responses={200: FirmwareReportSerializer, 400: BAD_MONTH, 404: OpenApiResponse(description="No snapshot.")},
)
class RestrictedFirmwareReportView(APIView):
    """Restricted devices behind the newest Active CPL firmware for their model (R169-11), scoped."""

    @replica_reads_view("restricted-firmware report")
    def get(self, request):
        month_text = request.query_params.get("month")
        report = selectors.restricted_firmware_report_for(
            request.user.party, parse_month(month_text) if month_text else None,
        )
        limit = parse_limit(request.query_params.get("limit"))
        devices = sorted(report.rows, key=lambda row: row["device_id"])
        cursor = request.query_params.get("cursor")
        if cursor:
            after = decode_cursor(cursor, str)  # a Device ID: the report is in Device ID order
            devices = [row for row in devices if row["device_id"] > after]
        page, more = devices[:limit], len(devices) > limit
        next_url = replace_query_param(
            request.build_absolute_uri(), "cursor", encode_cursor(page[-1]["device_id"]),
        ) if more else None
        data = {**_envelope(report), "summary": report.summary, "next": next_url, "results": page}
        return Response(FirmwareReportSerializer(data).data)
