"""What the incidents app offers on the SSI device page (``inventory.device_actions``): a supplier that may
raise an install-code request for an uncommissioned device (MP121, R121-1/R121-2) gets the link, with the
Device ID filled in."""
from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from incidents.services.install_codes import install_code_request_refusal
from inventory.device_actions import DeviceAction, register_device_action


def offer_install_code_request(user, device) -> DeviceAction | None:
    if install_code_request_refusal(actor=user, device=device) is not None:
        return None
    url = f"{reverse('incidents:incident-raise')}?{urlencode({'device_id': device.device_id})}"
    return DeviceAction(
        label="Request an install code", url=url,
        hint="The installing supplier is asked for it and has 10 working days to answer (MP121).",
    )


def register() -> None:
    register_device_action(offer_install_code_request)
