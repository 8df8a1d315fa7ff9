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
* ``eligible_roles`` - the matrix's, except where one rule of the portal decides: 12.2 Device Pre-notification
  is for suppliers only (``ELIGIBLE_ROLES_OVERRIDES``), as ``inventory.services.devices.device_prenotify_refusal``
  says for the page and REST (the copied matrix lists all seven roles).
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
#: Where the copied matrix and the portal's rule disagreed: one rule, here (suppliers pre-notify: IS ES GS, the
#: roles of ``portal.choices.SUPPLIER_ROLES`` that ``device_prenotify_refusal`` checks).
ELIGIBLE_ROLES_OVERRIDES = {"12.2": ["IS", "ES", "GS"]}
#: 8.3 Decommission Device and 8.4 Update Inventory name the device they change in their body's DeviceID.
INVENTORY_CHANGE_SRVS = frozenset({"8.3", "8.4"})
NON_DEVICE_SRVS_TARGETING_DEVICES = frozenset({CREATE_SCHEDULE_SRV, "11.1", "11.4"}) | INVENTORY_CHANGE_SRVS
CREDENTIAL_SRV_PREFIXES = ("6.15.", "6.24.")
CREDENTIAL_SRVS = frozenset({"6.17", "6.21", "6.23"})

#: E11: the device types an SRV applies to, where the DUIS SRV definitions say so and this table has been
#: reviewed against them. An SRV not listed is not checked for device type (the matrix has no such column).
#: Reviewed: 4.1.4 (gas block counters) and 6.6 (gas conversion) go to the gas meter and its proxy; 6.28 (CHF
#: Sub GHz) to the hub; 7.1 Enable Supply (Import Supplier only) to the electricity meter; 11.4 Update PPMID
#: Firmware to a PPMID. (8.11 Update HAN Device Log is left out: meters keep device logs as well as the hub.)
SRV_DEVICE_TYPES = {
    "4.1.4": ["GSME", "GPF"],
    "6.6": ["GSME", "GPF"],
    "6.28": ["CHF"],
    "7.1": ["ESME"],
    "11.4": ["PPMID"],
}

