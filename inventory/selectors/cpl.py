"""Reads of the Central Products List (MP202). The CPL is public to every logged-in party."""
from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from inventory.models import CPLChange, CPLEntry


def cpl_dual_mode_subquery() -> Exists:
    """True for a CPL row whose manufacturer, model, hardware and firmware also have a row for the other
    SMETS version: the model is a dual-mode (SMETS1 and SMETS2+) device."""
    return Exists(
        CPLEntry.objects.filter(
            manufacturer=OuterRef("manufacturer"), model=OuterRef("model"),
            hardware_version=OuterRef("hardware_version"), firmware_version=OuterRef("firmware_version"),
        ).exclude(smets_version=OuterRef("smets_version"))
    )


def cpl_entry_list() -> QuerySet[CPLEntry]:
    """Every CPL row, annotated with ``dual_mode``; filter with ``inventory.filtersets.CPLEntryFilterSet``."""
    return CPLEntry.objects.annotate(dual_mode=cpl_dual_mode_subquery())


def cpl_change_list(*, limit: int = 20) -> list[CPLChange]:
    """The newest CPL additions and status changes, for the maintenance page."""
    return list(CPLChange.objects.select_related("cpl_entry", "actor", "party").order_by("-at", "-id")[:limit])
