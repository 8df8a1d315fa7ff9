"""Stored monthly reports.

A ``ReportSnapshot`` is an immutable copy of one report for one month: the rows as the SQL aggregate
produced them, at full grain (every party, every region), so that scoping to the reader's party is
applied on read exactly as for a live report. The table is append-only in the database (a trigger
refuses UPDATE and DELETE): a rebuild adds a new ``version`` and the older ones stay as history.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from portal.models import Party, ProgressJob
from reporting.choices import KIND_SLUGS, RebuildStatus, ReportKind, SnapshotTrigger


class ReportSnapshot(models.Model):
    """One version of one report for one month. The newest version is the one shown."""

    kind = models.CharField(max_length=24, choices=ReportKind.choices)
    month = models.DateField(help_text="First day of the reported month.")
    version = models.PositiveIntegerField(default=1)
    generated_at = models.DateTimeField(default=timezone.now)
    trigger = models.CharField(max_length=12, choices=SnapshotTrigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The DCC user who asked for an on-demand rebuild (empty for the schedule).",
    )
    rows = models.JSONField(default=list, help_text="The report rows at full grain (scoped on read).")
    meta = models.JSONField(default=dict, blank=True, help_text="How it was computed (as-of date, rule notes).")

    class Meta:
        verbose_name = "report snapshot"
        ordering = ["kind", "-month", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "month", "version"], name="report_snapshot_version_unique"),
        ]
        indexes = [models.Index(fields=["kind", "-month", "-version"], name="report_snapshot_latest_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.month:%Y-%m} v{self.version}"

    @property
    def slug(self) -> str:
        return KIND_SLUGS[ReportKind(self.kind)]


class ReportRebuildJob(ProgressJob):
    """A DCC request to rebuild one report snapshot, run by Celery; the page polls its progress.

    A ``ProgressJob`` like the bulk uploads and extracts (same states, failure record, runner); a rebuild
    is one aggregate, not rows, so it reports a percentage (``progress``) and the step it is on.
    """

    kind = models.CharField(max_length=24, choices=ReportKind.choices)
    month = models.DateField()
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    step = models.CharField(max_length=120, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    snapshot = models.ForeignKey(
        ReportSnapshot, on_delete=models.PROTECT, null=True, blank=True, related_name="rebuild_jobs",
    )

    class Meta:
        verbose_name = "report rebuild job"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Rebuild {self.kind} {self.month:%Y-%m} ({self.status}, {self.progress}%)"

    @property
    def percent(self) -> int:
        return 100 if self.status == RebuildStatus.DONE else min(99, self.progress)
