"""Device lifecycle writes for MP202: pre-notification (SRV 12.2), joining a hub (SRV 8.11) and the
OTA firmware gate for PPMIDs (SRV 11.4).

R202-2: a device is pre-notified with a SMETS version and must match an Active CPL row.
R202-3: when a PPMID joins a hub its SMETS version in the SMI becomes the hub's, whatever was
pre-notified, provided the CPL has a row for that version (the seed's four-row table).
R202-4: over-the-air firmware goes only to PPMIDs enrolled in a SMETS2+ SMS.
"""
from __future__ import annotations

import logging
import re

from django.db import IntegrityError, transaction

from inventory.choices import CPLStatus, CSPRegion, DeviceStatus, DeviceType, SmetsVersion
from inventory.models import CPLEntry, Device
from inventory.postcodes import normalise_postcode
from inventory.services.cpl import cpl_entry_counterpart
from portal.errors import Conflict, DomainError, NotFound, PermissionDenied, RuleRefused, ValidationFailed
from portal.eui64 import normalise_device_id
from portal.models import Party, User

logger = logging.getLogger(__name__)

#: A device can be put in a hub's device log (whitelisted) until it is commissioned; afterwards it is
#: in a lifecycle state where joining makes no sense (decommissioned, withdrawn, suspended, recovery).
JOINABLE_STATUSES = frozenset({
    DeviceStatus.PENDING, DeviceStatus.WHITELISTED, DeviceStatus.INSTALLED_NOT_COMMISSIONED, DeviceStatus.COMMISSIONED,
})
#: A hub that other devices may join.
HUB_USABLE_STATUSES = frozenset({
    DeviceStatus.PENDING, DeviceStatus.WHITELISTED, DeviceStatus.INSTALLED_NOT_COMMISSIONED, DeviceStatus.COMMISSIONED,
})

#: Device types an SMS holds at most one of: its GSME and the GPF that serves it keep one Restricted flag.
ONE_PER_SMS_TYPES = frozenset({DeviceType.GSME, DeviceType.GPF})

_MPXN = re.compile(r"^\d{1,13}$")
_UPRN = re.compile(r"^\d{1,12}$")


def _describe_model(entry: CPLEntry) -> str:
    return f"{entry.manufacturer} {entry.model} HW {entry.hardware_version} FW {entry.firmware_version}"


def device_prenotify_refusal(actor: User) -> PermissionDenied | None:
    """Why ``actor`` may not pre-notify devices (only suppliers may), or None. The SSMI page asks this
    before offering its form; ``device_prenotify`` raises it."""
    party = getattr(actor, "party", None)
    if party is None or not party.is_supplier:
        return PermissionDenied(
            "Only a supplier may pre-notify a device: devices are added to the Smart Metering Inventory by the "
            "supplier installing them, and your party is not a supplier.", code="prenotify_supplier_only")
    return None


def device_join_refusal(*, actor: User, device: Device, hub: Device | None = None) -> DomainError | None:
    """Why ``actor`` may not join ``device`` to a hub, or None. The device page asks this (without a hub)
    before offering the join link; ``device_join_hub`` raises it (with the hub).

    - only the device's Responsible Supplier or the DCC;
    - a hub cannot join a hub;
    - a meter already commissioned in an SMS stays there (moving an SMS is a hub replacement, not a join;
      joining its own hub again changes nothing and is allowed);
    - the hub must be of an SMS the actor has a part in (``party_has_part_in_sms``): the gas and
      electricity suppliers of one premises share one hub, but a supplier cannot put its meter into a
      stranger's SMS, where a restriction would cascade to that stranger's gas proxy.
    """
    refusal = _join_actor_refusal(actor=actor, device=device)
    if refusal is not None:
        return refusal
    party = actor.party
    if device.status == DeviceStatus.COMMISSIONED and device.hub_id is not None and (hub is None or hub.pk != device.hub_id):
        return Conflict(
            f"{device.device_id} is already commissioned in the Smart Metering System of hub "
            f"{device.hub.device_id}: it cannot join another hub.",
            code="join_already_commissioned",
        )
    if hub is not None and not party_has_part_in_sms(party=party, hub=hub):
        return PermissionDenied(
            f"Hub {hub.device_id} serves a Smart Metering System in which {party.code} supplies no device: "
            f"only the suppliers of its premises may join devices to it.",
            code="join_hub_not_yours",
        )
    if hub is not None and device.device_type in ONE_PER_SMS_TYPES:
        present = (Device.objects.filter(hub_id=hub.pk, device_type=device.device_type).exclude(pk=device.pk)
                   .values_list("device_id", flat=True).first())
        if present is not None:
            return Conflict(
                f"Hub {hub.device_id} already has a {device.device_type} ({present}): a Smart Metering System has one "
                f"gas meter and one gas proxy, which follow each other (R169-1).",
                code="join_sms_has_one",
            )
    return None


