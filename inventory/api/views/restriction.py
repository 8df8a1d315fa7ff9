"""REST entry points for MP169 Restricted mode. They translate; the rules are in the service."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.api.serializers import (
    RestrictionBulkJobRequestSerializer,
    RestrictionBulkJobRowSerializer,
    RestrictionBulkJobSerializer,
    RestrictionBulkRequestSerializer,
    RestrictionBulkRowSerializer,
    RestrictionChangeSerializer,
    RestrictionRequestSerializer,
    RestrictionServiceCentreRequestSerializer,
    RestrictionStateSerializer,
)
from inventory.api.views.devices import DEVICE_ID_PATH, IgnoreFormatNegotiation
from inventory.choices import RestrictionChannel
from inventory.models import RestrictionBulkJob, RestrictionBulkRow, RestrictionChange
from inventory.selectors import (
    device_get_for,
    restriction_bulk_job_get,
    restriction_bulk_job_results,
    restriction_bulk_jobs_for,
    restriction_history_csv_response,
    restriction_history_for,
)
from inventory.services.restriction import restriction_bulk_apply, restriction_set
from inventory.services.restriction_bulk import (
    restriction_bulk_job_check,
    restriction_bulk_job_confirm,
    restriction_bulk_job_submit,
)
from inventory.services.restriction_service_centre import (
    restriction_set_by_service_centre,
    service_centre_refusal,
    service_centre_supplier,
)
from portal.choices import JobStatus


@extend_schema(
    parameters=[DEVICE_ID_PATH], request=RestrictionRequestSerializer,
    responses={200: RestrictionStateSerializer, 400: None, 403: None, 404: None, 409: None, 422: None},
)
class DeviceRestrictionView(APIView):
    """Set or clear Restricted on a meter (R169). 403: not the Responsible Supplier; 422: an MP169 rule
    refused it; 409: the device is already in that state."""

    def post(self, request, device_id: str):
        device = device_get_for(request.user.party, device_id)
        body = RestrictionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = restriction_set(
            device=device, actor=request.user, restricted=body.validated_data["restricted"],
            reason=body.validated_data["reason"], attested=body.validated_data["all_reasonable_steps_taken"],
            channel=RestrictionChannel.API, request_id=request.request_id,
        )
        state = result.device
        state.restriction_changes_written = result.changes
        return Response(RestrictionStateSerializer(state).data)


@extend_schema(
    parameters=[DEVICE_ID_PATH], request=RestrictionServiceCentreRequestSerializer,
    responses={200: RestrictionStateSerializer, 400: None, 403: None, 404: None, 409: None, 422: None},
)
class DeviceRestrictionServiceCentreView(APIView):
    """R169-15: the DCC Service Centre sets or clears Restricted on the named supplier's behalf. 403: not the DCC,
    or the supplier is not the Responsible Supplier; 400: reference or attestation channel missing."""

    def post(self, request, device_id: str):
        refusal = service_centre_refusal(request.user)
        if refusal is not None:
            raise refusal
        device = device_get_for(request.user.party, device_id)
        body = RestrictionServiceCentreRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        result = restriction_set_by_service_centre(
            device=device, actor=request.user, supplier=service_centre_supplier(data["supplier"]),
            supplier_reference=data["supplier_reference"], restricted=data["restricted"], reason=data["reason"],
            attested=data["all_reasonable_steps_taken"], attestation_given_by=data.get("attestation_given_by", ""),
            request_id=request.request_id,
        )
        state = result.device
        state.restriction_changes_written = result.changes
        return Response(RestrictionStateSerializer(state).data)


@extend_schema(
    parameters=[
        DEVICE_ID_PATH,
        OpenApiParameter("format", str, enum=["json", "csv"], default="json",
                         description="csv: the whole history as a streamed CSV file (no paging)."),
    ],
    responses={200: RestrictionChangeSerializer(many=True), 400: None, 404: None},
)
class DeviceRestrictionHistoryView(generics.ListAPIView):
    """The device's restriction audit trail, newest first (keyset paginated); ``?format=csv`` for a file."""

    serializer_class = RestrictionChangeSerializer
    keyset_field = "id"
    keyset_descending = True
    content_negotiation_class = IgnoreFormatNegotiation

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no device
            return RestrictionChange.objects.none()
        self.device = device_get_for(self.request.user.party, self.kwargs["device_id"])
        return restriction_history_for(self.device, self.request.user.party)

    def list(self, request, *args, **kwargs):
        if request.query_params.get("format") == "csv":
            party = request.user.party
            return restriction_history_csv_response(device_get_for(party, kwargs["device_id"]), party)
        return super().list(request, *args, **kwargs)


