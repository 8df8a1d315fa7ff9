"""Actions other apps offer on the SSI device page, registered from above (the layers point down: inventory
cannot import incidents, so incidents fills this registry in its ``AppConfig.ready``, as gateway does the
MP202 DUIS handlers).

An offer is a function ``(user, device) -> DeviceAction | None`` that asks its own service's ``*_refusal``
helper, so the page offers only what the service would accept.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from inventory.models import Device


@dataclass(frozen=True)
class DeviceAction:
    label: str
    url: str
    hint: str = ""


DeviceActionOffer = Callable[[object, Device], DeviceAction | None]
_OFFERS: list[DeviceActionOffer] = []


def register_device_action(offer: DeviceActionOffer) -> DeviceActionOffer:
    if offer not in _OFFERS:
        _OFFERS.append(offer)
    return offer


def device_actions_for(user, device: Device) -> list[DeviceAction]:
    """The actions ``user`` may take on ``device``, in registration order."""
    return [action for action in (offer(user, device) for offer in _OFFERS) if action is not None]
