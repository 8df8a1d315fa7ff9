"""Reads for the portal app."""
from __future__ import annotations

from django.db.models import QuerySet

from portal.models import DCC_PARTY_CODE, Party


def party_list() -> QuerySet[Party]:
    """All parties are public within the portal (codes, names and roles, nothing else)."""
    return Party.objects.only("id", "code", "name", "roles").order_by("id")


def dcc_party() -> Party:
    return Party.objects.get(code=DCC_PARTY_CODE)
