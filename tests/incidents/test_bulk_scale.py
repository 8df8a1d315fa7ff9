"""R121-8 at scale: bulk raising is set-based, so the number of queries does not grow with the rows.

``INCIDENT_BULK_ROWS=100000 pytest tests/incidents/test_bulk_scale.py -s`` measures a 100,000-row
backlog (the figure quoted in the issue); the default keeps the suite quick. No timing assertion.
"""
from __future__ import annotations

import os
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident, IncidentEvent
from incidents.services import incident_bulk_raise_install_code_requests
from inventory.choices import DeviceStatus, DeviceType, SmetsVersion
from inventory.models import Device
from portal.models import OutboxMessage
from tests.factories import CPLEntryFactory, SupplierFactory

ROWS = int(os.environ.get("INCIDENT_BULK_ROWS", "3000"))


def test_bulk_raise_is_set_based_and_sends_one_summary_per_assignee(gaining_user, installer):
    cpl = CPLEntryFactory(device_type=DeviceType.ESME)
    third = SupplierFactory(code="SUPD")
    Device.objects.bulk_create([
        Device(device_id="-".join(f"{0x00DB300000000000 + n:016X}"[i:i + 2] for i in range(0, 16, 2)),
               device_type=DeviceType.ESME, status=DeviceStatus.INSTALLED_NOT_COMMISSIONED,
               smets_version=SmetsVersion.SMETS2_PLUS, cpl_entry=cpl, responsible_supplier=gaining_user.party,
               prenotifying_supplier=installer if n % 2 else third)
        for n in range(ROWS)
    ], batch_size=10_000)
    # ROWS rows in all: ROWS - 1 raisable devices and one unknown.
    device_ids = list(Device.objects.order_by("pk").values_list("device_id", flat=True)[:ROWS - 1])
    device_ids.append("00-DB-FF-FF-FF-FF-FF-FF")

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        results = incident_bulk_raise_install_code_requests(device_ids=device_ids, actor=gaining_user)
    seconds = time.perf_counter() - started
    print(f"\nbulk raise: {ROWS:,} rows in {seconds:.1f} s, {len(queries)} queries")

    assert sum(r.ok for r in results) == ROWS - 1 and not results[-1].ok
    assert Incident.objects.count() == ROWS - 1 and IncidentEvent.objects.count() == 2 * (ROWS - 1)
    assert OutboxMessage.objects.count() == 2  # one summary per installing supplier
    # Fixed reads + one INSERT per 5,000 incidents / 2,500 incidents' events + the two summaries.
    assert len(queries) <= 12 + 3 * (ROWS // 5000 + 1)
