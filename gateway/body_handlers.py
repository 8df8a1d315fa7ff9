"""Extension point: body handlers for SRVs whose body changes the SMI (12.2 Device Pre-notification,
8.11 Update HAN Device Log, ...).

The gateway itself only decides whether a request is accepted; what an accepted request's body does
to the inventory belongs to the feature that owns it::

    from gateway.body_handlers import register_body_handler

    def device_prenotification(*, srv, body, party, user, device, request_id):
        ...  # e.g. create the Device from body's sr:DeviceID, sr:DeviceType ...
        return None  # or gateway.checks.Refusal(code, reason) to refuse the request

    register_body_handler("12.2", device_prenotification)

A handler runs inside the decision service (``gateway.services.service_request_submit``), after every
gateway check passed, in the same database transaction as the request's log row: if it raises, nothing
is written; if it returns a ``Refusal``, the request is answered and logged with that code. ``body`` is
the request's payload element (the child of ``sr:Body``, an lxml element, e.g. ``sr:DevicePrenotification``)
for DUIS, or the dict a REST client sent; ``device`` is the target ``inventory.Device`` or None for
non-device SRVs. One handler per SRV.
"""
from __future__ import annotations

from collections.abc import Callable

BodyHandler = Callable[..., object]
_handlers: dict[str, BodyHandler] = {}


def register_body_handler(srv: str, func: BodyHandler) -> BodyHandler:
    existing = _handlers.get(srv)
    if existing is not None and existing is not func:
        raise ValueError(f"SRV {srv} already has a body handler ({existing.__qualname__}).")
    _handlers[srv] = func
    return func


def unregister_body_handler(srv: str) -> None:
    _handlers.pop(srv, None)


def body_handler_for(srv: str) -> BodyHandler | None:
    return _handlers.get(srv)
