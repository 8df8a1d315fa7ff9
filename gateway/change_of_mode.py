"""MP169 R169-14 in the gateway: SRV 1.6 Update Payment Mode switching a restricted meter to prepayment is refused
with E72 and inventory's sentence (``payment_mode_change_refusal``, seed 000 s3.1). A switch to credit, or any 1.6
to a meter that is not restricted, goes on to the rest of the decision."""
from __future__ import annotations

from typing import Any

from gateway.checks import Refusal, register_device_check
from gateway.choices import ResponseCode
from inventory.choices import PaymentMode
from inventory.services.restriction import payment_mode_change_refusal

UPDATE_PAYMENT_MODE_SRV = "1.6"


def requested_payment_mode(body: Any) -> str:
    """The mode a 1.6 asks for: REST ``{"payment_mode": ...}``, DUIS ``sr:UpdatePaymentMode`` holding
    ``sr:Prepayment`` or ``sr:Credit``; "" when the body does not say."""
    if isinstance(body, dict):
        return str(body.get("payment_mode") or "")
    if body is None:
        return ""
    if body.find("{*}Prepayment") is not None:
        return PaymentMode.PREPAYMENT
    if body.find("{*}Credit") is not None:
        return PaymentMode.CREDIT
    return ""


def update_payment_mode_check(*, srv: str, device: Any, party: Any, body: Any) -> Refusal | None:
    refusal = payment_mode_change_refusal(device=device, payment_mode=requested_payment_mode(body))
    return Refusal(ResponseCode.RESTRICTED, refusal.detail) if refusal is not None else None


def register() -> None:
    register_device_check(UPDATE_PAYMENT_MODE_SRV, update_payment_mode_check)