@extend_schema(request=RestrictionBulkRequestSerializer, responses={200: inline_serializer(
    "RestrictionBulkResponse", fields={"results": RestrictionBulkRowSerializer(many=True)})})
class RestrictionBulkView(APIView):
    """Set or clear Restricted on many meters: each row is applied (or refused) on its own."""

    def post(self, request):
        body = RestrictionBulkRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        results = restriction_bulk_apply(
            rows=body.validated_data["changes"], actor=request.user, channel=RestrictionChannel.BULK_API,
            request_id=request.request_id,
        )
        return Response({"results": [result.as_dict() for result in results]})


@extend_schema(methods=["POST"], request=RestrictionBulkJobRequestSerializer,
               responses={201: RestrictionBulkJobSerializer, 202: RestrictionBulkJobSerializer, 400: None, 403: None})
class RestrictionBulkJobListView(generics.ListAPIView):
    """POST: a bulk change as a job (up to 100,000 rows), applied by a worker; poll its ``url``.
    GET: the bulk jobs of your organisation, newest first.

    Up to 100 rows are applied before the answer (201, finished); more are queued (202)."""

    serializer_class = RestrictionBulkJobSerializer
    keyset_field = "id"
    keyset_descending = True

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return RestrictionBulkJob.objects.none()
        return restriction_bulk_jobs_for(self.request.user).select_related("user")

    def post(self, request):
        body = RestrictionBulkJobRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        start = restriction_bulk_job_check if body.validated_data["check"] else restriction_bulk_job_submit
        job = start(rows=body.validated_data["changes"], actor=request.user, channel=RestrictionChannel.BULK_API,
                    request_id=request.request_id)
        return _job_response(request, job)


def _job_response(request, job: RestrictionBulkJob) -> Response:
    """201 for a finished or checked job (nothing left to wait for), 202 for one a worker is applying."""
    data = RestrictionBulkJobSerializer(job, context={"request": request}).data
    waiting = job.status in (JobStatus.QUEUED, JobStatus.RUNNING)
    return Response(data, status=status.HTTP_202_ACCEPTED if waiting else status.HTTP_201_CREATED,
                    headers={"Location": data["url"]})


@extend_schema(request=None, responses={201: RestrictionBulkJobSerializer, 202: RestrictionBulkJobSerializer,
                                        404: None, 422: None})
class RestrictionBulkJobConfirmView(APIView):
    """The confirm step of a checked job (``check: true``): its rows are applied (201 when done, 202 while a
    worker applies them). 422 ``already_confirmed`` for a job that is not waiting for confirmation."""

    def post(self, request, job_id: int):
        job = restriction_bulk_job_get(user=request.user, job_id=job_id)
        return _job_response(request, restriction_bulk_job_confirm(job=job, actor=request.user))


@extend_schema(responses={200: RestrictionBulkJobSerializer, 404: None})
class RestrictionBulkJobDetailView(generics.RetrieveAPIView):
    """One bulk job's progress and counts."""

    serializer_class = RestrictionBulkJobSerializer

    def get_object(self):
        return restriction_bulk_job_get(user=self.request.user, job_id=self.kwargs["job_id"])


@extend_schema(
    parameters=[OpenApiParameter("ok", bool, description="false: only the refused rows; true: only the applied.")],
    responses={200: RestrictionBulkJobRowSerializer(many=True), 404: None},
)
class RestrictionBulkJobResultsView(generics.ListAPIView):
    """The outcome of every processed row of a job, in row order (keyset paginated)."""

    serializer_class = RestrictionBulkJobRowSerializer
    keyset_field = "row_number"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return RestrictionBulkRow.objects.none()
        job = restriction_bulk_job_get(user=self.request.user, job_id=self.kwargs["job_id"])
        rows = restriction_bulk_job_results(job)
        ok = self.request.query_params.get("ok")
        if ok in ("true", "false"):
            rows = rows.filter(ok=ok == "true")
        return rows
