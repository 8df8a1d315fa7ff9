"""Body handlers of the non-device SRVs whose body names a device the SMI changes for: 8.3 Decommission Device
and 8.4 Update Inventory. The gateway has judged the named device (E19 unknown, E4 not the caller's, E5, E72);
the change itself is ``inventory.services.lifecycle``'s. A refusal of the service answers the request (E4 not
the Responsible Supplier, E5 a status change the SMI refuses, E100 a malformed MPxN) and nothing is written."""
from __future__ import annotations

from typing import Any

from gateway.body_handlers import register_body_handler
from gateway.checks import Refusal
from gateway.choices import ResponseCode
from inventory.services.lifecycle import device_decommission, device_inventory_update
from portal.errors import DomainError, PermissionDenied, ValidationFailed

SR = "{http://www.dccinterface.co.uk/ServiceUserGateway}"
DECOMMISSION_SRV = "8.3"
UPDATE_INVENTORY_SRV = "8.4"


def _refusal(error: DomainError) -> Refusal:
    if isinstance(error, PermissionDenied):
        return Refusal(ResponseCode.NOT_AUTHORISED_FOR_DEVICE, error.detail)
    if isinstance(error, ValidationFailed):
        return Refusal(ResponseCode.MALFORMED, error.detail)
    return Refusal(ResponseCode.DEVICE_STATUS, error.detail)


def decommission_handler(*, srv: str, body: Any, party: Any, user: Any, device: Any, request_id: str) -> Refusal | None:
    try:
        device_decommission(actor=user, device=device, request_id=request_id)
    except DomainError as error:
        return _refusal(error)
    return None


def update_inventory_handler(*, srv: str, body: Any, party: Any, user: Any, device: Any,
                             request_id: str) -> Refusal | None:
    change: dict[str, Any] = {}
    for tag in ("UpdateDeviceStatusExceptCH", "UpdateDeviceStatusCH"):
        if body.find(f"{SR}{tag}") is not None:
            change["status"] = body.findtext(f"{SR}{tag}").strip()
    if body.find(f"{SR}UpdateMPxN/{SR}ImportMPxN") is not None:
        change["import_mpxn"] = body.findtext(f"{SR}UpdateMPxN/{SR}ImportMPxN").strip()
    if body.find(f"{SR}DeleteDevice") is not None:
        change["delete"] = True
    if not change:
        return Refusal(ResponseCode.MALFORMED, "The portal's SMI keeps no secondary or export MPAN and no device "
                                               "details apart from the CPL: this Update Inventory changes nothing.")
    try:
        device_inventory_update(actor=user, device=device, request_id=request_id, **change)
    except DomainError as error:
        return _refusal(error)
    return None


def register() -> None:
    """Plug the handlers into the gateway's registry (idempotent)."""
    register_body_handler(DECOMMISSION_SRV, decommission_handler)
    register_body_handler(UPDATE_INVENTORY_SRV, update_inventory_handler)
