"""What every room of ``incidents.services`` needs: the acting party, and the history row a change writes."""
from __future__ import annotations

from incidents.choices import IncidentEventKind
from incidents.models import Incident, IncidentEvent, IncidentNote
from portal.errors import PermissionDenied
from portal.models import Party, User


def party_of(actor: User) -> Party:
    """The SEC party ``actor`` acts for, or ``PermissionDenied`` (an account of no party works no incident)."""
    if actor.party_id is None:
        raise PermissionDenied("Your account does not act for a SEC party, so it cannot work incidents.")
    return actor.party


def incident_event_record(incident: Incident, kind: IncidentEventKind, *, actor: User | None = None,
                 party: Party | None = None, from_state: str = "", to_state: str = "",
                 assigned_party: Party | None = None, note: IncidentNote | None = None,
                 detail: str = "") -> IncidentEvent:
    """Write one row of the incident's append-only history (``IncidentEvent``), in the caller's transaction."""
    return IncidentEvent.objects.create(
        incident=incident, kind=kind, actor=actor, party=party, from_state=from_state, to_state=to_state,
        assigned_party=assigned_party, note=note, detail=detail[:300],
    )
