"""Reads of the Smart Metering Inventory, one module per sub-domain; the public names of each are
re-exported here, so ``from inventory.selectors import device_get_for`` names what to call, not where it lives.

- ``devices``: who sees which device (``device_queryset_for`` is the one place that decides), one device,
  its Smart Metering System;
- ``cpl``: the Central Products List (public to every logged-in party);
- ``restriction``: the MP169 restriction history a party may read, and its CSV; the party's bulk restriction jobs;
- ``extracts``: the streamed device extracts (CSV through PostgreSQL ``COPY``, JSON lines); the user's extract jobs.

Tunables that tests patch (``extracts.JSONL_CHUNK``) stay in their module and are not re-exported.
"""
from inventory.selectors.attention import (
    GAINED_ATTENTION_DAYS,
    NOTICE_STATES,
    gained_restricted_for,
    hub_holds_restricted,
    restricted_in_sms_q,
    restriction_notices_for,
)
from inventory.selectors.cpl import cpl_change_list, cpl_dual_mode_subquery, cpl_entry_list
from inventory.selectors.devices import (
    EXACT_COUNT_LIMIT,
    PRENOTIFIER_VISIBLE_STATUSES,
    DeviceCount,
    DeviceLookup,
    csp_regions_of,
    device_count,
    device_get_for,
    device_queryset_for,
    device_scope_q,
    party_sees_inventory,
    sms_devices_for,
)
from inventory.selectors.extracts import (
    COLUMN_NAMES,
    COLUMNS,
    csv_copy_statement,
    device_extract_job_get,
    device_extract_jobs_for,
    stream_csv,
    stream_jsonl,
)
from inventory.selectors.restriction import (
    HISTORY_CSV_COLUMNS,
    restriction_bulk_job_get,
    restriction_bulk_job_results,
    restriction_bulk_jobs_for,
    restriction_history_csv_response,
    restriction_history_for,
)
from inventory.selectors.visibility import Window, device_history_windows, window_q

__all__ = [
    # devices
    "EXACT_COUNT_LIMIT", "PRENOTIFIER_VISIBLE_STATUSES", "DeviceCount", "DeviceLookup", "csp_regions_of",
    "device_count", "device_get_for", "device_queryset_for",
    "device_scope_q", "party_sees_inventory", "sms_devices_for",
    # cpl
    "cpl_change_list", "cpl_dual_mode_subquery", "cpl_entry_list",
    # restriction
    "HISTORY_CSV_COLUMNS", "restriction_bulk_job_get", "restriction_bulk_job_results", "restriction_bulk_jobs_for",
    "restriction_history_csv_response", "restriction_history_for",
    # attention (R169-16, R169-17)
    "GAINED_ATTENTION_DAYS", "NOTICE_STATES", "gained_restricted_for", "hub_holds_restricted", "restricted_in_sms_q",
    "restriction_notices_for",
    # visibility (Privacy)
    "Window", "device_history_windows", "window_q",
    # extracts
    "COLUMNS", "COLUMN_NAMES", "csv_copy_statement", "device_extract_job_get", "device_extract_jobs_for",
    "stream_csv", "stream_jsonl",
]
