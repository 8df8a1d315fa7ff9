"""REST entry points for incidents (docs/API.md). They translate; the rules are in ``incidents.services``."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents import selectors, services
from incidents.api.serializers import (
    BulkRequestSerializer,
    BulkResponseSerializer,
    CloseRequestSerializer,
    ContactsSerializer,
    DepositBulkRequestSerializer,
    DepositBulkRowSerializer,
    DepositRequestSerializer,
    DepositSerializer,
    IncidentBulkJobRowSerializer,
    IncidentBulkJobSerializer,
    IncidentDetailSerializer,
    IncidentSerializer,
    NoteRequestSerializer,
    RaiseRequestSerializer,
    ReassignRequestSerializer,
    ReopenRequestSerializer,
    RevealResponseSerializer,
    bulk_row_data,
)
from incidents.choices import IncidentChannel, IncidentState
from incidents.filtersets import IncidentFilterSet
from incidents.models import IncidentBulkRow
from portal.api.parsers import LimitedJSONParser
from portal.choices import JobStatus
from portal.errors import NotFound, PermissionDenied, ValidationFailed
from portal.models import Party

REFERENCE_PATH = OpenApiParameter("reference", str, OpenApiParameter.PATH, description="e.g. INC0000001")
ERRORS = {400: None, 403: None, 404: None, 409: None, 422: None}


def _detail(incident) -> dict:
    incident.note_list = list(selectors.incident_notes(incident))
    incident.event_list = list(selectors.incident_history(incident))
    incident.supplier_history_list = selectors.device_supplier_history(incident.device)
    incident.spell_list = list(selectors.incident_spells(incident))
    suggested = selectors.incident_suggested_assignee(incident, incident.supplier_history_list)
    incident.suggested_assignee_code = suggested.code if suggested else None
    return IncidentDetailSerializer(incident).data


@extend_schema(request=RaiseRequestSerializer, responses={201: IncidentSerializer, 200: IncidentSerializer, **ERRORS})
class InstallCodeRequestCreateView(APIView):
    """Raise a Request for Install Code (R121-1). 201 when raised; 200 with the existing incident when you
    already have an open request for the device. 404: unknown device; 422: device status not eligible."""

    def post(self, request):
        body = RaiseRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        incident, created = services.incident_raise_install_code_request(
            device_id=body.validated_data["device_id"], actor=request.user, channel=IncidentChannel.API,
        )
        return Response(IncidentSerializer(incident).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@extend_schema(request={"application/json": BulkRequestSerializer, "multipart/form-data": BulkRequestSerializer},
               responses={200: BulkResponseSerializer, 201: IncidentBulkJobSerializer, 202: IncidentBulkJobSerializer,
                          400: None, 403: None})
class InstallCodeRequestBulkView(APIView):
    """Raise many requests (R121-8): a JSON ``device_ids`` list or a CSV upload with a ``device_id`` column.
    Each row is validated on its own; valid rows are created even when others fail.

    Up to 1,000 rows: 200 with one result per row. More (up to 100,000): 202 with the bulk job, whose
    ``url`` (also the ``Location`` header) shows its progress and ``results`` its rows once processed."""

    parser_classes = [LimitedJSONParser, MultiPartParser, FormParser]

    def post(self, request):
        body = BulkRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data.get("file")
        device_ids = services.parse_device_id_csv(upload.read()) if upload else body.validated_data["device_ids"]
        start = services.incident_bulk_job_check if body.validated_data["check"] else services.incident_bulk_job_submit
        job = start(device_ids=device_ids, actor=request.user, channel=IncidentChannel.BULK_API,
                    file_name=upload.name if upload else "", line_numbers=getattr(device_ids, "line_numbers", None))
        if job.status == JobStatus.CHECKED:
            data = IncidentBulkJobSerializer(job, context={"request": request}).data
            return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})
        if job.is_finished:
            return Response({"results": [bulk_row_data(row) for row in selectors.incident_bulk_job_rows(job)]})
        data = IncidentBulkJobSerializer(job, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})


@extend_schema(request=None, responses={201: IncidentBulkJobSerializer, 202: IncidentBulkJobSerializer,
                                        404: None, 422: None})
class InstallCodeRequestBulkJobConfirmView(APIView):
    """The confirm step of a checked bulk raise (``check: true``): its rows are raised (201 when done, 202
    while a worker raises them). 422 ``already_confirmed`` for a job that is not waiting for confirmation."""

    def post(self, request, job_id: int):
        job = services.incident_bulk_job_confirm(
            job=selectors.incident_bulk_job_get(user=request.user, job_id=job_id), actor=request.user)
        data = IncidentBulkJobSerializer(job, context={"request": request}).data
        waiting = job.status in (JobStatus.QUEUED, JobStatus.RUNNING)
        return Response(data, status=status.HTTP_202_ACCEPTED if waiting else status.HTTP_201_CREATED,
                        headers={"Location": data["url"]})


@extend_schema(responses={200: IncidentBulkJobSerializer, 404: None})
class InstallCodeRequestBulkJobView(generics.RetrieveAPIView):
    """One bulk raise's progress and counts (``status`` done: its rows are in ``results``)."""

    serializer_class = IncidentBulkJobSerializer

    def get_object(self):
        return selectors.incident_bulk_job_get(user=self.request.user, job_id=self.kwargs["job_id"])


