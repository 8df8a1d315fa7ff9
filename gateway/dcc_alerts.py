"""DCC alerts: DUIS ``sr:DCCAlertMessage`` documents the DSP raises itself and sends to a User, kept in that
User's DCC alert log (``gateway.models.DccAlert``, page ``/gateway/alerts/dcc/``).

The one raised here is MP169 R169-13's ``DSPScheduleRemoval``: when a device becomes Restricted, each DSP schedule
of an SRV a restricted device may not take is removed and its owner told which schedule went (DeviceID and
DSPScheduleID, the 5.4 schema's ``sr:DSPScheduleRemoval``). Documents are built to the DUIS 5.4 schema (validated
before they are stored: a malformed alert is a bug, and raises) and signed by the DSP like every answer (RD-4).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from lxml import etree

from gateway.duis.messages import SCHEMA_VERSION, SR
from gateway.duis.schema import SR_NS, duis_schema
from gateway.duis.security import response_sign
from gateway.models import DccAlert, DspSchedule
from gateway.schedules import dsp_schedules_remove_restricted

#: The DCCAlertCode sent with a DSPScheduleRemoval. The 5.4 XSD enumerates the codes (AD1, N1..N65, N999) but not
#: their meaning; DUIS's table of DCC alert codes is not in the project's reference set, so this value is the
#: portal's choice, kept in this one place (docs/mp169-lifecycle.md).
DSP_SCHEDULE_REMOVAL_ALERT_CODE = "N14"


def dcc_alert_document(*, code: str, alert: etree._Element, at: dt.datetime | None = None) -> etree._Element:
    """An ``sr:Response`` carrying ``sr:DCCAlertMessage`` with ``alert`` (one ``sr:DCCAlert`` choice element)."""
    at = (at or timezone.now()).astimezone(dt.UTC)
    root = etree.Element(f"{SR}Response", nsmap={"sr": SR_NS}, schemaVersion=SCHEMA_VERSION)
    header = etree.SubElement(root, f"{SR}Header")
    etree.SubElement(header, f"{SR}ResponseCode").text = "I0"
    etree.SubElement(header, f"{SR}ResponseDateTime").text = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    message = etree.SubElement(etree.SubElement(root, f"{SR}Body"), f"{SR}DCCAlertMessage")
    etree.SubElement(message, f"{SR}DCCAlertCode").text = code
    etree.SubElement(message, f"{SR}DCCAlert").append(alert)
    schema = duis_schema()
    if not schema.validate(root.getroottree()):
        raise ValueError(f"DCC alert {code} does not validate against DUIS 5.4: {schema.error_log.last_error}")
    return root


def dcc_alert_schedule_removal_send(*, schedule: DspSchedule) -> DccAlert:
    """R169-13: tell the schedule's owner that the DSP removed it (``DSPScheduleRemoval``); one alert-log row.
    Call in the transaction that removed the schedule."""
    removal = etree.Element(f"{SR}DSPScheduleRemoval", nsmap={"sr": SR_NS})
    etree.SubElement(removal, f"{SR}DeviceID").text = schedule.device.device_id
    etree.SubElement(removal, f"{SR}DSPScheduleID").text = str(schedule.pk)
    at = schedule.removed_at or timezone.now()
    document = dcc_alert_document(code=DSP_SCHEDULE_REMOVAL_ALERT_CODE, alert=removal, at=at)
    return DccAlert.objects.create(
        created_at=at, party_id=schedule.party_id, dcc_alert_code=DSP_SCHEDULE_REMOVAL_ALERT_CODE,
        alert_type="DSPScheduleRemoval", device_id=schedule.device.device_id, schedule=schedule,
        detail=(f"DSP schedule {schedule.pk} of SRV {schedule.scheduled_srv} ({schedule.frequency}) was removed: "
                f"device {schedule.device.device_id} became Restricted (MP169) and SRV {schedule.scheduled_srv} is not "
                "on the allow-list.")[:250],
        message_xml=response_sign(document).decode("utf-8"),
    )


def schedules_on_restriction_changed(sender: Any, *, changes: list, restricted: bool, **_: Any) -> list[DspSchedule]:
    """``inventory.signals.restriction_changed`` receiver (connected in ``GatewayConfig.ready``), R169-13: each
    device that became Restricted loses its schedules of restricted SRVs, and each schedule's owner gets a
    ``DSPScheduleRemoval`` DCC alert - in the restriction's own transaction, so both happen or neither."""
    if not restricted:
        return []
    removed = []
    for change in changes:
        for schedule in dsp_schedules_remove_restricted(device=change.device, at=change.at):
            schedule.device = change.device
            dcc_alert_schedule_removal_send(schedule=schedule)
            removed.append(schedule)
    return removed
