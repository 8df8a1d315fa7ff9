"""Writes to the Smart Metering Inventory, one module per sub-domain; the public names of each are
re-exported here, so ``from inventory.services import restriction_set`` names what to call, not where it lives.

- ``devices``: MP202 pre-notification (SRV 12.2), joining a hub (SRV 8.11), the PPMID firmware gate (SRV 11.4);
- ``lifecycle``: 8.3 Decommission Device and 8.4 Update Inventory;
- ``cpl``: Central Products List maintenance (R202-1), DCC only;
- ``restriction``: MP169 Restricted mode, the one place for its rules (R169-1..R169-6), and the bulk rows;
- ``restriction_bulk``: bulk restriction changes as jobs (a CSV upload or a REST list);
- ``restriction_service_centre``: the DCC Service Centre sets or clears Restricted for a supplier (R169-15);
- ``extracts``: device extracts as jobs, and their expiry;
- ``supplier_changes``: Change of Supplier, recorded by the DCC (R169-5);
- ``gaining_supplier``: the gaining supplier told of the restricted meters it gained (R169-16);
- ``hub_replacement``: a hub replacement / Trust Centre swap-out moves the SMS and its flag (R169-12);
- ``csp_notices``: the restriction notices to the CSPs, and their acknowledgement (R169-6, R169-17).

Reads (what a party may see, the job lookups included) are ``inventory.selectors``. Tunables that tests patch
(``restriction_bulk.JOB_INLINE_MAX_ROWS``, ``extracts.EXTRACT_CHUNK_ROWS`` ...) stay in their module and
are not re-exported: patch them there.
"""
from inventory.services.cpl import (
    CPL_ACTION_ADDED,
    CPL_ACTION_STATUS,
    DUAL_MODE_DEVICE_TYPES,
    cpl_entry_add,
    cpl_entry_counterpart,
    cpl_entry_is_dual_mode,
    cpl_entry_set_status,
    cpl_maintenance_refusal,
)
from inventory.services.csp_notices import (
    ACKNOWLEDGE_MAX,
    restriction_notice_acknowledge,
    restriction_notice_send,
)
from inventory.services.devices import (
    HUB_USABLE_STATUSES,
    JOINABLE_STATUSES,
    ONE_PER_SMS_TYPES,
    device_join_hub,
    device_join_refusal,
    device_prenotify,
    device_prenotify_refusal,
    hub_get,
    party_has_part_in_sms,
    ppmid_firmware_update_refusal,
)
from inventory.services.extracts import (
    EXTRACT_RETENTION,
    device_extract_job_enqueue,
    device_extract_job_run,
    device_extract_job_submit,
    device_extracts_expire,
    extract_filter_summary,
    extract_queryset,
)
from inventory.services.gaining_supplier import supplier_change_gained_notify
from inventory.services.hub_replacement import hub_replace, hub_replace_refusal, replacement_hub_get
from inventory.services.lifecycle import device_decommission, device_inventory_update
from inventory.services.restriction import (
    BULK_COLUMNS,
    BULK_JOB_MAX_ROWS,
    BULK_MAX_ROWS,
    BULK_REQUIRED_COLUMNS,
    REASON_CHOICES,
    RESTRICTABLE_TYPES,
    BulkRowResult,
    RestrictionResult,
    csp_party_for,
    payment_mode_change_refusal,
    restriction_bulk_apply,
    restriction_bulk_parse_csv,
    restriction_changer_refusal,
    restriction_check,
    restriction_refusal,
    restriction_request_errors,
    restriction_set,
)
from inventory.services.restriction_bulk import (
    restriction_bulk_job_check,
    restriction_bulk_job_confirm,
    restriction_bulk_job_enqueue,
    restriction_bulk_job_reasons,
    restriction_bulk_job_retry,
    restriction_bulk_job_run,
    restriction_bulk_job_submit,
    restriction_bulk_refused_rows,
    restriction_bulk_rows_judge,
)
from inventory.services.restriction_service_centre import (
    restriction_set_by_service_centre,
    service_centre_refusal,
    service_centre_supplier,
)
from inventory.services.supplier_changes import supplier_change_record, supplier_change_refusal

__all__ = [
    # cpl
    "CPL_ACTION_ADDED", "CPL_ACTION_STATUS", "DUAL_MODE_DEVICE_TYPES", "cpl_entry_add", "cpl_entry_counterpart",
    "cpl_entry_is_dual_mode", "cpl_entry_set_status", "cpl_maintenance_refusal",
    # csp_notices (R169-17)
    "ACKNOWLEDGE_MAX", "restriction_notice_acknowledge", "restriction_notice_send",
    # devices
    "HUB_USABLE_STATUSES", "JOINABLE_STATUSES", "ONE_PER_SMS_TYPES", "device_join_hub", "device_join_refusal",
    "device_prenotify", "device_prenotify_refusal", "hub_get", "party_has_part_in_sms",
    "ppmid_firmware_update_refusal",
    # extracts
    "EXTRACT_RETENTION", "device_extract_job_enqueue",
    "device_extract_job_run", "device_extract_job_submit", "device_extracts_expire",
    "extract_filter_summary", "extract_queryset",
    # gaining_supplier (R169-16)
    "supplier_change_gained_notify",
    # hub_replacement (R169-12)
    "hub_replace", "hub_replace_refusal", "replacement_hub_get",
    # lifecycle
    "device_decommission", "device_inventory_update",
    # restriction
    "BULK_COLUMNS", "BULK_JOB_MAX_ROWS", "BULK_MAX_ROWS", "BULK_REQUIRED_COLUMNS", "REASON_CHOICES",
    "RESTRICTABLE_TYPES", "BulkRowResult", "RestrictionResult", "csp_party_for", "restriction_bulk_apply",
    "restriction_bulk_parse_csv", "restriction_changer_refusal", "restriction_check", "restriction_refusal",
    "restriction_request_errors", "restriction_set", "payment_mode_change_refusal",
    # restriction_bulk
    "restriction_bulk_job_check", "restriction_bulk_job_confirm",
    "restriction_bulk_job_enqueue",
    "restriction_bulk_job_reasons", "restriction_bulk_job_retry", "restriction_bulk_job_run", "restriction_bulk_job_submit",
    "restriction_bulk_refused_rows", "restriction_bulk_rows_judge",
    # restriction_service_centre (R169-15)
    "restriction_set_by_service_centre", "service_centre_refusal", "service_centre_supplier",
    # supplier_changes
    "supplier_change_record", "supplier_change_refusal",
]