@extend_schema(
    parameters=[OpenApiParameter("ok", bool, description="false: only the refused rows; true: only the raised.")],
    responses={200: IncidentBulkJobRowSerializer(many=True), 404: None},
)
class InstallCodeRequestBulkJobResultsView(generics.ListAPIView):
    """The result of every processed row of a bulk raise, in row order (keyset paginated)."""

    serializer_class = IncidentBulkJobRowSerializer
    keyset_field = "row_number"
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return IncidentBulkRow.objects.none()
        job = selectors.incident_bulk_job_get(user=self.request.user, job_id=self.kwargs["job_id"])
        rows = selectors.incident_bulk_job_rows(job)
        ok = self.request.query_params.get("ok")
        if ok in ("true", "false"):
            rows = rows.filter(ok=ok == "true")
        return rows


@extend_schema(parameters=[
    OpenApiParameter("state", str, enum=[*IncidentState.values, "open"]),
    OpenApiParameter("assigned_to", str, description="Party code, or 'dcc_service_desk'."),
    OpenApiParameter("raised_by", str, description="Party code."),
    OpenApiParameter("device_id", str, description="EUI-64 Device ID."),
    OpenApiParameter("overdue", bool, description="true: past the due date without a response."),
])
class IncidentListView(generics.ListAPIView):
    """Incidents your party raised, is assigned or answered (the DCC service desk sees all), newest first."""

    serializer_class = IncidentSerializer
    keyset_field = "id"
    keyset_descending = True
    filter_backends: list = []  # IncidentFilterSet below: a refused filter answers its own error (400)

    def get_queryset(self):
        filterset = IncidentFilterSet(self.request.query_params,
                                      queryset=selectors.incident_queue(user=self.request.user))
        return filterset.checked_qs()


@extend_schema(parameters=[REFERENCE_PATH], responses={200: IncidentDetailSerializer, 404: None})
class IncidentDetailView(APIView):
    """One incident with its notes and history. The install code is never included: see ``has_install_code``."""

    def get(self, request, reference: str):
        return Response(_detail(selectors.incident_get(user=request.user, reference=reference)))


@extend_schema(parameters=[REFERENCE_PATH], request=NoteRequestSerializer,
               responses={201: IncidentDetailSerializer, 200: IncidentDetailSerializer, **ERRORS})
class IncidentNotesView(APIView):
    """Add a note (``body``; the assignee may add ``install_code``), or answer ``{"not_installing_supplier": true}``."""

    def post(self, request, reference: str):
        incident = selectors.incident_get(user=request.user, reference=reference)
        body = NoteRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if data["not_installing_supplier"]:
            if data["install_code"]:
                raise ValidationFailed("Send either an install code or not_installing_supplier, not both.")
            services.incident_answer_not_installing_supplier(incident=incident, actor=request.user, body=data["body"])
            code = status.HTTP_200_OK
        else:
            services.incident_add_note(incident=incident, actor=request.user, body=data["body"],
                                       install_code=data["install_code"])
            code = status.HTTP_201_CREATED
        return Response(_detail(selectors.incident_get(user=request.user, reference=reference)), status=code)


@extend_schema(parameters=[REFERENCE_PATH], request=CloseRequestSerializer,
               responses={200: IncidentSerializer, **ERRORS})
class IncidentCloseView(APIView):
    """Close: only the raising party (R121-6); the DCC service desk closes administratively (recorded)."""

    def post(self, request, reference: str):
        incident = selectors.incident_get(user=request.user, reference=reference)
        body = CloseRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        incident = services.incident_close(incident=incident, actor=request.user, reason=body.validated_data["reason"])
        return Response(IncidentSerializer(incident).data)


