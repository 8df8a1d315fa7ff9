"""8.3 Decommission Device and 8.4 Update Inventory now judge the device their body names (E19, E4, E72):
re-derive the catalogue rows, and allow both for restricted devices as MP169 allows every non-consumption SRV
(R169-8: inventory SRVs stay allowed)."""
from django.db import migrations

from gateway import catalogue_data


def forwards(apps, schema_editor):
    Srv = apps.get_model("gateway", "ServiceReferenceVariant")
    Allowance = apps.get_model("gateway", "RestrictedSrvAllowance")
    for row in catalogue_data.srv_rows():
        srv = row.pop("srv")
        Srv.objects.update_or_create(srv=srv, defaults=row)
    for srv in sorted(catalogue_data.INVENTORY_CHANGE_SRVS):
        Allowance.objects.get_or_create(srv_id=srv)


class Migration(migrations.Migration):
    dependencies = [("gateway", "0010_schedule_codes")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
