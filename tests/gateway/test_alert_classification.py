"""MP169 R169-9, corrected (seed 004 s2.5: "the only messages which should be prevented from sending are those which
relate directly to the consumer's consumption"): every one of the 184 GBCS alert codes is classified with a
one-line reason, kept beside the catalogue; the classification is the default alert allow-list, shipped by a data
migration that records each change in the allow-list audit; the DCC can still change it."""
from __future__ import annotations

import csv
import importlib

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from gateway import catalogue_data
from gateway.models import AlertCode, AllowListChange, RestrictedAlertAllowance
from gateway.services import alert_receive, allow_list_alert_set
from tests.factories import DeviceFactory

REFERENCE = catalogue_data.DATA_DIR / "gbcs_alert_codes.csv"
VOLTAGE = [row["alert_code_hex"] for row in csv.DictReader(REFERENCE.open(encoding="utf-8"))
           if "Voltage" in row["description"]]


def test_every_one_of_the_184_codes_has_a_category_a_default_and_a_reason():
    classified = catalogue_data.alert_classification()
    codes = [row["alert_code_hex"] for row in csv.DictReader(REFERENCE.open(encoding="utf-8"))]
    assert len(codes) == 184 and set(classified) == set(codes)
    for code, entry in classified.items():
        assert entry["category"] in catalogue_data.ALERT_CATEGORIES, code
        assert 20 < len(entry["reason"]) <= 250 and "\n" not in entry["reason"], code


def test_only_consumption_alerts_are_withheld_by_default():
    classified = catalogue_data.alert_classification()
    withheld = {code for code, entry in classified.items() if entry["withheld_by_default"]}
    assert withheld == {"8F0A"}  # Billing Data Log Updated (seed 001: the "Billing Calendar Alert" question)
    assert all(classified[code]["category"] == "consumption" for code in withheld)
    assert len(VOLTAGE) == 48 and not any(classified[code]["withheld_by_default"] for code in VOLTAGE)
    for code in ("8F35", "8F36", "8F57", "8F3E", "8F1C", "8F4D", "81B4"):  # outage, security, firmware, safety
        assert not classified[code]["withheld_by_default"], code


def test_the_catalogue_holds_the_classification():
    alert = AlertCode.objects.get(code="8F0A")
    assert (alert.mp169_category, alert.mp169_withheld_by_default) == ("consumption", True)
    assert "seed 004 s2.5" in alert.mp169_reason
    assert AlertCode.objects.get(code="8002").mp169_category == "voltage"


@pytest.fixture
def restricted(supplier):
    return DeviceFactory(responsible_supplier=supplier, restricted=True, restricted_since=timezone.now())


@pytest.mark.parametrize("code", ["8002", "8020", "802C", "8F35", "8F57", "8F3E"])
def test_voltage_outage_and_security_alerts_from_a_restricted_meter_are_delivered(dcc_party, restricted, code):
    assert alert_receive(party=dcc_party, device_id=restricted.device_id, alert_code=code).log == "sat"


def test_billing_data_log_updated_from_a_restricted_meter_is_withheld(dcc_party, restricted, supplier):
    outcome = alert_receive(party=dcc_party, device_id=restricted.device_id, alert_code="8F0A")
    assert (outcome.delivered, outcome.log) == (False, "diagnostics")
    normal = DeviceFactory(responsible_supplier=supplier)
    assert alert_receive(party=dcc_party, device_id=normal.device_id, alert_code="8F0A").log == "sat"


def test_rest_voltage_alert_from_a_restricted_meter_reaches_the_sat_log(api_client_for, csp_north, restricted):
    response = api_client_for(csp_north).post("/api/v1/alerts/", {"device_id": restricted.device_id,
                                                                   "alert_code": "8020"}, format="json")
    assert response.json() == {"delivered": True, "log": "sat"}


def test_the_default_stays_configurable(dcc_party, dcc_user, restricted):
    allow_list_alert_set(actor=dcc_user, alert_code="8002", allowed=False, reason="Network trial")
    assert alert_receive(party=dcc_party, device_id=restricted.device_id, alert_code="8002").log == "diagnostics"
    allow_list_alert_set(actor=dcc_user, alert_code="8F0A", allowed=True, reason="Supplier billing trial")
    assert alert_receive(party=dcc_party, device_id=restricted.device_id, alert_code="8F0A").log == "sat"


def test_the_data_migration_moves_the_old_list_to_the_classification_with_audit_rows(dcc_party):
    """From the first release's list (8Fxx and firmware allowed: voltage withheld, 8F0A delivered), migration 0013
    allows voltage alerts and withholds 8F0A, one audit row per code it changes (no actor: the release)."""
    rows = catalogue_data.alert_rows()
    RestrictedAlertAllowance.objects.all().delete()
    RestrictedAlertAllowance.objects.bulk_create([RestrictedAlertAllowance(alert_id=code) for code in
                                                  catalogue_data.alerts_allowed_before_classification(rows)])
    before = set(AllowListChange.objects.values_list("pk", flat=True))
    migration = importlib.import_module("gateway.migrations.0013_alert_allow_list_default_r169_9")
    migration.apply_default(django_apps, None)
    allowed = set(RestrictedAlertAllowance.objects.values_list("alert_id", flat=True))
    assert allowed == set(catalogue_data.initially_allowed_alerts(rows)) and "8F0A" not in allowed
    written = AllowListChange.objects.exclude(pk__in=before)
    by_item = {change.item: change for change in written}
    assert (by_item["8F0A"].old_allowed, by_item["8F0A"].new_allowed) == (True, False)
    assert (by_item["8002"].old_allowed, by_item["8002"].new_allowed) == (False, True)
    assert all(change.actor_id is None and change.party == dcc_party and change.allow_list == "alert"
               and change.reason.startswith("R169-9 default") for change in written)
    assert "8F3E" not in by_item  # allowed before and after: no row
    again = AllowListChange.objects.count()
    migration.apply_default(django_apps, None)  # idempotent: nothing more to change, nothing more recorded
    assert AllowListChange.objects.count() == again
