"""DSP schedules (SRVs 5.1, 5.2, 5.3): the DSP keeps the schedules Users create and sends the scheduled SRV on
their behalf. The gateway's decision has already judged a 5.1 by the SRV it schedules (E2, E4, E72, and only
``DSPScheduledServiceReferenceVariant`` SRVs); these services store, read and remove what was accepted.

A party reads and deletes only its own schedules. ``dsp_schedules_remove_restricted`` is for MP169 (R169-13):
when a device becomes Restricted, its schedules of SRVs not on the allow-list are removed (the caller then
sends the supplier its DUIS ``DSPScheduleRemoval`` alert).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from lxml import etree

from gateway.models import DspSchedule, RestrictedSrvAllowance
from inventory.models import Device
from portal.models import Party

SR_NS = "http://www.dccinterface.co.uk/ServiceUserGateway"
SR = f"{{{SR_NS}}}"


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text.strip()[:10]) if text and text.strip() else None


def dsp_schedule_create(*, party: Party, user: Any, device: Device, body: etree._Element,
                        request_id: str = "") -> DspSchedule:
    """Store an accepted 5.1 ``sr:CreateSchedule`` (schema-valid) and return it; its pk is the DSPScheduleID."""
    return DspSchedule.objects.create(
        device=device, party=party, created_by=user if getattr(user, "pk", None) else None,
        scheduled_srv=(body.findtext(f"{SR}DSPScheduledServiceReferenceVariant") or "").strip(),
        frequency=(body.findtext(f"{SR}ScheduleFrequency") or "").strip(),
        start_date=_date(body.findtext(f"{SR}ScheduleStartDate")), end_date=_date(body.findtext(f"{SR}ScheduleEndDate")),
        details_xml=etree.tostring(body, encoding="unicode"), request_id=request_id[:100],
    )


def dsp_schedules_of(*, party: Party, schedule_id: int | None = None, device_id: str | None = None,
                     ) -> QuerySet[DspSchedule]:
    """The party's live schedules, by DSPScheduleID or by DeviceID (5.2, 5.3)."""
    schedules = DspSchedule.objects.filter(party=party, removed_at__isnull=True).select_related("device")
    if schedule_id is not None:
        return schedules.filter(pk=schedule_id)
    return schedules.filter(device__device_id=(device_id or "").upper())


def dsp_schedules_delete(*, party: Party, schedule_id: int | None = None, device_id: str | None = None) -> list[int]:
    """5.3 Delete Schedule: remove the party's schedule (or all its schedules on a device); returns their ids."""
    with transaction.atomic():
        schedules = list(dsp_schedules_of(party=party, schedule_id=schedule_id, device_id=device_id)
                         .select_for_update(of=("self",)))
        DspSchedule.objects.filter(pk__in=[s.pk for s in schedules]).update(
            removed_at=timezone.now(), removal_reason=DspSchedule.Removal.DELETED)
    return [schedule.pk for schedule in schedules]


def dsp_schedules_remove_restricted(*, device: Device, at: dt.datetime | None = None) -> list[DspSchedule]:
    """R169-13: remove the device's live schedules of SRVs a restricted device may not take (not on the MP169
    SRV allow-list); return them, removed, for the DSPScheduleRemoval alerts. Call in the transaction that
    restricts the device."""
    allowed = RestrictedSrvAllowance.objects.filter(srv_id=OuterRef("scheduled_srv"))
    doomed = list(DspSchedule.objects.select_for_update().filter(device=device, removed_at__isnull=True)
                  .annotate(allowed=Exists(allowed)).filter(allowed=False))
    at = at or timezone.now()
    DspSchedule.objects.filter(pk__in=[s.pk for s in doomed]).update(
        removed_at=at, removal_reason=DspSchedule.Removal.RESTRICTED)
    for schedule in doomed:
        schedule.removed_at, schedule.removal_reason = at, DspSchedule.Removal.RESTRICTED
    return doomed


def schedules_read_element(schedules: list[DspSchedule]) -> etree._Element:
    """``sr:DSPSchedulesRead`` for a 5.2 answer: each schedule's id and its details as created."""
    read = etree.Element(f"{SR}DSPSchedulesRead", nsmap={"sr": SR_NS})
    for schedule in schedules[:99]:  # the schema's maxOccurs
        entry = etree.SubElement(read, f"{SR}DSPSchedules")
        etree.SubElement(entry, f"{SR}DSPScheduleID").text = str(schedule.pk)
        details = etree.fromstring(schedule.details_xml)
        details.tag = f"{SR}DSPScheduleDetails"
        entry.append(details)
    return read

