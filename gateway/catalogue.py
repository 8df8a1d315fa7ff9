"""Cached reads of the SRV and alert catalogues.

The catalogues are reference data loaded by migration and never edited by the application, so a
process-local cache is safe (``catalogue_cache_clear()`` exists for tests and for a reload after a new
migration). The MP169 allow-lists are NOT cached here: they are edited by DCC and must take effect at
once, so the decision service reads them in the same query as the device (see ``gateway.services``).
"""
from __future__ import annotations

from functools import lru_cache

from gateway.models import AlertCode, ServiceReferenceVariant


@lru_cache(maxsize=1)
def _srvs() -> dict[str, ServiceReferenceVariant]:
    return {srv.srv: srv for srv in ServiceReferenceVariant.objects.all()}


@lru_cache(maxsize=1)
def _alerts() -> dict[str, AlertCode]:
    return {alert.code: alert for alert in AlertCode.objects.all()}


def srv_get(srv: str) -> ServiceReferenceVariant | None:
    return _srvs().get(srv)


def srv_all() -> list[ServiceReferenceVariant]:
    return sorted(_srvs().values(), key=lambda s: [int(p) for p in s.srv.split(".")])


def alert_get(code: str) -> AlertCode | None:
    return _alerts().get(code)


def catalogue_cache_clear() -> None:
    _srvs.cache_clear()
    _alerts.cache_clear()
