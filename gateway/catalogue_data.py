"""The SRV and alert catalogues as shipped with the portal (``gateway/data/*.csv``), plus the rules that
derive each SRV's gateway behaviour from the DUIS matrix.

Pure functions without models, so the data migrations that load the catalogue tables can import them.

Derived per SRV (documented here because the DUIS matrix does not say it directly):

* ``targets_device`` - the request is addressed to a device in the SMI: every device SRV, plus the
  non-device SRVs whose body names one (5.1 Create Schedule schedules a device SRV on ``DeviceID``;
  11.1 Update Firmware and 11.4 Update PPMID Firmware distribute to ``DeviceIDList``). Only these are
  checked for E19 (device exists), E5 (status) and E72 (restricted).
* ``accepted_statuses`` - the SMI statuses that accept the SRV (else E5):
  commissioning / HAN SRVs (8.x device SRVs) accept Whitelisted, InstalledNotCommissioned and
  Commissioned (they are what commissions a device); firmware (11.x) and security-credential SRVs
  (6.15.x, 6.17, 6.21, 6.23, 6.24.x) also run before commissioning, so InstalledNotCommissioned and
  Commissioned; every other device SRV needs a Commissioned device.
* ``category`` - for the performance reports: ``consumption`` (the MP169 initial restricted list,
  R169-8), ``other_device`` or ``non_device``. Fixed by the catalogue; editing the allow-list does not
  move an SRV between report categories.
* ``success_code`` - the answer to an accepted request: ``I99`` (acknowledged, sent to the device) for
  SRVs that reach a device, ``I0`` for the non-device SRVs the DCC answers itself (e.g. 8.2).
"""
from __future__ import annotations

import csv
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

#: R169-8: consumption-data SRVs refused for a restricted device (and 5.1 when it schedules one of them).
CONSUMPTION_SRVS = frozenset({
    "4.1.1", "4.1.2", "4.1.3", "4.1.4", "4.2", "4.4.2", "4.4.3", "4.6.1", "4.6.2", "4.8.1", "4.8.2", "4.8.3",
    "4.10", "4.12.1", "4.12.2", "4.15", "4.16", "4.17", "14.1",
})
CREATE_SCHEDULE_SRV = "5.1"
#: The SRVs the DSP may schedule with 5.1 Create Schedule: DUIS 5.4's ``DSPScheduledServiceReferenceVariant``
#: enumeration (reference/duis/DUIS Schema V5.4.xsd). Anything else cannot be scheduled.
DSP_SCHEDULABLE_SRVS = frozenset({
    "4.2", "4.6.1", "4.6.2", "4.8.1", "4.8.2", "4.8.3", "4.10", "4.12.1", "4.12.2", "4.14", "4.15", "4.16", "4.17",
    "14.1",
})
NON_DEVICE_SRVS_TARGETING_DEVICES = frozenset({CREATE_SCHEDULE_SRV, "11.1", "11.4"})
CREDENTIAL_SRV_PREFIXES = ("6.15.", "6.24.")
CREDENTIAL_SRVS = frozenset({"6.17", "6.21", "6.23"})

COMMISSIONING_STATUSES = ["Whitelisted", "InstalledNotCommissioned", "Commissioned"]
PRE_COMMISSIONING_STATUSES = ["InstalledNotCommissioned", "Commissioned"]
COMMISSIONED_ONLY = ["Commissioned"]


def _yes(value: str) -> bool:
    return value.strip().lower() == "yes"


def accepted_statuses(srv: str, *, targets_device: bool) -> list[str]:
    if not targets_device:
        return []
    if srv == CREATE_SCHEDULE_SRV:
        return COMMISSIONED_ONLY
    if srv.startswith("8."):
        return COMMISSIONING_STATUSES
    if srv.startswith("11.") or srv.startswith(CREDENTIAL_SRV_PREFIXES) or srv in CREDENTIAL_SRVS:
        return PRE_COMMISSIONING_STATUSES
    return COMMISSIONED_ONLY


def srv_rows() -> list[dict]:
    """Every SRV of ``srv_matrix.csv`` with the derived gateway fields."""
    rows = []
    with open(DATA_DIR / "srv_matrix.csv", newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            srv = record["srv"].strip()
            non_device = _yes(record["non_device"])
            targets_device = not non_device or srv in NON_DEVICE_SRVS_TARGETING_DEVICES
            if srv in CONSUMPTION_SRVS:
                category = "consumption"
            elif non_device:
                category = "non_device"
            else:
                category = "other_device"
            rows.append({
                "srv": srv,
                "service_reference": record["service_reference"].strip(),
                "name": record["name"].strip(),
                "critical": _yes(record["critical"]),
                "on_demand": _yes(record["on_demand"]),
                "dcc_scheduled": _yes(record["dcc_scheduled"]),
                "non_device": non_device,
                "eligible_roles": record["eligible_user_roles"].split(),
                "command_variants": [int(v) for v in record["command_variants_xsd"].split(",") if v.strip()],
                "targets_device": targets_device,
                "accepted_statuses": accepted_statuses(srv, targets_device=targets_device),
                "category": category,
                "success_code": "I99" if targets_device and srv != CREATE_SCHEDULE_SRV else "I0",
            })
    return rows


def initially_allowed_srvs(rows: list[dict]) -> list[str]:
    """R169-8: every SRV addressed to a device stays allowed except the consumption list (5.1 is judged by
    the SRV it schedules, so it is not on the list itself)."""
    return [
        row["srv"] for row in rows
        if row["targets_device"] and row["srv"] != CREATE_SCHEDULE_SRV and row["srv"] not in CONSUMPTION_SRVS
    ]


def alert_rows() -> list[dict]:
    with open(DATA_DIR / "gbcs_alert_codes.csv", newline="", encoding="utf-8") as handle:
        return [
            {"code": r["alert_code_hex"].strip().upper(), "description": r["description"].strip()}
            for r in csv.DictReader(handle)
        ]


def initially_allowed_alerts(rows: list[dict]) -> list[str]:
    """R169-9: the mandatory critical, security and safety alerts (0x8Fxx) plus firmware alerts."""
    return [row["code"] for row in rows if row["code"].startswith("8F") or "firmware" in row["description"].lower()]
