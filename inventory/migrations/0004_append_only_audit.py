"""Audit tables are append-only in the database itself: UPDATE and DELETE raise (R169-4).

``portal_refuse_modification()`` is shared by every audit table in the portal; other apps attach
it to theirs with ``CREATE TRIGGER ... EXECUTE FUNCTION portal_refuse_modification()``.

TRUNCATE is not guarded by a trigger (Django's test flush uses it); in production the application's
database role does not own the tables, so it cannot TRUNCATE them (docs/operations.md).
"""
from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION portal_refuse_modification() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Audit records in % are append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

TABLES = ["inventory_restrictionchange", "inventory_supplierchange", "inventory_cplchange"]


def trigger_sql(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION portal_refuse_modification();"
    )


class Migration(migrations.Migration):
    dependencies = [("inventory", "0003_audit_models")]
    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS portal_refuse_modification() CASCADE;"),
        *[
            migrations.RunSQL(
                trigger_sql(table),
                f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};",
            )
            for table in TABLES
        ],
    ]
