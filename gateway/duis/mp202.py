"""MP202 in the gateway: DUIS body handlers for SRV 12.2 Device Pre-notification and SRV 8.11 Update HAN
Device Log, and the SRV 11.4 Update PPMID Firmware device check. Registered by ``InventoryConfig.ready``.

Each calls the same service as the SSMI pages and the REST API and translates its domain error into a
DUIS response code (``gateway.checks.Refusal``); the reason is the service's sentence.

Response codes - DUIS 5.4's ``sr:ResponseCode`` enumerates SRV-specific codes (E + SRV digits + a
sequence number) but the XSD carries no descriptions, so where a specific code is used the assignment
below is the portal's reading and should be checked against the DUIS response-code table:

* 12.2: Device ID already in the SMI -> ``E120201``; model / firmware / SMETS version not an Active CPL
  row -> ``E120203``; device type differs from the CPL's -> ``E120204``; not a supplier -> ``E2``.
* 8.11 Add: the device to add is unknown -> ``E19``; not its responsible supplier -> ``E2``; the join is
  refused (device or hub state, no CPL row for the hub's SMETS version, single-mode SMETS mismatch) ->
  ``E5``, the generic "the device's SMI record does not allow this request".
* 11.4: ``E5`` - whether a PPMID may take OTA firmware depends on its SMI record (the hub it is
  enrolled in and so its SMETS version), the same family of refusal as an incompatible SMI status; it is
  in the 5.4 schema, so answers stay valid without a further schema extension (MP169's E72 needed one).
"""
from __future__ import annotations

from typing import Any

from gateway.body_handlers import register_body_handler
from gateway.checks import Refusal, register_device_check
from gateway.choices import ResponseCode
from inventory.choices import SmetsVersion
from inventory.models import Device
from inventory.services.devices import device_join_hub, device_prenotify, ppmid_firmware_update_refusal
from portal.errors import DomainError, PermissionDenied
from portal.eui64 import normalise_device_id

SR = "{http://www.dccinterface.co.uk/ServiceUserGateway}"

PRENOTIFICATION_SRV = "12.2"
UPDATE_HAN_DEVICE_LOG_SRV = "8.11"
UPDATE_PPMID_FIRMWARE_SRV = "11.4"

DEVICE_ALREADY_IN_SMI = "E120201"
NOT_ON_CPL = "E120203"
DEVICE_TYPE_NOT_AS_CPL = "E120204"

_PRENOTIFICATION_CODES = {
    "device_exists": DEVICE_ALREADY_IN_SMI,
    "not_on_cpl": NOT_ON_CPL,
    "cpl_entry_not_active": NOT_ON_CPL,
    "cpl_device_type_mismatch": DEVICE_TYPE_NOT_AS_CPL,
}


def _text(body: Any, name: str) -> str:
    """A field of a DUIS body element (lxml) or of a REST body dict."""
    if isinstance(body, dict):
        return str(body.get(name) or "").strip()
    return (body.findtext(f"{SR}{name}") or "").strip()


def smets_version_from_duis(value: str) -> str:
    """``sr:SMETSCHTSVersion`` names the technical specification version (e.g. "SMETS V1.58", a SMETS2
    version, or "CHTS V1.46"). SMETS1 versions start "SMETS1"; everything else, and an omitted value
    (the element is optional), is a DCC-native SMETS2+ device."""
    return SmetsVersion.SMETS1 if value.upper().replace(" ", "").startswith("SMETS1") else SmetsVersion.SMETS2_PLUS


def _refusal(error: DomainError, *, codes: dict[str, str], default: str) -> Refusal:
    if isinstance(error, PermissionDenied):
        return Refusal(ResponseCode.ROLE_NOT_ALLOWED, error.detail)
    return Refusal(codes.get(error.code, default), error.detail)


def device_prenotification_handler(*, srv: str, body: Any, party: Any, user: Any, device: Any,
                                   request_id: str) -> Refusal | None:
    """SRV 12.2 ``sr:DevicePrenotification``: add the device as Pending (R202-2)."""
    try:
        device_prenotify(
            actor=user, request_id=request_id, device_id=_text(body, "DeviceID"),
            device_type=_text(body, "DeviceType"), manufacturer=_text(body, "DeviceManufacturer"),
            model=_text(body, "DeviceModel"), firmware_version=_text(body, "FirmwareVersion"),
            smets_version=smets_version_from_duis(_text(body, "SMETSCHTSVersion")),
        )
    except DomainError as error:
        return _refusal(error, codes=_PRENOTIFICATION_CODES, default=NOT_ON_CPL)
    return None


def update_han_device_log_handler(*, srv: str, body: Any, party: Any, user: Any, device: Device | None,
                                  request_id: str) -> Refusal | None:
    """SRV 8.11 ``sr:UpdateHANDeviceLog`` Add: join the body's device to the target hub (R202-3).

    The install code it carries is passed to the hub by the CSP, not kept in the SMI. ``Remove`` does not
    concern MP202 and is answered by the gateway as before.
    """
    if _text(body, "RequestType") != "Add":
        return None
    try:
        joining = Device.objects.filter(device_id=normalise_device_id(_text(body, "DeviceID"))).first()
        if joining is None:
            return Refusal(ResponseCode.UNKNOWN_DEVICE,
                           f"Device {_text(body, 'DeviceID')} to add to the hub's device log is not in the SMI.")
        device_join_hub(actor=user, device=joining, hub=device, request_id=request_id)
    except DomainError as error:
        return _refusal(error, codes={}, default=ResponseCode.DEVICE_STATUS)
    return None


def ppmid_firmware_check(*, srv: str, device: Device, party: Any, body: Any) -> Refusal | None:
    """SRV 11.4 goes only to PPMIDs enrolled in a SMETS2+ SMS (R202-4); REST and DUIS both pass here."""
    reason = ppmid_firmware_update_refusal(device=device)
    return Refusal(ResponseCode.DEVICE_STATUS, reason) if reason else None


def register() -> None:
    """Plug MP202 into the gateway's registries (idempotent)."""
    register_body_handler(PRENOTIFICATION_SRV, device_prenotification_handler)
    register_body_handler(UPDATE_HAN_DEVICE_LOG_SRV, update_han_device_log_handler)
    register_device_check(UPDATE_PPMID_FIRMWARE_SRV, ppmid_firmware_check)