@extend_schema(parameters=[REFERENCE_PATH], request=ReassignRequestSerializer,
               responses={200: IncidentSerializer, **ERRORS})
class IncidentReassignView(APIView):
    """DCC service desk only: assign the incident to another supplier (a fresh 10-working-day due date)."""

    def post(self, request, reference: str):
        incident = selectors.incident_get(user=request.user, reference=reference)
        body = ReassignRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        to_party = Party.objects.filter(code=body.validated_data["to_party"]).first()
        if to_party is None:
            raise NotFound(f"No party with code {body.validated_data['to_party'][:20]}.",
                           errors={"to_party": ["Unknown party code."]})
        incident = services.incident_reassign(incident=incident, actor=request.user, to_party=to_party)
        return Response(IncidentSerializer(incident).data)


@extend_schema(parameters=[REFERENCE_PATH], request=None, responses={200: RevealResponseSerializer, 403: None, 404: None})
class IncidentRevealView(APIView):
    """Read the latest install code: the raising party (and the supplier that provided it). Every reveal is
    recorded in the incident's history. Other parties: 403 (if they can see the incident) or 404."""

    def post(self, request, reference: str):
        incident = selectors.incident_get(user=request.user, reference=reference)
        code = services.incident_reveal_install_code(incident=incident, actor=request.user)
        response = Response({"reference": incident.reference, "install_code": code})
        response["Cache-Control"] = "no-store"
        return response


@extend_schema(parameters=[REFERENCE_PATH], request=ReopenRequestSerializer,
               responses={200: IncidentSerializer, **ERRORS})
class IncidentReopenView(APIView):
    """R121-13: the raising party reopens an answered request once, with a ``reason``; the SLA clock restarts."""

    def post(self, request, reference: str):
        incident = selectors.incident_get(user=request.user, reference=reference)
        body = ReopenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        incident = services.incident_reopen(incident=incident, actor=request.user, reason=body.validated_data["reason"])
        return Response(IncidentSerializer(incident).data)


class DepositListCreateView(APIView):
    """Install codes deposited ahead (issue 18): the installing supplier's own deposits; POST one."""

    @extend_schema(responses={200: DepositSerializer(many=True)})
    def get(self, request):
        return Response(DepositSerializer(selectors.deposits_for(request.user)[:500], many=True).data)

    @extend_schema(request=DepositRequestSerializer, responses={201: DepositSerializer, **ERRORS})
    def post(self, request):
        body = DepositRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        deposit = services.install_code_deposit(actor=request.user, **body.validated_data)
        return Response(DepositSerializer(deposit).data, status=status.HTTP_201_CREATED)


@extend_schema(request={"application/json": DepositBulkRequestSerializer,
                        "multipart/form-data": DepositBulkRequestSerializer},
               responses={200: DepositBulkRowSerializer(many=True), 400: None, 403: None})
class DepositBulkView(APIView):
    """Deposit many codes: JSON ``rows`` of ``{device_id, install_code}`` or a CSV ``file``; a result per row."""

    parser_classes = [LimitedJSONParser, MultiPartParser, FormParser]

    def post(self, request):
        upload = request.FILES.get("file")
        if upload is not None:
            rows = services.parse_deposit_csv(upload.read())
        else:
            body = DepositBulkRequestSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            rows = [(row["device_id"], row["install_code"]) for row in body.validated_data.get("rows") or []]
            if not rows:
                raise ValidationFailed("Send rows or a CSV file.", code="no_rows", errors={"rows": ["Required."]})
            if len(rows) > services.DEPOSIT_MAX_ROWS:
                raise ValidationFailed(f"At most {services.DEPOSIT_MAX_ROWS:,} rows at a time.", code="too_many_rows")
        results = services.install_code_deposits_bulk(rows=rows, actor=request.user)
        return Response(DepositBulkRowSerializer(results, many=True).data)


class ContactsView(APIView):
    """Your supplier's MP121 contact and escalation addresses (where request emails and escalations go)."""

    @extend_schema(responses={200: ContactsSerializer, 403: None})
    def get(self, request):
        refusal = services.party_contacts_refusal(actor=request.user)
        if refusal:
            raise PermissionDenied(refusal, code="not_a_supplier")
        party = request.user.party
        return Response({"operational_email": party.operational_email, "escalation_email": party.escalation_email})

    @extend_schema(request=ContactsSerializer, responses={200: ContactsSerializer, **ERRORS})
    def put(self, request):
        body = ContactsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.party_contacts_update(actor=request.user, **body.validated_data)
        request.user.party.refresh_from_db()
        return self.get(request)
