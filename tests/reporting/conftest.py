"""Fixtures for the reporting tests: known service-request traffic and known install-code incidents."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest

from gateway.models import ServiceRequestLog
from incidents.choices import IncidentState, SpellKind, SpellOutcome
from incidents.models import Incident, IncidentSpell
from incidents.working_days import add_working_days
from portal.models import Party
from tests.factories import DeviceFactory, SupplierFactory, UserFactory

UTC = dt.UTC
LONDON = dt.timezone(dt.timedelta(hours=1))  # British Summer Time, for April 2025 incidents
_request_numbers = itertools.count(1)

REPORT_MONTH = "2025-03"
SLA_MONTH = "2025-04"


def sr(at: dt.datetime, *, party: Party, srv: str, category: str, code: str, region: str = "North",
       device_id: str = "00-DB-12-00-00-00-00-01", restricted: bool = False) -> ServiceRequestLog:
    return ServiceRequestLog(
        request_id=f"REQ-{next(_request_numbers)}", requested_at=at, party=party, srv=srv, srv_category=category,
        device_id=device_id, response_code=code, restricted_at_request=restricted, csp_region=region,
        channel="json",
    )


@pytest.fixture
def march_traffic(supplier, other_supplier, network_operator):
    """March 2025 (UTC) traffic with known figures.

    Device 00-DB-12-00-00-00-00-01 (SUPA, North) became Restricted at 2025-03-20 12:00 UTC; the log
    records ``restricted_at_request`` from the device's state at each request. Expected, per region and
    category (DCC view):

    =============  ============  =====  =========  ======  ===================  =========  ====
    region         category      total  succeeded  failed  excluded_restricted  rejected   rate
    =============  ============  =====  =========  ======  ===================  =========  ====
    North          consumption   5      3          2       2                    1          60.0
    North          other_device  2      1          1       0                    1          50.0
    South          consumption   4      3          1       0                    0          75.0
    4G North       consumption   1      1          0       0                    0          100.0
    (none)         consumption   0      0          0       0                    1          None (E19)
    (none)         non_device    2      2          0       0                    1          100.0
    =============  ============  =====  =========  ======  ===================  =========  ====
    """
    restricted_device = "00-DB-12-00-00-00-00-01"
    other_device = "00-DB-12-00-00-00-00-02"
    day = lambda d, h=10, m=0: dt.datetime(2025, 3, d, h, m, tzinfo=UTC)  # noqa: E731
    rows = [
        # North consumption, SUPA: before the restriction counts normally...
        sr(day(5), party=supplier, srv="4.1.1", category="consumption", code="I99", device_id=restricted_device),
        sr(day(10), party=supplier, srv="4.1.1", category="consumption", code="E21", device_id=restricted_device),
        sr(day(19), party=supplier, srv="4.8.1", category="consumption", code="I99", device_id=restricted_device),
        # ... after it, consumption requests are excluded, whatever their outcome.
        sr(day(21), party=supplier, srv="4.1.1", category="consumption", code="E72", device_id=restricted_device,
           restricted=True),
        sr(day(25), party=supplier, srv="4.8.1", category="consumption", code="E20", device_id=restricted_device,
           restricted=True),
        sr(day(8), party=supplier, srv="4.1.1", category="consumption", code="E20", device_id=other_device),
        sr(day(6), party=supplier, srv="4.1.1", category="consumption", code="E2", device_id=other_device),
        sr(day(7), party=supplier, srv="4.1.1", category="consumption", code="E19", device_id="00-DB-12-FF-FF-FF-FF-FF",
           region=""),
        # 23:30 UTC on the 31st is already 1 April in London: the month is the UTC month, so March.
        sr(day(31, 23, 30), party=supplier, srv="4.1.1", category="consumption", code="I0", device_id=other_device),
        # North other device SRVs to the restricted device count normally (firmware, credentials).
        sr(day(22), party=supplier, srv="11.2", category="other_device", code="I99", device_id=restricted_device,
           restricted=True),
        sr(day(23), party=supplier, srv="6.15.1", category="other_device", code="E21", device_id=restricted_device,
           restricted=True),
        sr(day(24), party=supplier, srv="3.1", category="other_device", code="E5", device_id=other_device),
        # Non-device SRVs have no region.
        sr(day(2), party=supplier, srv="8.2", category="non_device", code="I0", device_id="", region=""),
        sr(day(3), party=supplier, srv="8.2", category="non_device", code="I0", device_id="", region=""),
        sr(day(4), party=supplier, srv="8.2", category="non_device", code="E2", device_id="", region=""),
        # South, SUPB.
        *[sr(day(n), party=other_supplier, srv="4.1.1", category="consumption", code="I99", region="South",
             device_id="00-DB-12-00-00-00-00-03") for n in (1, 2, 3)],
        sr(day(4), party=other_supplier, srv="4.1.1", category="consumption", code="E20", region="South",
           device_id="00-DB-12-00-00-00-00-03"),
        # 4G North, the network operator's own request.
        sr(day(9), party=network_operator, srv="4.1.1", category="consumption", code="I99", region="4G North",
           device_id="00-DB-12-00-00-00-00-04"),
        # Outside March (UTC): the last second of February and the first of April.
        sr(dt.datetime(2025, 2, 28, 23, 59, 59, tzinfo=UTC), party=supplier, srv="4.1.1", category="consumption",
           code="E21"),
        sr(dt.datetime(2025, 4, 1, 0, 0, 0, tzinfo=UTC), party=supplier, srv="4.1.1", category="consumption",
           code="E21"),
    ]
    ServiceRequestLog.objects.bulk_create(rows)
    return rows


def _incident(number: int, *, raised_by: Party, raiser_user, assigned: Party, raised: dt.datetime,
              answered: dt.datetime | None = None, breached: bool = False) -> Incident:
    device = DeviceFactory(status="InstalledNotCommissioned", prenotifying_supplier=assigned)
    local_raised = raised.astimezone(LONDON).date()
    incident = Incident.objects.create(
        reference=f"INC{number:07d}", device=device, raised_by=raised_by,
        raised_by_user=raiser_user, assigned_party=assigned,
        due_by=add_working_days(local_raised, 10), created_at=raised, first_response_at=answered,
        responder_party=assigned if answered else None, assigned_party_at_response=assigned if answered else None,
        breached=breached, state=IncidentState.RESPONDED if answered else IncidentState.ASSIGNED,
    )
    # The SLA report counts clocks (R121-10): the one a raise starts, as the raise service writes it.
    IncidentSpell.objects.create(incident=incident, kind=SpellKind.RAISED, assigned_party=assigned, started_at=raised,
                                 due_by=incident.due_by, responded_at=answered, ended_at=answered,
                                 outcome=SpellOutcome.CODE if answered else "")
    return incident


@pytest.fixture
def april_incidents(supplier, other_supplier, dcc_party):
    """Install-code requests raised in April 2025 with known response times in working days.

    Good Friday (18 April) and Easter Monday (21 April) 2025 are bank holidays.
    SUPA installed: 1 (Thu 17 -> Tue 22: 1 working day), 5, 18 (late: breached), unanswered (breached).
    SUPB installed: 0 and 2 working days. National: [0, 1, 2, 5, 18].
    """
    raiser = SupplierFactory(code="SUPC", name="Gaining supplier C")
    user = UserFactory(party=raiser)
    at = lambda month, d, h=10: dt.datetime(2025, month, d, h, 0, tzinfo=LONDON)  # noqa: E731
    return [
        _incident(1, raised_by=raiser, raiser_user=user, assigned=supplier, raised=at(4, 17), answered=at(4, 22)),
        _incident(2, raised_by=raiser, raiser_user=user, assigned=supplier, raised=at(4, 1), answered=at(4, 8)),
        _incident(3, raised_by=raiser, raiser_user=user, assigned=supplier, raised=at(4, 2), answered=at(4, 30),
                  breached=True),
        _incident(4, raised_by=raiser, raiser_user=user, assigned=supplier, raised=at(4, 3), breached=True),
        _incident(5, raised_by=raiser, raiser_user=user, assigned=other_supplier, raised=at(4, 7, 9), answered=at(4, 7, 15)),
        _incident(6, raised_by=raiser, raiser_user=user, assigned=other_supplier, raised=at(4, 8), answered=at(4, 10)),
        # Still in the DCC service desk queue: no installing supplier, not counted.
        _incident(7, raised_by=raiser, raiser_user=user, assigned=dcc_party, raised=at(4, 9)),
        # Raised in March: another month.
        _incident(8, raised_by=raiser, raiser_user=user, assigned=supplier, raised=at(3, 31), answered=at(4, 1)),
    ]

