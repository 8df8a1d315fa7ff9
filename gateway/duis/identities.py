"""DUIS User IDs and their signing certificates (RD-1): the DCC registers and revokes them; the DUIS gateway
looks up a request's originator.

A certificate is accepted for a User ID only if its subject's ``x500UniqueIdentifier`` is that User ID (the
ZAZ1/SMKI organisation certificates carry the EUI-64 there), its key is ECDSA P-256 and it is within its
validity. Each register and revoke writes a ``DuisIdentityChange`` row in the same transaction (append-only,
hash-chained).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from gateway.duis.security import certificate_facts
from gateway.models import DuisIdentity, DuisIdentityChange
from portal.choices import PartyRole
from portal.errors import Conflict, NotFound, PermissionDenied, RuleRefused, ValidationFailed
from portal.eui64 import EUI64_EXAMPLE, EUI64_PATTERN
from portal.models import Party

#: The DUIS User Roles a User ID can be registered for (not the DCC service desk or a CSP).
DUIS_USER_ROLES = (
    PartyRole.IMPORT_SUPPLIER, PartyRole.EXPORT_SUPPLIER, PartyRole.GAS_SUPPLIER, PartyRole.ELECTRICITY_DISTRIBUTOR,
    PartyRole.GAS_TRANSPORTER, PartyRole.OTHER_USER, PartyRole.REGISTERED_SUPPLIER_AGENT,
)


def duis_identity_edit_refusal(actor: Any) -> PermissionDenied | None:
    """Why ``actor`` may not see or change DUIS identities (only the DCC maintains them), or None."""
    party = getattr(actor, "party", None)
    if party is None or not party.is_dcc:
        return PermissionDenied("Only the DCC registers and revokes DUIS User IDs and their certificates.")
    return None


def _require_dcc(actor: Any) -> Party:
    refusal = duis_identity_edit_refusal(actor)
    if refusal is not None:
        raise refusal
    return actor.party


def clean_user_id(value: Any) -> str:
    candidate = str(value or "").strip().upper()
    if not EUI64_PATTERN.match(candidate):
        raise ValidationFailed(
            f"'{str(value or '')[:40]}' is not a DUIS User ID: expected an EUI-64 of 8 hex pairs separated by dashes, "
            f"e.g. {EUI64_EXAMPLE}.", code="invalid_user_id", errors={"user_id": ["Expected an EUI-64."]},
        )
    return candidate


def duis_identities_of(*, actor: Any, party: Party) -> QuerySet[DuisIdentity]:
    """A party's DUIS identities, newest first, active and revoked (DCC only)."""
    _require_dcc(actor)
    return DuisIdentity.objects.filter(party=party).select_related("created_by", "revoked_by").order_by(
        "revoked_at", "user_id", "-created_at")


