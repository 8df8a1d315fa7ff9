"""Load the SRV and alert catalogues from the project's copies (``gateway/data``) and seed the MP169
allow-lists with their initial content (R169-8, R169-9)."""
from django.db import migrations

from gateway import catalogue_data


def load(apps, schema_editor):
    Srv = apps.get_model("gateway", "ServiceReferenceVariant")
    Alert = apps.get_model("gateway", "AlertCode")
    SrvAllowance = apps.get_model("gateway", "RestrictedSrvAllowance")
    AlertAllowance = apps.get_model("gateway", "RestrictedAlertAllowance")
    srvs = catalogue_data.srv_rows()
    known = {field.name for field in Srv._meta.get_fields()}  # later migrations add derived fields (0007)
    Srv.objects.bulk_create([Srv(**{key: value for key, value in row.items() if key in known}) for row in srvs])
    alerts = catalogue_data.alert_rows()
    known_alert = {field.name for field in Alert._meta.get_fields()}  # 0012 adds the R169-9 classification
    Alert.objects.bulk_create([Alert(**{key: value for key, value in row.items() if key in known_alert})
                               for row in alerts])
    SrvAllowance.objects.bulk_create([SrvAllowance(srv_id=s) for s in catalogue_data.initially_allowed_srvs(srvs)])
    AlertAllowance.objects.bulk_create(
        [AlertAllowance(alert_id=c) for c in catalogue_data.alerts_allowed_before_classification(alerts)]
    )


def unload(apps, schema_editor):
    for name in ("RestrictedSrvAllowance", "RestrictedAlertAllowance", "ServiceReferenceVariant", "AlertCode"):
        apps.get_model("gateway", name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("gateway", "0002_service_request_log_partitions")]
    operations = [migrations.RunPython(load, unload)]