def _join_actor_refusal(*, actor: User, device: Device) -> DomainError | None:
    """Who may join ``device`` at all (its Responsible Supplier or the DCC), and a hub joins no hub."""
    party = getattr(actor, "party", None)
    if party is None or not (party.is_dcc or party.pk == device.responsible_supplier_id):
        return PermissionDenied(
            f"Only the responsible supplier of {device.device_id} may join it to a hub.", code="join_not_responsible",
        )
    if device.device_type == DeviceType.CHF:
        return RuleRefused(f"{device.device_id} is itself a hub and cannot join another hub.", code="join_hub_to_hub")
    return None


def party_has_part_in_sms(*, party: Party | None, hub: Device) -> bool:
    """Whether ``party`` may add devices to ``hub``'s SMS: the DCC, the hub's Responsible Supplier, or the
    Responsible Supplier of a device joined to it (the gas supplier of a dual-fuel premises holds its GPF)."""
    if party is None:
        return False
    if party.is_dcc or hub.responsible_supplier_id == party.pk:
        return True
    return Device.objects.filter(hub_id=hub.pk, responsible_supplier=party).exists()


def device_prenotify(
    *,
    actor: User,
    device_id: str,
    device_type: str,
    manufacturer: str,
    model: str,
    firmware_version: str,
    smets_version: str,
    hardware_version: str = "",
    mpxn: str = "",
    uprn: str = "",
    postcode: str = "",
    csp_region: str = "",
    request_id: str = "",
) -> Device:
    """Add a device to the SMI as Pending (SRV 12.2), pre-notified by the actor's supplier party.

    The (manufacturer, model, firmware version, SMETS version) must be an Active CPL row of the same
    device type; the hardware version narrows the match when given (DUIS 12.2 carries none). The
    pre-notifying party is also the responsible supplier until a Change of Supplier.
    """
    refusal = device_prenotify_refusal(actor)
    if refusal is not None:
        raise refusal
    party = actor.party

    errors: dict[str, list[str]] = {}
    try:
        device_id = normalise_device_id(device_id)
    except ValidationFailed as error:
        errors.update(error.errors)
    if device_type not in DeviceType.values:
        errors["device_type"] = [f"Choose one of {', '.join(DeviceType.values)}."]
    if smets_version not in SmetsVersion.values:
        errors["smets_version"] = [f"Choose one of {', '.join(SmetsVersion.values)}."]
    for field, value in (("manufacturer", manufacturer), ("model", model), ("firmware_version", firmware_version)):
        if not (value or "").strip():
            errors[field] = ["This field is required."]
    if mpxn and not _MPXN.match(mpxn):
        errors["mpxn"] = ["An MPAN is 13 digits, an MPRN up to 10 digits."]
    if uprn and not _UPRN.match(uprn):
        errors["uprn"] = ["A UPRN is up to 12 digits."]
    if len(postcode or "") > 8:
        errors["postcode"] = ["A postcode is at most 8 characters."]
    if csp_region and csp_region not in CSPRegion.values:
        errors["csp_region"] = [f"Choose one of {', '.join(CSPRegion.values)}."]
    if errors:
        raise ValidationFailed(
            "The pre-notification is not valid: "
            + " ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items()),
            errors=errors,
        )
    manufacturer, model, firmware_version = manufacturer.strip(), model.strip(), firmware_version.strip()
    hardware_version = (hardware_version or "").strip()
    postcode = normalise_postcode(postcode)

    entry = _prenotification_cpl_entry(
        device_type=device_type, manufacturer=manufacturer, model=model, hardware_version=hardware_version,
        firmware_version=firmware_version, smets_version=smets_version,
    )
    if Device.objects.filter(device_id=device_id).exists():
        raise Conflict(f"Device {device_id} is already in the Smart Metering Inventory.", code="device_exists")
    try:
        with transaction.atomic():
            device = Device.objects.create(
                device_id=device_id, device_type=device_type, status=DeviceStatus.PENDING,
                smets_version=smets_version, cpl_entry=entry, mpxn=mpxn, uprn=uprn, postcode=postcode,
                csp_region=csp_region or CSPRegion.UNKNOWN, responsible_supplier=party,
                prenotifying_supplier=party, date_commissioned=None,
            )
    except IntegrityError as error:  # a concurrent pre-notification of the same Device ID won
        raise Conflict(f"Device {device_id} is already in the Smart Metering Inventory.", code="device_exists") from error
    logger.info("Device %s pre-notified by %s as %s (request %s)", device_id, party.code, smets_version, request_id)
    return device


