"""Gateway fixtures: parties with DUIS roles, DCC users, the real DUIS request files."""
from __future__ import annotations

import pytest

from gateway import catalogue, catalogue_data
from gateway.catalogue import catalogue_cache_clear
from gateway.models import AlertCode, RestrictedAlertAllowance, RestrictedSrvAllowance, ServiceReferenceVariant
from tests.factories import PartyFactory


@pytest.fixture(autouse=True)
def gateway_catalogues(db):
    """The catalogues come from a data migration; a transactional test elsewhere may have flushed them."""
    if not ServiceReferenceVariant.objects.exists():
        srvs = catalogue_data.srv_rows()
        alerts = catalogue_data.alert_rows()
        ServiceReferenceVariant.objects.bulk_create([ServiceReferenceVariant(**row) for row in srvs])
        AlertCode.objects.bulk_create([AlertCode(**row) for row in alerts])
        RestrictedSrvAllowance.objects.bulk_create(
            [RestrictedSrvAllowance(srv_id=s) for s in catalogue_data.initially_allowed_srvs(srvs)])
        RestrictedAlertAllowance.objects.bulk_create(
            [RestrictedAlertAllowance(alert_id=c) for c in catalogue_data.initially_allowed_alerts(alerts)])
    catalogue_cache_clear()
    yield catalogue
    catalogue_cache_clear()


@pytest.fixture
def csp_party(db):
    return PartyFactory(code="CSPN", name="CSP North", roles=["CSP"], csp_region="North")


@pytest.fixture
def dcc_user(dcc_party, make_user):
    return make_user(dcc_party, "dcc-desk")



@pytest.fixture
def gateway_only(monkeypatch):
    """Run the gateway's own decision without the device checks and body handlers other features
    register (their SMI effects are tested with those features)."""
    from gateway import body_handlers as handlers
    from gateway import checks

    monkeypatch.setattr(handlers, "_handlers", {})
    monkeypatch.setattr(checks, "_checks", [])


from tests.gateway.duis_client import (  # noqa: E402,F401 (fixtures: the real DUIS client and the test identities)
    boxed_tool,
    demo_identities,
    duis_identities,
    duis_sender,
    identity_registrar,
)
