"""Admission of a DUIS request before the gateway's decision: who sent it (RD-1), is it signed by them (RD-2),
is it new (RD-3).

Order, the first failure answering (each answer a DSP-signed DUIS error document; the request is logged as
refused and nothing else happens):

1. the RequestID's originator is an active DUIS User ID (registered, not revoked) of the calling party (the API
   token's party), else **E1**;
2. the request's enveloped signature verifies against that User ID's registered certificate, which is within
   its validity, else **E3** (unsigned, a placeholder signature, altered content, another key, an expired cert);
3. the User ID's role is eligible for the SRV (and, for 5.1, for the SRV it schedules), else **E1**;
4. inside the request's transaction, the counter exceeds every counter accepted from that originator, else
   **E13** (``originator_counter_advance``).

The counter is consumed once a request passes 1-3, whatever the decision then answers: a refused request
(E19, E4, ...) replayed later, when the SMI may have changed, is still a replay.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.utils import timezone
from lxml import etree

from gateway import catalogue
from gateway.catalogue_data import CREATE_SCHEDULE_SRV
from gateway.checks import Refusal
from gateway.choices import ResponseCode
from gateway.duis.identities import duis_identity_for_originator
from gateway.duis.messages import SR, DuisRequest, duis_parser, request_from
from gateway.duis.security import SignatureRefused, certificate_cached, request_signature_verify
from gateway.models import DuisIdentity
from portal.models import Party


@dataclass(frozen=True)
class Admitted:
    identity: DuisIdentity
    request: DuisRequest  # rebuilt from the verified (signed) content only


def duis_request_admit(*, data: bytes, root: etree._Element, request: DuisRequest,
                       party: Party) -> Admitted | Refusal:
    """Steps 1-3 of the module docstring: the originator's identity and the verified request, or the refusal."""
    originator = request.originator
    identity = duis_identity_for_originator(originator)
    if identity is None or identity.party_id != party.pk:
        return Refusal(
            ResponseCode.INVALID_USER_ID,
            f"The RequestID's originator {originator} is not a DUIS User ID of your party ({party.code}).",
        )
    now = timezone.now()
    if not identity.not_before <= now < identity.not_after:
        return Refusal(
            ResponseCode.SIGNATURE_FAILED,
            f"The signing certificate of User ID {originator} is not valid now (valid {identity.not_before:%Y-%m-%d} "
            f"to {identity.not_after:%Y-%m-%d}).",
        )
    try:
        verified = request_signature_verify(
            data=data, root=root, certificate=certificate_cached(identity.certificate_pem), parser=duis_parser())
    except SignatureRefused as refused:
        return Refusal(ResponseCode.SIGNATURE_FAILED, f"Signature check failed for User ID {originator}: {refused.reason}")
    signed = request_from(verified)
    entry = catalogue.srv_get(signed.srv)
    if entry is not None:
        judged = [entry]
        if entry.srv == CREATE_SCHEDULE_SRV:
            scheduled = catalogue.srv_get((signed.body.findtext(f"{SR}DSPScheduledServiceReferenceVariant") or "").strip())
            judged += [scheduled] if scheduled is not None else []
        for checked in judged:
            if identity.role not in checked.eligible_roles:
                what = f"SRV {checked.srv}" if checked is entry else f"a schedule of SRV {checked.srv}"
                return Refusal(
                    ResponseCode.INVALID_USER_ID,
                    f"User ID {originator} acts in the role {identity.role}, which may not send {what} "
                    f"(eligible roles: {', '.join(checked.eligible_roles) or 'none (DCC only)'}).",
                )
    return Admitted(identity=identity, request=signed)


def originator_counter_advance(*, originator: str, counter: int) -> Refusal | None:
    """RD-3: record ``counter`` as the originator's highest, or refuse it (E13) if it is not above the highest
    accepted. One atomic statement: concurrent requests of one originator serialise on its row, and the loser
    re-reads the winner's counter before its ``WHERE`` is judged. Call inside the request's transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO gateway_duiscounter (originator, last_counter, updated_at) VALUES (%s, %s, now()) "
            "ON CONFLICT (originator) DO UPDATE SET last_counter = EXCLUDED.last_counter, updated_at = now() "
            "WHERE gateway_duiscounter.last_counter < EXCLUDED.last_counter RETURNING 1",
            [originator, counter],
        )
        if cursor.fetchone() is not None:
            return None
    return Refusal(
        ResponseCode.REPLAYED,
        f"RequestID counter {counter} of {originator} is not greater than one already accepted: a replay or an old "
        "request.",
    )
