"""Extension point: extra device checks of the gateway's decision service.

Another feature adds a rule for some SRVs without touching the decision service::

    from gateway.checks import Refusal, register_device_check

    @register_device_check("11.4")
    def ppmid_firmware_only_to_dual_mode(*, srv, device, party, body):
        if not ...:
            return Refusal("E11", "SRV 11.4 goes only to dual-mode PPMIDs enrolled in a SMETS2+ SMS.")
        return None

A check is called for SRVs equal to ``srv_prefix`` or below it (``"6.15"`` covers 6.15.1 and 6.15.2),
only for SRVs addressed to a device, after the device exists (E19), the role (E2) and the SMI status
(E5) were checked and before the command variant (E12) and MP169 (E72) checks. ``device`` is the
``inventory.Device`` loaded with ``cpl_entry`` and ``hub``; ``body`` is what the entry point passed
(a dict from REST, the request's body element from DUIS, or None). The first check returning a
``Refusal`` decides the response code; the request is logged with it. Register at import time, e.g. in
your app's ``AppConfig.ready()``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Refusal:
    """A response code (a DUIS ``sr:ResponseCode`` value) and the human reason."""

    code: str
    reason: str


DeviceCheck = Callable[..., Refusal | None]
_checks: list[tuple[str, DeviceCheck]] = []


def register_device_check(srv_prefix: str, func: DeviceCheck | None = None):
    """Register ``func`` for ``srv_prefix``; usable as a decorator. Registering the same pair twice is a no-op."""

    def _register(check: DeviceCheck) -> DeviceCheck:
        if (srv_prefix, check) not in _checks:
            _checks.append((srv_prefix, check))
        return check

    return _register(func) if func is not None else _register


def unregister_device_check(srv_prefix: str, func: DeviceCheck) -> None:
    if (srv_prefix, func) in _checks:
        _checks.remove((srv_prefix, func))


def _covers(prefix: str, srv: str) -> bool:
    return srv == prefix or srv.startswith(prefix + ".")


def device_checks_run(*, srv: str, device: Any, party: Any, body: Any) -> Refusal | None:
    for prefix, check in _checks:
        if _covers(prefix, srv):
            refusal = check(srv=srv, device=device, party=party, body=body)
            if refusal is not None:
                return refusal
    return None
