"""Bulk restriction changes as a job: ``restriction_bulk_job_run`` over ``--restriction-rows`` eligible meters.

The job is run in this process (the benchmark runs no Celery worker), so the figure is the service's
own rate: each row through ``restriction_set`` (lock, rules, audit rows, CSP outbox message) in chunks
of 100 committed with their outcomes and the job's progress. The reference is the per-meter endpoint
(``POST /api/v1/devices/<id>/restriction/``) called once per meter for a few hundred meters: what a
supplier's system without the bulk path gets. Both set Restricted; the meters are cleared again
afterwards with one UPDATE, so later runs find them eligible (their audit rows stay, as they must).
"""
from __future__ import annotations

import time

from django.db import connection

from benchmarks.context import BenchContext, route_exists
from benchmarks.results import Row, median, rate, ratio

SINGLE_REFERENCE_ROWS = 200
JOB_PATH = "/api/v1/devices/restriction/bulk-jobs/"
REASON = "Consumer refused remote collection of consumption data"


def _eligible_meter_ids(party_id: int, count: int) -> list[str]:
    """Commissioned SMETS2+ credit meters of the supplier with a commissioned hub, outside every exception."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT d.device_id FROM inventory_device d JOIN inventory_device h ON h.id = d.hub_id "
            "WHERE d.responsible_supplier_id = %s AND d.device_type = ANY(%s) AND d.smets_version = 'SMETS2+' "
            "AND d.status = 'Commissioned' AND h.status = 'Commissioned' AND d.payment_mode = 'Credit' "
            "AND d.load_management = 'None' AND NOT d.network_managed_no_wan AND NOT d.restricted "
            "ORDER BY d.device_id LIMIT %s",
            [party_id, ["ESME", "GSME"], count],
        )
        return [row[0] for row in cursor.fetchall()]


def _clear(device_ids: list[str]) -> None:
    """Put the measured meters (and the GPFs their GSMEs carried) back as they were, for the next run."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE inventory_device SET restricted = false, restricted_since = NULL "
            "WHERE device_id = ANY(%s) OR hub_id IN (SELECT hub_id FROM inventory_device WHERE device_id = ANY(%s) "
            "AND device_type = 'GSME') AND device_type = 'GPF'",
            [device_ids, device_ids],
        )


def _one_at_a_time_rate(context: BenchContext, device_ids: list[str]) -> float:
    session = context.supplier.session()
    started = time.perf_counter()
    for device_id in device_ids:
        response = session.post(
            context.url(f"/api/v1/devices/{device_id}/restriction/"),
            json={"restricted": True, "reason": REASON, "all_reasonable_steps_taken": True}, timeout=60,
        )
        if response.status_code != 200:
            raise RuntimeError(f"single restriction answered {response.status_code}: {response.text[:300]}")
    return len(device_ids) / (time.perf_counter() - started)


def measure_restriction_bulk_job(context: BenchContext) -> list[Row]:
    wanted = context.options.restriction_rows
    name = f"Bulk restriction job, in-process ({wanted:,} rows)"
    target = "faster than one request per meter"
    if not route_exists(JOB_PATH):
        return [Row.not_available(name, "restriction bulk jobs are not built yet", target)]
    from inventory.models import RestrictionBulkJob
    from inventory.services.restriction_bulk import restriction_bulk_job_run
    from portal.models import User

    single_rows = min(SINGLE_REFERENCE_ROWS, wanted)
    device_ids = _eligible_meter_ids(context.supplier.party_id, wanted + single_rows)
    if len(device_ids) < wanted + single_rows:
        raise RuntimeError(f"only {len(device_ids):,} eligible meters for {wanted + single_rows:,} rows")
    single_ids, job_ids = device_ids[:single_rows], device_ids[single_rows:]
    user = User.objects.select_related("party").get(pk=context.supplier.user_id)
    job_rates, single_rates, applied = [], [], 0
    try:
        for _ in range(context.options.repeat):
            rows = [{"device_id": device_id, "restricted": True, "reason": REASON, "all_reasonable_steps_taken": True}
                    for device_id in job_ids]
            job = RestrictionBulkJob.objects.create(party=user.party, user=user, rows=rows, total_rows=len(rows))
            started = time.perf_counter()
            restriction_bulk_job_run(job_id=job.pk)
            job_rates.append(len(rows) / (time.perf_counter() - started))
            job.refresh_from_db()
            applied = job.applied_count
            if applied != len(rows):
                raise RuntimeError(f"the job applied {applied:,} of {len(rows):,} rows; first refusal: "
                                   f"{job.results.filter(ok=False).values_list('code', 'detail').first()}")
            single_rates.append(_one_at_a_time_rate(context, single_ids))
            _clear(device_ids)
    finally:
        _clear(device_ids)
    job_rate, single_rate = median(job_rates), median(single_rates)
    return [Row(
        name, rate(job_rate, 1), f"one request per meter ({single_rows} meters): {rate(single_rate, 1)}",
        ratio(job_rate, single_rate), target, job_rate > single_rate,
    )]
