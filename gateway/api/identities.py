"""``/api/v1/parties/<code>/duis-identities/``: the DCC maintains parties' DUIS User IDs (API.md, RD-1). Thin
translations to ``gateway.duis.identities``; everyone but the DCC gets 403."""
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from gateway.api.serializers import (
    DuisIdentityRegisterSerializer,
    DuisIdentityRevokeSerializer,
    DuisIdentitySerializer,
)
from gateway.duis.identities import (
    duis_identities_of,
    duis_identity_edit_refusal,
    duis_identity_register,
    duis_identity_revoke,
)
from portal.models import Party


def _party_for(request, code: str) -> Party:
    refusal = duis_identity_edit_refusal(request.user)
    if refusal is not None:
        raise refusal
    return get_object_or_404(Party, code=code)


class DuisIdentityListView(APIView):
    @extend_schema(responses=DuisIdentitySerializer(many=True), summary="A party's DUIS User IDs (DCC only)")
    def get(self, request, code: str):
        party = _party_for(request, code)
        identities = duis_identities_of(actor=request.user, party=party)
        return Response({"next": None, "results": DuisIdentitySerializer(identities, many=True).data})

    @extend_schema(request=DuisIdentityRegisterSerializer, responses={201: DuisIdentitySerializer},
                   summary="Register a DUIS User ID with its signing certificate (DCC only)")
    def post(self, request, code: str):
        party = _party_for(request, code)
        body = DuisIdentityRegisterSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        identity = duis_identity_register(actor=request.user, party=party, **body.validated_data)
        return Response(DuisIdentitySerializer(identity).data, status=201)


class DuisIdentityRevokeView(APIView):
    @extend_schema(request=DuisIdentityRevokeSerializer, responses=DuisIdentitySerializer,
                   summary="Revoke a DUIS User ID: nothing it signs is accepted any more (DCC only)")
    def post(self, request, code: str, user_id: str):
        party = _party_for(request, code)
        body = DuisIdentityRevokeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        identity = duis_identity_revoke(actor=request.user, party=party, user_id=user_id,
                                        reason=body.validated_data.get("reason", ""))
        return Response(DuisIdentitySerializer(identity).data)