def duis_identity_register(*, actor: Any, party: Party, user_id: str, role: str, certificate_pem: str,
                           reason: str = "") -> DuisIdentity:
    """Register ``user_id`` for ``party`` in ``role`` with its signing certificate."""
    actor_party = _require_dcc(actor)
    user_id = clean_user_id(user_id)
    role = str(role or "").strip().upper()
    if role not in DUIS_USER_ROLES:
        raise ValidationFailed(
            f"'{role[:10]}' is not a DUIS User Role: use one of {', '.join(DUIS_USER_ROLES)}.",
            code="invalid_role", errors={"role": [f"One of {', '.join(DUIS_USER_ROLES)}."]},
        )
    if role not in party.roles:
        raise RuleRefused(
            f"Party {party.code} does not hold the role {role} (its roles: {', '.join(party.roles) or 'none'}), so it "
            "cannot have a User ID for it.", code="role_not_held", errors={"role": ["Not a role of this party."]},
        )
    facts = certificate_facts(certificate_pem)
    if facts.user_id != user_id:
        raise RuleRefused(
            f"The certificate is for User ID {facts.user_id or '(none: no x500UniqueIdentifier in its subject)'}, "
            f"not {user_id}: a DUIS signing certificate's subject names the User ID it signs for.",
            code="certificate_user_id_mismatch", errors={"certificate_pem": ["Subject is another User ID."]},
        )
    now = timezone.now()
    if facts.not_after <= now:
        raise RuleRefused(f"The certificate expired on {facts.not_after:%Y-%m-%d}.", code="certificate_expired",
                          errors={"certificate_pem": ["Expired."]})
    try:
        with transaction.atomic():
            identity = DuisIdentity.objects.create(
                party=party, user_id=user_id, role=role, certificate_pem=certificate_pem.strip() + "\n",
                serial=facts.serial, issuer=facts.issuer[:250], not_before=facts.not_before, not_after=facts.not_after,
                created_at=now, created_by=actor,
            )
            DuisIdentityChange.objects.create(
                at=now, actor=actor, actor_party=actor_party, identity=identity, party=party, user_id=user_id,
                role=role, action=DuisIdentityChange.Action.REGISTER, serial=facts.serial, reason=reason[:250],
            )
    except IntegrityError as error:
        holder = DuisIdentity.objects.filter(user_id=user_id, revoked_at__isnull=True).select_related("party").first()
        held_by = f"party {holder.party.code}" if holder else "another party"
        raise Conflict(f"User ID {user_id} is already registered to {held_by}: revoke it first.",
                       code="user_id_registered") from error
    return identity


def duis_identity_revoke(*, actor: Any, party: Party, user_id: str, reason: str = "") -> DuisIdentity:
    """Revoke the party's active identity ``user_id``: from now on nothing it signs is accepted."""
    actor_party = _require_dcc(actor)
    user_id = clean_user_id(user_id)
    with transaction.atomic():
        identity = (DuisIdentity.objects.select_for_update()
                    .filter(party=party, user_id=user_id, revoked_at__isnull=True).first())
        if identity is None:
            raise NotFound(f"Party {party.code} has no active DUIS User ID {user_id}.", code="unknown_user_id")
        now = timezone.now()
        identity.revoked_at, identity.revoked_by = now, actor
        identity.save(update_fields=["revoked_at", "revoked_by"])
        DuisIdentityChange.objects.create(
            at=now, actor=actor, actor_party=actor_party, identity=identity, party=party, user_id=user_id,
            role=identity.role, action=DuisIdentityChange.Action.REVOKE, serial=identity.serial, reason=reason[:250],
        )
    return identity


@lru_cache(maxsize=1)
def _originator_sql() -> tuple[str, list[str], list[str]]:
    identity_fields = [f.attname for f in DuisIdentity._meta.concrete_fields]
    party_fields = [f.attname for f in Party._meta.concrete_fields]
    columns = [f"i.{connection.ops.quote_name(DuisIdentity._meta.get_field(n).column)}" for n in identity_fields]
    columns += [f"p.{connection.ops.quote_name(Party._meta.get_field(n).column)}" for n in party_fields]
    sql = (f"SELECT {', '.join(columns)} FROM {DuisIdentity._meta.db_table} i JOIN {Party._meta.db_table} p "
           "ON p.id = i.party_id WHERE i.user_id = %s AND i.revoked_at IS NULL LIMIT 1")
    return sql, identity_fields, party_fields


def duis_identity_for_originator(user_id: str) -> DuisIdentity | None:
    """The active (not revoked) identity holding ``user_id``, with its party; validity dates are the caller's to
    check. Read on every DUIS request: one indexed query, composed once per process (docs/decisions/0005), and
    never cached, so a revocation counts from the next request."""
    sql, identity_fields, party_fields = _originator_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id.upper()])
        row = cursor.fetchone()
    if row is None:
        return None
    identity = DuisIdentity.from_db("default", identity_fields, row[:len(identity_fields)])
    identity._state.fields_cache["party"] = Party.from_db("default", party_fields, row[len(identity_fields):])
    return identity
