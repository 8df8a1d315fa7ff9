"""R121-10, R121-12, R121-13: the SLA clocks ("spells") of a request.

A spell starts whenever a supplier (or the service desk queue) comes to owe an answer: when the request
is raised, when the service desk routes it to another supplier, when the raiser reopens it. It stops with
an answer (the install code, a deposit, "not the installing supplier") or without one (reassigned,
closed, the device changed supplier). The SLA report reads the spells, so every hop and every reopening
is measured on a clock of its own. Call these inside the service's transaction.
"""
from __future__ import annotations

from datetime import date, datetime

from incidents.choices import SpellKind, SpellOutcome
from incidents.models import Incident, IncidentSpell
from portal.models import Party


def spell_start(incident: Incident, *, kind: SpellKind, assigned_party: Party, at: datetime,
                due_by: date) -> IncidentSpell:
    """Stop the running spell (if any, without an answer) and start a new one."""
    spell_stop(incident, at=at, outcome=SpellOutcome.ENDED)
    return IncidentSpell.objects.create(incident=incident, kind=kind, assigned_party=assigned_party,
                                        started_at=at, due_by=due_by)


def spell_stop(incident: Incident, *, at: datetime, outcome: SpellOutcome) -> int:
    """Stop the running spell; an answer (any outcome but ``ended``) also sets ``responded_at``."""
    answered = outcome != SpellOutcome.ENDED
    return IncidentSpell.objects.filter(incident=incident, ended_at__isnull=True).update(
        ended_at=at, outcome=outcome, responded_at=at if answered else None,
    )
