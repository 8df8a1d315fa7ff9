"""R121-11: a device changes supplier again while an install-code request for it is open.

Decision (docs/mp121-suppliers.md): the request is closed with that reason, not handed over. Seed 002
Annex B 4.16(a)-(b): the request is the gaining supplier's own ("may contact"), and the installing
supplier's duty is to answer *that* party; R121-9 shows the code only to the two parties of the
incident, so handing it on would show a code to a party that never asked, or keep it from the one
that did. The new Responsible Supplier raises its own request (R121-1), at once if it wants. Both
parties are emailed; the running SLA spell ends without an answer (not counted as a miss unless it
was already past due, see ``reporting.queries.SLA_RULES``).

Inventory sends ``inventory.signals.device_supplier_changed`` inside its CoS transaction; this
receiver is connected in ``IncidentsConfig.ready``, so inventory never imports incidents.
"""
from __future__ import annotations

from django.utils import timezone

from incidents.choices import ClosureKind, IncidentEventKind, IncidentState, IncidentType, SpellOutcome
from incidents.models import Incident
from incidents.services.common import incident_event_record
from incidents.services.notifications import email_supplier_changed
from incidents.services.spells import spell_stop
from portal.models import Party, User


def incidents_close_on_supplier_change(*, device, old_supplier: Party | None, new_supplier: Party,
                                       actor: User, **_kwargs) -> int:
    """Close every open install-code request for ``device`` (in the CoS transaction); returns how many."""
    open_requests = list(
        Incident.objects.select_for_update(of=("self",))
        .select_related("device", "raised_by", "raised_by_user", "assigned_party")
        .filter(device=device, type=IncidentType.INSTALL_CODE_REQUEST).exclude(state=IncidentState.CLOSED)
        .order_by("pk")
    )
    now = timezone.now()
    old_code = old_supplier.code if old_supplier else "no supplier"
    for incident in open_requests:
        previous = incident.state
        incident_event_record(incident, IncidentEventKind.SUPPLIER_CHANGED, actor=actor, party=actor.party,
                     detail=f"Device {device.device_id} changed supplier: {old_code} -> {new_supplier.code}.")
        incident.state = IncidentState.CLOSED
        incident.closed_at, incident.closed_by, incident.closure_kind = now, actor, ClosureKind.CHANGE_OF_SUPPLIER
        incident.updated_at = now
        incident.save(update_fields=["state", "closed_at", "closed_by", "closure_kind", "updated_at"])
        spell_stop(incident, at=now, outcome=SpellOutcome.ENDED)
        incident_event_record(incident, IncidentEventKind.CLOSED, actor=actor, party=actor.party, from_state=previous,
                     to_state=incident.state,
                     detail=f"{ClosureKind.CHANGE_OF_SUPPLIER.label}: {new_supplier.code} is now the Responsible "
                            "Supplier and may raise its own request.")
        if old_supplier is not None:
            email_supplier_changed(incident, old_supplier=old_supplier, new_supplier=new_supplier)
        else:
            email_supplier_changed(incident, old_supplier=incident.raised_by, new_supplier=new_supplier)
    return len(open_requests)
