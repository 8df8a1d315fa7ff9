"""The incident reference sequence, and the database-level append-only rule for incident history.

Only UPDATE and DELETE are refused: TRUNCATE needs table ownership (not granted to the application
role in production) and test teardown flushes tables with it.
"""
from django.db import migrations

TABLE = "incidents_incidentevent"


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
        ("inventory", "0004_append_only_audit"),
    ]
    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE IF NOT EXISTS incidents_incident_reference_seq START 1;",
            "DROP SEQUENCE IF EXISTS incidents_incident_reference_seq;",
        ),
        migrations.RunSQL(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION portal_refuse_modification();",
            f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};",
        ),
    ]