def _prenotification_cpl_entry(
    *, device_type: str, manufacturer: str, model: str, hardware_version: str, firmware_version: str,
    smets_version: str,
) -> CPLEntry:
    candidates = CPLEntry.objects.filter(
        manufacturer__iexact=manufacturer, model__iexact=model, firmware_version__iexact=firmware_version,
        smets_version=smets_version,
    )
    if hardware_version:
        candidates = candidates.filter(hardware_version__iexact=hardware_version)
    rows = list(candidates.order_by("-added_on", "-id"))
    described = f"{manufacturer} {model}{f' HW {hardware_version}' if hardware_version else ''} FW {firmware_version}"
    if not rows:
        raise RuleRefused(
            f"{described} is not on the Central Products List for {smets_version}: a device can only be "
            f"pre-notified with a model, firmware version and SMETS version listed on the CPL.",
            code="not_on_cpl", errors={"firmware_version": [f"Not on the CPL for {smets_version}."]},
        )
    active = [row for row in rows if row.status == CPLStatus.ACTIVE]
    if not active:
        raise RuleRefused(
            f"{described} is {rows[0].status} on the Central Products List for {smets_version}: only Active "
            f"CPL models may be pre-notified.",
            code="cpl_entry_not_active", errors={"firmware_version": [f"{rows[0].status} on the CPL."]},
        )
    entry = active[0]  # newest Active row when the hardware version was not given
    if entry.device_type != device_type:
        raise RuleRefused(
            f"{described} is a {entry.device_type} on the Central Products List, not a {device_type}.",
            code="cpl_device_type_mismatch", errors={"device_type": [f"The CPL lists this model as {entry.device_type}."]},
        )
    return entry