#: The ``sr:Body`` payload element of each SRV's request: the DUIS 5.4 schema's ``sr:Request/sr:Body`` choice, whose
#: elements follow the SRVs in order (``tests/gateway/test_catalogue_reference.py`` checks the two stay in step).
SRV_BODY_ELEMENTS = {
    "1.1.1": "UpdateImportTariffPrimaryElement", "1.1.2": "UpdateImportTariffSecondaryElement",
    "1.2.1": "UpdatePricePrimaryElement", "1.2.2": "UpdatePriceSecondaryElement", "1.5": "UpdateMeterBalance",
    "1.6": "UpdatePaymentMode", "1.7": "ResetTariffBlockCounterMatrix", "2.1": "UpdatePrepayConfiguration",
    "2.2": "TopUpDevice", "2.3": "UpdateDebt", "2.5": "ActivateEmergencyCredit", "3.1": "DisplayMessage",
    "3.2": "RestrictAccessForChangeOfTenancy", "3.3": "ClearEventLog", "3.4": "UpdateSupplierName",
    "3.5": "DisablePrivacyPIN", "4.1.1": "ReadInstantaneousImportRegisters",
    "4.1.2": "ReadInstantaneousImportTOUMatrices", "4.1.3": "ReadInstantaneousImportTOUWithBlocksMatrices",
    "4.1.4": "ReadInstantaneousImportBlockCounters", "4.2": "ReadInstantaneousExportRegisters",
    "4.3": "ReadInstantaneousPrepayValues", "4.4.2": "RetrieveCoMOrTariffTriggeredBillingDataLog",
    "4.4.3": "RetrieveBillingCalendarTriggeredBillingDataLog", "4.4.4": "RetrieveBillingDataLogDebtPayments",
    "4.4.5": "RetrieveBillingDataLogPrepaymentCredits", "4.6.1": "RetrieveImportDailyReadLog",
    "4.6.2": "RetrieveExportDailyReadLog", "4.8.1": "ReadActiveImportProfileData",
    "4.8.2": "ReadReactiveImportProfileData", "4.8.3": "ReadExportProfileData", "4.10": "ReadNetworkData",
    "4.11.1": "ReadTariffPrimaryElement", "4.11.2": "ReadTariffSecondaryElement",
    "4.12.1": "ReadMaximumDemandImportRegisters", "4.12.2": "ReadMaximumDemandExportRegisters",
    "4.13": "ReadPrepaymentConfiguration", "4.14": "ReadPrepaymentDailyReadLog", "4.15": "ReadLoadLimitData",
    "4.16": "ReadActivePowerImport", "4.17": "RetrieveDailyConsumptionLog", "4.18": "ReadMeterBalance",
    "5.1": "CreateSchedule", "5.2": "ReadSchedule", "5.3": "DeleteSchedule",
    "6.2.1": "ReadDeviceConfigurationVoltage", "6.2.2": "ReadDeviceConfigurationRandomisation",
    "6.2.3": "ReadDeviceConfigurationBillingCalendar", "6.2.4": "ReadDeviceConfigurationIdentityExcMPxN",
    "6.2.5": "ReadDeviceConfigurationInstantaneousPowerThresholds", "6.2.7": "ReadDeviceConfigurationMPxN",
    "6.2.8": "ReadDeviceConfigurationGas", "6.2.9": "ReadDeviceConfigurationPaymentMode",
    "6.2.10": "ReadDeviceConfigurationEventAndAlertBehaviours",
    "6.4.1": "UpdateDeviceConfigurationLoadLimitingGeneralSettings",
    "6.4.2": "UpdateDeviceConfigurationLoadLimitingCounterReset", "6.5": "UpdateDeviceConfigurationVoltage",
    "6.6": "UpdateDeviceConfigurationGasConversion", "6.7": "UpdateDeviceConfigurationGasFlow",
    "6.8": "UpdateDeviceConfigurationBillingCalendar", "6.11": "SynchroniseClock",
    "6.12": "UpdateDeviceConfigurationInstantaneousPowerThreshold", "6.13": "ReadEventOrSecurityLog",
    "6.14.1": "UpdateDeviceConfigurationALCDescriptions", "6.14.2": "UpdateDeviceConfigurationALCScheduler",
    "6.14.3": "UpdateDeviceConfigurationAuxiliaryControllerScheduler", "6.15.1": "UpdateSecurityCredentialsKRP",
    "6.15.2": "UpdateSecurityCredentialsDevice", "6.17": "IssueSecurityCredentials",
    "6.18.1": "SetMaximumDemandConfigurableTimePeriod", "6.18.2": "ResetMaximumDemandRegisters",
    "6.20.1": "SetDeviceConfigurationImportMPxN", "6.20.2": "SetDeviceConfigurationExportMPAN",
    "6.21": "RequestHandoverOfDCCControlledDevice", "6.22": "ConfigureAlertBehaviour",
    "6.23": "UpdateSecurityCredentialsCoS", "6.24.1": "RetrieveDeviceSecurityCredentialsKRP",
    "6.24.2": "RetrieveDeviceSecurityCredentialsDevice", "6.25": "SetElectricitySupplyTamperState",
    "6.26": "UpdateDeviceConfigurationDailyResettingOfTariffBlockCounterMatrix",
    "6.27": "UpdateDeviceConfigurationRMSVoltageCounterReset", "6.28": "SetCHFSubGHzConfiguration",
    "6.29": "RequestCHFSubGHzChannelScan", "6.30": "ReadCHFSubGHzConfiguration", "6.31": "ReadCHFSubGHzChannel",
    "6.32": "ReadCHFSubGHzChannelLog", "7.1": "EnableSupply", "7.2": "DisableSupply", "7.3": "ArmSupply",
    "7.4": "ReadSupplyStatus", "7.5": "ActivateAuxiliaryLoad", "7.6": "DeactivateAuxiliaryLoad",
    "7.7": "ReadALCSData", "7.8": "ResetAuxiliaryLoad", "7.9": "AddAuxiliaryLoadToBoostButton",
    "7.10": "RemoveAuxiliaryLoadFromBoostButton", "7.11": "ReadBoostButtonDetails",
    "7.12": "SetRandomisedOffsetLimit", "7.13": "SetAuxiliaryControllerState",
    "7.14": "ReadAuxiliaryControllerConfigurationData", "7.15": "ReadAuxiliaryControllerOperationalData",
    "7.16": "LimitAPCLevel", "8.1.1": "CommissionDeviceSynchroniseClock", "8.2": "ReadInventory",
    "8.3": "DecommissionDevice", "8.4": "UpdateInventory", "8.5": "ServiceOptOut", "8.6": "ServiceOptIn",
    "8.7.1": "JoinServiceCritical", "8.7.2": "JoinServiceNonCritical", "8.8.1": "UnjoinServiceCritical",
    "8.8.2": "UnjoinServiceNonCritical", "8.9": "ReadDeviceLog", "8.11": "UpdateHANDeviceLog",
    "8.12.1": "RestoreHANDeviceLog", "8.12.2": "RestoreGPFDeviceLog", "8.13": "ReturnLocalCommandResponse",
    "8.14.1": "CHFInstallSuccessSMWAN", "8.14.2": "CHFInstallSuccessNoSMWAN", "8.14.3": "CHFFaultReturn",
    "8.14.4": "CHFNoFaultReturn", "9.1": "RequestCustomerIdentificationNumber", "11.1": "UpdateFirmware",
    "11.2": "ReadFirmwareVersion", "11.3": "ActivateFirmware", "11.4": "UpdatePPMIDFirmware",
    "12.1": "RequestWANMatrix", "12.2": "DevicePrenotification", "14.1": "RecordNetworkDataGAS",
}

COMMISSIONING_STATUSES = ["Whitelisted", "InstalledNotCommissioned", "Commissioned"]
PRE_COMMISSIONING_STATUSES = ["InstalledNotCommissioned", "Commissioned"]
COMMISSIONED_ONLY = ["Commissioned"]
ALL_STATUSES = ("Pending", "Whitelisted", "InstalledNotCommissioned", "Commissioned", "Decommissioned", "Withdrawn",
                "Suspended", "Recovery", "Recovered")


def _yes(value: str) -> bool:
    return value.strip().lower() == "yes"


def accepted_statuses(srv: str, *, targets_device: bool) -> list[str]:
    if not targets_device:
        return []
    if srv == CREATE_SCHEDULE_SRV:
        return COMMISSIONED_ONLY
    if srv == "8.3":  # a device not yet gone may be decommissioned
        return [status for status in ALL_STATUSES if status not in ("Decommissioned", "Withdrawn")]
    if srv == "8.4":  # which change a status allows is the lifecycle service's rule
        return list(ALL_STATUSES)
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
                "eligible_roles": ELIGIBLE_ROLES_OVERRIDES.get(srv, record["eligible_user_roles"].split()),
                "command_variants": [int(v) for v in record["command_variants_xsd"].split(",") if v.strip()],
                "targets_device": targets_device,
                "accepted_statuses": accepted_statuses(srv, targets_device=targets_device),
                "device_types": SRV_DEVICE_TYPES.get(srv, []),
                "category": category,
                "success_code": "I0" if not targets_device or srv == CREATE_SCHEDULE_SRV or srv in INVENTORY_CHANGE_SRVS
                else "I99",
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
