"""Reads of MP169 restricted mode: the audit trail of a device the caller may already see (callers obtain
the device through ``inventory.selectors.device_get_for``), its CSV export, and the party's bulk restriction
jobs with their rows (``restriction_bulk_job_get``: another party's job is not acknowledged to exist)."""
from __future__ import annotations

import csv
import datetime
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from inventory.models import Device, RestrictionBulkJob, RestrictionBulkRow, RestrictionChange, SupplierChange
from inventory.selectors.devices import csp_regions_of
from portal.csv_safety import EchoWriter, spreadsheet_safe
from portal.errors import NotFound
from portal.models import Party, User

HISTORY_CSV_COLUMNS = ["at", "device_id", "actor", "party", "old_value", "new_value", "reason", "attested",
                       "channel", "request_id", "id", "cascaded_from"]


def restriction_history_for(device: Device, party: Party | None) -> QuerySet[RestrictionChange]:
    """The device's restriction changes that ``party`` may read, newest first (ids grow with time).

    A party reads a device's history only for the time it may see the device (DOMAIN.md, "Privacy"):
    the DCC, the current Responsible Supplier, the device's network operator and its region's CSP read
    all of it; a supplier that sees the device for another reason (its pre-notifier, before
    commissioning) reads only what was recorded up to the moment it lost the device on a Change of
    Supplier, and nothing if it never supplied it.
    """
    changes = RestrictionChange.objects.filter(device=device).select_related("device", "actor", "party").order_by("-id")
    if party is None:
        return changes.none()
    if _reads_whole_history(device, party):
        return changes
    lost_at = (SupplierChange.objects.filter(device=device, old_supplier=party)
               .order_by("-at").values_list("at", flat=True).first())
    return changes.none() if lost_at is None else changes.filter(at__lte=lost_at)


def _reads_whole_history(device: Device, party: Party) -> bool:
    return (
        party.is_dcc
        or device.responsible_supplier_id == party.pk
        or device.network_operator_id == party.pk
        or (party.is_csp and device.csp_region in csp_regions_of(party))
    )


def _history_rows(changes: QuerySet[RestrictionChange]) -> Iterator[str]:
    writer = csv.writer(EchoWriter())
    yield writer.writerow(HISTORY_CSV_COLUMNS)
    for change in changes.iterator(chunk_size=1000):
        yield writer.writerow([
            change.at.astimezone(datetime.UTC).isoformat(),
            change.device.device_id, change.actor.username, change.party.code,
            str(change.old_value).lower(), str(change.new_value).lower(), spreadsheet_safe(change.reason),
            str(change.attested).lower(), change.channel, change.request_id, change.pk, change.cascaded_from_id or "",
        ])


def restriction_history_csv_response(device: Device, party: Party | None) -> StreamingHttpResponse:
    """The device's restriction history that ``party`` may read, as a streamed CSV download."""
    response = StreamingHttpResponse(_history_rows(restriction_history_for(device, party)),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="restriction-history-{device.device_id}.csv"'
    response["Cache-Control"] = "no-store"
    return response


def restriction_bulk_jobs_for(user: User) -> QuerySet[RestrictionBulkJob]:
    """The bulk jobs of the user's party, newest first (colleagues share a queue of uploads)."""
    if user.party_id is None:
        return RestrictionBulkJob.objects.none()
    return RestrictionBulkJob.objects.filter(party_id=user.party_id).defer("rows").order_by("-id")


def restriction_bulk_job_get(*, user: User, job_id: int) -> RestrictionBulkJob:
    """One of the party's jobs, or ``NotFound`` (another party's job is not acknowledged to exist)."""
    job = restriction_bulk_jobs_for(user).filter(pk=job_id).first()
    if job is None:
        raise NotFound("There is no such bulk restriction job for your organisation.", code="job_not_found")
    return job


def restriction_bulk_job_results(job: RestrictionBulkJob) -> QuerySet[RestrictionBulkRow]:
    """A job's rows in upload order (the caller has the job through ``restriction_bulk_job_get``)."""
    return RestrictionBulkRow.objects.filter(job=job).order_by("row_number")