def device_join_hub(*, actor: User, device: Device, hub: Device | None = None, hub_id: str = "",
                    request_id: str = "") -> Device:
    """Join ``device`` to ``hub``'s Smart Metering System (SRV 8.11 Add): it is put in the hub's device
    log (Pending becomes Whitelisted).

    A PPMID takes the hub's SMETS version whatever it was pre-notified as, and its CPL row switches to
    the row for that version; refused if the CPL has no such row (R202-3, nothing changes). Every other
    device type is single-mode and must already have the hub's SMETS version. Only the device's
    responsible supplier or the DCC may join it, to a hub of an SMS it has a part in.

    ``hub`` is the hub itself (DUIS 8.11 is addressed to it) or ``hub_id`` its Device ID as a user typed
    it (pages, REST): looked up only once the actor may join the device at all, so who is refused
    before anything is said about the hub.
    """
    refusal = _join_actor_refusal(actor=actor, device=device)
    if refusal is not None:
        raise refusal
    if hub is None:
        hub = hub_get(actor=actor, device_id=hub_id)
    if hub.device_type != DeviceType.CHF:
        raise RuleRefused(
            f"{hub.device_id} is a {hub.device_type}, not a Communications Hub Function: devices join a hub.",
            code="join_target_not_hub",
        )

    with transaction.atomic():
        device = Device.objects.select_for_update().select_related("cpl_entry").get(pk=device.pk)
        hub = Device.objects.select_for_update().get(pk=hub.pk)
        refusal = device_join_refusal(actor=actor, device=device, hub=hub)
        if refusal is not None:
            raise refusal
        if device.status not in JOINABLE_STATUSES:
            raise Conflict(f"{device.device_id} is {device.status} and cannot join a hub.", code="join_device_status")
        if hub.status not in HUB_USABLE_STATUSES:
            raise Conflict(f"Hub {hub.device_id} is {hub.status}: devices cannot join it.", code="join_hub_status")
        target_version = hub.smets_version
        entry = device.cpl_entry
        if device.device_type == DeviceType.PPMID:
            resolved = cpl_entry_counterpart(entry=entry, smets_version=target_version)
            if resolved is None:
                raise RuleRefused(
                    f"PPMID {device.device_id} ({_describe_model(entry)}) has no {target_version} row on the Central "
                    f"Products List, so it cannot join {target_version} hub {hub.device_id}.",
                    code="join_no_cpl_row_for_hub_version",
                )
            entry = resolved
        elif device.smets_version != target_version:
            raise RuleRefused(
                f"{device.device_id} is a {device.smets_version} {device.device_type} and cannot join "
                f"{target_version} hub {hub.device_id}: only PPMIDs are dual-mode (MP202).",
                code="join_smets_version_mismatch",
            )
        previous_version = device.smets_version
        device.hub = hub
        device.smets_version = target_version
        device.cpl_entry = entry
        if device.status == DeviceStatus.PENDING:
            device.status = DeviceStatus.WHITELISTED
        device.save(update_fields=["hub", "smets_version", "cpl_entry", "status", "updated_at"])
    logger.info(
        "Device %s joined hub %s by %s: SMETS %s -> %s (request %s)",
        device.device_id, hub.device_id, actor.party.code, previous_version, target_version, request_id,
    )
    return device


def hub_get(*, actor: User, device_id: str) -> Device:
    """The hub (CHF) with this Device ID that ``actor`` may join devices to, or ``NotFound``.

    The hub of a shared premises may be another supplier's, so the lookup is not the inventory scope but
    ``party_has_part_in_sms``; a hub outside it is answered as unknown, so its existence does not leak.
    """
    device_id = normalise_device_id(device_id)
    hub = Device.objects.filter(device_id=device_id, device_type=DeviceType.CHF).first()
    if hub is None or not party_has_part_in_sms(party=getattr(actor, "party", None), hub=hub):
        raise NotFound(f"There is no hub (CHF) {device_id} in the Smart Metering Inventory.", code="hub_not_found",
                       errors={"hub_id": ["No hub with this Device ID."]})
    return hub


def ppmid_firmware_update_refusal(*, device: Device) -> str | None:
    """Why SRV 11.4 Update PPMID Firmware may not go to ``device``, or None if it may (R202-4).

    OTA firmware goes only to PPMIDs enrolled in a SMETS2+ SMS: joined to a SMETS2+ hub, and so
    themselves SMETS2+ in the SMI. A PPMID in a SMETS1 SMS would need an S1SP-specific payload that
    MP202 does not introduce (seed 003, "OTA SMETS1 Firmware upgrades").
    """
    if device.device_type != DeviceType.PPMID:
        return f"SRV 11.4 updates PPMID firmware only; {device.device_id} is a {device.device_type}."
    hub = device.hub
    if hub is None:
        return (f"PPMID {device.device_id} is not joined to a hub: over-the-air firmware goes only to PPMIDs "
                f"enrolled in a SMETS2+ Smart Metering System (MP202).")
    if hub.smets_version != SmetsVersion.SMETS2_PLUS or device.smets_version != SmetsVersion.SMETS2_PLUS:
        return (f"PPMID {device.device_id} is enrolled in a {hub.smets_version} Smart Metering System (hub "
                f"{hub.device_id}): over-the-air firmware goes only to PPMIDs enrolled in a SMETS2+ SMS (MP202).")
    return None
