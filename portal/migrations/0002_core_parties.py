"""The DCC service desk (code DCC, always present) and the three CSPs."""
from django.db import migrations

CORE_PARTIES = [
    ("DCC", "DCC Service Desk", ["DCC"], ""),
    ("CSPN", "CSP North", ["CSP"], "North"),
    ("CSPC", "CSP Central", ["CSP"], "Central"),
    ("CSPS", "CSP South", ["CSP"], "South"),
]


def create_core_parties(apps, schema_editor):
    Party = apps.get_model("portal", "Party")
    for code, name, roles, region in CORE_PARTIES:
        Party.objects.get_or_create(code=code, defaults={
            "name": name, "roles": roles, "csp_region": region,
            "operational_email": f"{code.lower()}-ops@dcc.example",
            "escalation_email": f"{code.lower()}-escalations@dcc.example",
        })


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]
    operations = [migrations.RunPython(create_core_parties, migrations.RunPython.noop)]
