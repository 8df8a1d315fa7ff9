"""R121-10 install-code SLA per installing supplier; R169-11 restricted devices behind on firmware."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from inventory.choices import CPLStatus, DeviceType, SmetsVersion
from reporting.selectors import install_code_sla_report_for, restricted_firmware_report_for
from tests.factories import CPLEntryFactory, DeviceFactory, PartyFactory

APRIL = dt.date(2025, 4, 1)


def _sla_figures(row):
    return (row["requests"], row["answered_in_sla"], row["breached"], row["median_response_working_days"],
            row["p90_response_working_days"])


def test_sla_figures_per_installing_supplier_and_national(april_incidents, dcc_party):
    report = install_code_sla_report_for(dcc_party, APRIL, with_trend=False)
    figures = {row["installing_supplier"]: _sla_figures(row) for row in report.rows}
    assert figures["SUPA"][:3] == (4, 2, 2)
    assert figures["SUPA"][3] == 5.0  # median of 1, 5, 18 working days (Easter counted out of the first)
    assert figures["SUPA"][4] == pytest.approx(15.4)  # 5 + 0.8 * (18 - 5)
    assert figures["SUPB"] == (2, 2, 0, 1.0, pytest.approx(1.8))
    assert figures[None][:4] == (6, 4, 2, 2.0)  # median of 0, 1, 2, 5, 18
    assert figures[None][4] == pytest.approx(12.8)  # 5 + 0.6 * (18 - 5)
    assert set(figures) == {"SUPA", "SUPB", None}  # the DCC queue and March's request are not counted


def test_supplier_sees_its_own_row_and_the_national_totals(april_incidents, supplier, network_operator):
    rows = install_code_sla_report_for(supplier, APRIL, with_trend=False).rows
    assert [(row["installing_supplier"], row["national_total"]) for row in rows] == [(None, True), ("SUPA", False)]
    rows = install_code_sla_report_for(network_operator, APRIL, with_trend=False).rows
    assert [row["installing_supplier"] for row in rows] == [None]


def test_sla_trend_follows_the_suppliers_own_row(april_incidents, supplier):
    trend = install_code_sla_report_for(supplier, APRIL).trend
    assert trend[-1] == {"month": APRIL, "in_sla_rate": 50.0, "median": 5.0, "open_within_sla": 0}
    assert trend[-2]["month"] == dt.date(2025, 3, 1) and trend[-2]["in_sla_rate"] == 100.0  # raised 31 March


@pytest.fixture
def firmware_estate(supplier, other_supplier, network_operator):
    """ESME-100 HW 1.0: 1.9.0 and 1.10.0 Active, 2.0.0 Withdrawn, 1.2.0 Cancelled. Newest Active: 1.10.0."""
    def cpl(firmware, status=CPLStatus.ACTIVE, **kwargs):
        values = {"device_type": DeviceType.ESME, "model": "ESME-100", "hardware_version": "1.0", **kwargs}
        return CPLEntryFactory(firmware_version=firmware, status=status, **values)

    old, newest = cpl("1.9.0"), cpl("1.10.0")
    cpl("2.0.0", CPLStatus.WITHDRAWN)
    cancelled = cpl("1.2.0", CPLStatus.CANCELLED)
    other_hardware = cpl("1.9.0", hardware_version="2.0")
    ppmid_s2 = CPLEntryFactory(device_type=DeviceType.PPMID, model="PP-1", firmware_version="2.0.0")
    CPLEntryFactory(device_type=DeviceType.PPMID, model="PP-1", firmware_version="3.0.0",
                    smets_version=SmetsVersion.SMETS1)
    restricted = {"restricted": True, "restricted_since": timezone.now()}
    return {
        "behind_a": DeviceFactory(cpl_entry=old, responsible_supplier=supplier, network_operator=network_operator,
                                  **restricted),
        "current": DeviceFactory(cpl_entry=newest, responsible_supplier=supplier, **restricted),
        "not_restricted": DeviceFactory(cpl_entry=old, responsible_supplier=supplier),
        "other_hardware": DeviceFactory(cpl_entry=other_hardware, responsible_supplier=other_supplier, **restricted),
        "behind_b": DeviceFactory(cpl_entry=cancelled, responsible_supplier=other_supplier, csp_region="South",
                                  **restricted),
        # Dual-mode PPMID: newest SMETS2+ firmware is 2.0.0 (the SMETS1 row's 3.0.0 is another identity).
        "ppmid": DeviceFactory(device_type=DeviceType.PPMID, cpl_entry=ppmid_s2, responsible_supplier=supplier,
                               **restricted),
    }


def test_restricted_devices_behind_newest_active_firmware_compare_versions_numerically(firmware_estate, dcc_party):
    report = restricted_firmware_report_for(dcc_party)
    assert report.source == "live"
    assert [(row["device_id"], row["firmware_version"], row["newest_firmware_version"]) for row in report.rows] == [
        (firmware_estate["behind_a"].device_id, "1.9.0", "1.10.0"),
        (firmware_estate["behind_b"].device_id, "1.2.0", "1.10.0"),
    ]
    assert [(group["responsible_supplier"], group["devices"]) for group in report.summary] == [("SUPA", 1), ("SUPB", 1)]


def test_firmware_report_scoped_to_own_devices_region_and_network(firmware_estate, supplier, network_operator):
    csp_south = PartyFactory(code="CSPS", roles=["CSP"], csp_region="South")
    assert [row["device_id"] for row in restricted_firmware_report_for(supplier).rows] == [
        firmware_estate["behind_a"].device_id]
    assert [row["device_id"] for row in restricted_firmware_report_for(csp_south).rows] == [
        firmware_estate["behind_b"].device_id]
    assert [row["device_id"] for row in restricted_firmware_report_for(network_operator).rows] == [
        firmware_estate["behind_a"].device_id]
