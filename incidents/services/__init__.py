"""Writes for incidents: MP121 install-code requests (R121-1..R121-9), one module per sub-domain.

- ``install_codes``: raising a request, one device or many, set-based (R121-1..R121-3);
- ``notes``: notes and install codes, "not the installing supplier", reassignment, closing (R121-5, R121-6);
- ``secrecy``: the install code's format, who may read it, key rotation, none in free text (R121-9);
- ``sla``: the due date, breach detection and escalation (R121-7);
- ``bulk``: bulk raises from a CSV or a REST list, and their jobs (R121-8);
- ``notifications``: the emails, through the outbox (R121-4);
- ``common``: the acting party and the history row, used by all of them.

Every service checks what the actor's party may do, changes the incident, writes its history row
(``IncidentEvent``) and queues its emails through the outbox, all in one transaction. The public
names are re-exported here, so ``from incidents.services import incident_add_note`` works; tunables
(``bulk.BULK_INLINE_MAX_ROWS`` ...) are read where they are defined, so patch them there.
"""
from incidents.services.bulk import (
    BULK_MAX_ROWS,
    BULK_UPLOAD_TOO_LARGE,
    MASKED_DEVICE_ID,
    REFUSED_COLUMNS,
    incident_bulk_job_check,
    incident_bulk_job_confirm,
    incident_bulk_job_enqueue,
    incident_bulk_job_reasons,
    incident_bulk_job_retry,
    incident_bulk_job_run,
    incident_bulk_job_submit,
    incident_bulk_raise_install_code_requests,
    incident_bulk_refused_rows,
    parse_device_id_csv,
)
from incidents.services.contacts import party_contacts_refusal, party_contacts_update
from incidents.services.deposits import (
    DEPOSIT_MAX_ROWS,
    DepositRowResult,
    install_code_deposit,
    install_code_deposits_bulk,
    parse_deposit_csv,
)
from incidents.services.install_codes import (
    RAISABLE_DEVICE_STATUSES,
    BulkRowResult,
    device_scope_refusal,
    incident_queue_refusal,
    incident_raise_install_code_request,
    install_code_request_raise_refusal,
    install_code_request_refusal,
    install_code_requests_raise,
)
from incidents.services.notes import (
    incident_add_note,
    incident_answer_not_installing_supplier,
    incident_close,
    incident_close_refusal,
    incident_reassign,
    incident_reopen,
    incident_reopen_refusal,
)
from incidents.services.notifications import SUMMARY_EMAIL_MAX_LINES, incident_url
from incidents.services.secrecy import (
    INSTALL_CODE_FORMAT,
    INSTALL_CODE_PATTERN,
    incident_can_reveal,
    incident_notes_reencrypt,
    incident_reveal_install_code,
    looks_like_install_code,
    normalise_install_code,
    refuse_install_code_in_text,
)
from incidents.services.sla import SLA_WORKING_DAYS, incident_detect_sla_breaches
from incidents.services.supplier_changes import incidents_close_on_supplier_change

__all__ = [
    "DEPOSIT_MAX_ROWS",
    "DepositRowResult",
    "incidents_close_on_supplier_change",
    "device_scope_refusal",
    "incident_reopen",
    "incident_reopen_refusal",
    "install_code_deposit",
    "install_code_deposits_bulk",
    "parse_deposit_csv",
    "party_contacts_refusal",
    "party_contacts_update",
    "BULK_MAX_ROWS",
    "BULK_UPLOAD_TOO_LARGE",
    "MASKED_DEVICE_ID",
    "REFUSED_COLUMNS",
    "INSTALL_CODE_FORMAT",
    "INSTALL_CODE_PATTERN",
    "RAISABLE_DEVICE_STATUSES",
    "SLA_WORKING_DAYS",
    "SUMMARY_EMAIL_MAX_LINES",
    "BulkRowResult",
    "incident_add_note",
    "incident_queue_refusal",
    "install_code_request_raise_refusal", "install_code_request_refusal",
    "incident_answer_not_installing_supplier",
    "incident_bulk_job_check",
    "incident_bulk_job_confirm",
    "incident_bulk_job_enqueue",
    "incident_bulk_job_reasons",
    "incident_bulk_job_retry",
    "incident_bulk_job_run",
    "incident_bulk_refused_rows",
    "incident_bulk_job_submit",
    "incident_bulk_raise_install_code_requests",
    "incident_can_reveal",
    "incident_close",
    "incident_close_refusal",
    "incident_detect_sla_breaches",
    "incident_notes_reencrypt",
    "incident_raise_install_code_request",
    "incident_reassign",
    "incident_reveal_install_code",
    "incident_url",
    "install_code_requests_raise",
    "looks_like_install_code",
    "normalise_install_code",
    "parse_device_id_csv",
    "refuse_install_code_in_text",
]
