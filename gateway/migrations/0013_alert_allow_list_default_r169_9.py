"""R169-9, corrected (seed 004 s2.5): classify the 184 GBCS alert codes and make that classification the alert
allow-list - every alert is delivered from a restricted device except those relating directly to the consumer's
consumption (8F0A Billing Data Log Updated). Each code whose state changes gets an ``AllowListChange`` row (no
actor: the release made it; party DCC), so the audit trail says when and why the list moved. The list stays the
DCC's to edit afterwards."""
from django.db import migrations

from gateway import catalogue_data

REASON = "R169-9 default from the alert classification (seed 004 s2.5), migration 0013: "


def apply_default(apps, schema_editor):
    Alert = apps.get_model("gateway", "AlertCode")
    Allowance = apps.get_model("gateway", "RestrictedAlertAllowance")
    Change = apps.get_model("gateway", "AllowListChange")
    Party = apps.get_model("portal", "Party")
    classified = catalogue_data.alert_classification()
    alerts = {alert.code: alert for alert in Alert.objects.all()}
    if not alerts:
        return  # an empty catalogue (a flushed test database): nothing to classify
    for code, alert in alerts.items():
        entry = classified[code]
        alert.mp169_category = entry["category"]
        alert.mp169_withheld_by_default = entry["withheld_by_default"]
        alert.mp169_reason = entry["reason"]
    Alert.objects.bulk_update(list(alerts.values()), ["mp169_category", "mp169_withheld_by_default", "mp169_reason"])
    allowed_now = set(Allowance.objects.values_list("alert_id", flat=True))
    dcc = Party.objects.get(code="DCC")
    changes, to_allow, to_refuse = [], [], []
    for code in sorted(alerts):
        allowed = not classified[code]["withheld_by_default"]
        current = code in allowed_now
        if allowed == current:
            continue
        (to_allow if allowed else to_refuse).append(code)
        changes.append(Change(actor=None, party=dcc, allow_list="alert", item=code, old_allowed=current,
                              new_allowed=allowed, reason=(REASON + classified[code]["reason"])[:250]))
    Allowance.objects.bulk_create([Allowance(alert_id=code) for code in to_allow])
    Allowance.objects.filter(alert_id__in=to_refuse).delete()
    Change.objects.bulk_create(changes)


class Migration(migrations.Migration):
    dependencies = [
        ("gateway", "0012_alert_classification_and_dcc_alerts"),
        ("portal", "0002_core_parties"),
    ]
    # Audit rows cannot be taken back: the reverse leaves the list and its history as they are.
    operations = [migrations.RunPython(apply_default, migrations.RunPython.noop)]
