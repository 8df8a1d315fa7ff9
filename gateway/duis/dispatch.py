"""``POST /duis/``: a DUIS request goes through the same decision service as REST, by its
``sr:ServiceReferenceVariant``; the answer is an ``sr:Response`` (8.2: ``sr:DSPInventory``).

Which Device ID a request is about:

* 5.1 Create Schedule: the schedule's ``sr:DeviceID`` (judged by the scheduled SRV, R169-8);
* 11.1 / 11.4 firmware: the first Device ID of ``sr:DeviceIDList`` is logged; every device of the list
  is judged (the gateway answers one code per request: the first refusal, in list order);
* other device SRVs: the RequestID's target (its middle EUI-64), as DUIS addresses them;
* non-device SRVs: the body's ``sr:DeviceID`` when it has one: judged for 8.3 Decommission and 8.4 Update
  Inventory (the device they change), for the log only otherwise (12.2, 8.2 by DeviceID).
"""
from __future__ import annotations

from django.db import transaction
from lxml import etree

from gateway import catalogue
from gateway.catalogue_data import CREATE_SCHEDULE_SRV
from gateway.checks import Refusal
from gateway.choices import Channel, ResponseCode
from gateway.duis.admission import duis_request_admit, originator_counter_advance
from gateway.duis.messages import (
    SR,
    DuisRefused,
    DuisRequest,
    add_inventory,
    error_document,
    parse_document,
    request_from,
    request_validate,
    response_envelope,
)
from gateway.duis.security import response_sign
from gateway.duis.validation import duis_request_refusal
from gateway.schedules import dsp_schedule_create, dsp_schedules_delete, dsp_schedules_of, schedules_read_element
from gateway.selectors import inventory_read
from gateway.services import service_request_refusal_log, service_request_submit
from portal.models import Party

READ_INVENTORY_SRV = "8.2"
READ_SCHEDULE_SRV = "5.2"
DELETE_SCHEDULE_SRV = "5.3"
FIRMWARE_LIST_SRVS = frozenset({"11.1", "11.4"})


def _device_ids_for(request: DuisRequest) -> list[str]:
    """The Device IDs the request is about; the first is the one logged."""
    entry = catalogue.srv_get(request.srv)
    if request.srv == CREATE_SCHEDULE_SRV:
        return [request.body.findtext(f"{SR}DeviceID", "").strip()]
    if request.srv in FIRMWARE_LIST_SRVS:
        listed = [item.strip() for item in request.body.findtext(f"{SR}DeviceIDList", "").split(",")]
        return [item for item in listed if item] or [""]
    if entry is not None and entry.targets_device and not entry.non_device:
        return [request.target_eui]
    return [request.body.findtext(f"{SR}DeviceID", "").strip()]


def _read_inventory_criteria(body) -> dict:
    prop = body.find(f"{SR}PropertyFilter")
    if prop is not None:
        return {"postcode": prop.findtext(f"{SR}PostCode", "").strip(),
                "address_identifier": prop.findtext(f"{SR}AddressIdentifier", "").strip()}
    for tag, key in (("DeviceID", "device_id"), ("MPxN", "mpxn"), ("UPRN", "uprn")):
        value = body.findtext(f"{SR}{tag}")
        if value is not None:
            return {key: value.strip()}
    return {}


def duis_request_handle(*, data: bytes, party: Party, user) -> bytes:
    """Parse, admit (``gateway.duis.admission``), decide and log a DUIS request; return the DSP-signed answer.

    Unreadable input (not XML, a DTD, not ``sr:Request``) raises ``ValidationFailed`` (400, JSON: there is no
    request to answer); everything else is answered with a signed DUIS document, errors included."""
    root = parse_document(data)
    try:
        request_validate(root)
    except DuisRefused as refused:
        header = refused.header
        service_request_refusal_log(
            party=party, user=user, srv=header.srv, device_id=None, command_variant=None, channel=Channel.DUIS,
            request_id=header.request_id, code=refused.code, reason=refused.reason)
        return response_sign(error_document(header=header, response_code=refused.code))
    request = request_from(root)
    mismatch = duis_request_refusal(request)
    if mismatch is not None:
        return _refused(request, mismatch, party=party, user=user)
    admitted = duis_request_admit(data=data, root=root, request=request, party=party)
    if isinstance(admitted, Refusal):
        return _refused(request, admitted, party=party, user=user)
    request = admitted.request
    with transaction.atomic():
        replay = originator_counter_advance(originator=request.originator, counter=request.counter)
        if replay is not None:
            return _refused(request, replay, party=party, user=user)
        device_id, *also_device_ids = _device_ids_for(request)
        devices, schedules, not_found = None, None, None
        if request.srv == READ_INVENTORY_SRV:
            devices, not_found = _read_inventory(request)
        elif request.srv in (READ_SCHEDULE_SRV, DELETE_SCHEDULE_SRV):
            schedules, not_found = _schedules(request, party)
        outcome = service_request_submit(
            party=party, user=user, srv=request.srv, device_id=device_id,
            command_variant=request.command_variant, channel=Channel.DUIS, body=request.body,
            request_id=request.request_id, also_device_ids=also_device_ids, roles=[admitted.identity.role],
            answer_refusal=not_found,
        )
        accepted = outcome.response_code == ResponseCode.SUCCESS
        created = None
        if accepted and request.srv == CREATE_SCHEDULE_SRV:
            created = dsp_schedule_create(party=party, user=user, device=outcome.device, body=request.body,
                                          request_id=request.request_id)
        elif accepted and request.srv == DELETE_SCHEDULE_SRV:
            dsp_schedules_delete(party=party, **_schedule_criteria(request.body))
    root, message = response_envelope(request=request, response_code=outcome.response_code)
    if devices and accepted:
        add_inventory(message, devices)
    elif created is not None:
        etree.SubElement(message, f"{SR}DSPScheduleID").text = str(created.pk)
    elif schedules and accepted and request.srv == READ_SCHEDULE_SRV:
        message.append(schedules_read_element(schedules))
    return response_sign(root)


def _schedule_criteria(body) -> dict:
    schedule_id = body.findtext(f"{SR}DSPScheduleID")
    if schedule_id is not None:
        return {"schedule_id": int(schedule_id)}
    return {"device_id": body.findtext(f"{SR}DeviceID", "").strip()}


def _schedules(request: DuisRequest, party: Party) -> tuple[list, Refusal | None]:
    """5.2 / 5.3: the party's schedules the body names, or the refusal when it names none of them."""
    criteria = _schedule_criteria(request.body)
    schedules = list(dsp_schedules_of(party=party, **criteria))
    if schedules:
        return schedules, None
    named = f"DSPScheduleID {criteria['schedule_id']}" if "schedule_id" in criteria else f"device {criteria['device_id']}"
    code = ResponseCode.SCHEDULE_NOT_FOUND if request.srv == READ_SCHEDULE_SRV else ResponseCode.SCHEDULE_NOT_DELETED
    return [], Refusal(code, f"You have no live DSP schedule for {named}.")


def _read_inventory(request: DuisRequest) -> tuple[list, Refusal | None]:
    """8.2's devices, or the refusal when the SMI holds none: the DSP answers an unknown device with an error,
    not an empty success."""
    criteria = _read_inventory_criteria(request.body)
    devices = inventory_read(**criteria)
    if devices:
        return devices, None
    if "device_id" in criteria:
        return [], Refusal(ResponseCode.INVENTORY_DEVICE_NOT_FOUND,
                           f"Read Inventory: device {criteria['device_id']} is not in the SMI.")
    return [], Refusal(ResponseCode.INVENTORY_NOTHING_FOUND, "Read Inventory: no device in the SMI matches "
                       + ", ".join(f"{key} {value}" for key, value in criteria.items() if value) + ".")


def _refused(request: DuisRequest, refusal: Refusal, *, party: Party, user) -> bytes:
    """Log a request refused before the decision and answer it with a signed DUIS error document."""
    try:
        device_id = _device_ids_for(request)[0]
    except (AttributeError, IndexError):
        device_id = ""
    service_request_refusal_log(
        party=party, user=user, srv=request.srv, device_id=device_id, command_variant=request.command_variant,
        channel=Channel.DUIS, request_id=request.request_id, code=refusal.code, reason=refusal.reason)
    root, _message = response_envelope(request=request, response_code=refusal.code)
    return response_sign(root)
