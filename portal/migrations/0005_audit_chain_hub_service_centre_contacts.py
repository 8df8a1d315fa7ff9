"""Two later audit tables join the tamper-evident chains (``portal.audit_chain``): hub replacements
(R169-12) and MP121 contact changes. They were append-only from the start but not chained, so an edit made
with the trigger switched off went unseen.

Rows written before this migration start their table's chain, in id order (as ``portal 0003`` did).
The SQL is written out here so the migration keeps meaning what it meant.
"""
from django.db import migrations

TABLES = [
    "inventory_hubreplacement",
    "incidents_contactchange",
]

BACKFILL = """
DO $$
DECLARE
    item record;
    last_hash text := repeat('0', 64);
BEGIN
    SET LOCAL timezone = 'UTC';
    FOR item IN SELECT t.id, row_to_json(t)::text AS body FROM {table} t ORDER BY t.id LOOP
        INSERT INTO audit_chain_link (table_name, record_id, scope, prev_hash, hash)
        VALUES ('{table}', item.id, '{table}', last_hash, portal_audit_hash(last_hash, item.body));
        last_hash := portal_audit_hash(last_hash, item.body);
    END LOOP;
END;
$$;
"""

# Unapplying takes the table's links away again (the links are append-only: the trigger is off meanwhile).
UNLINK = """
ALTER TABLE audit_chain_link DISABLE TRIGGER audit_chain_link_append_only;
DELETE FROM audit_chain_link WHERE scope = '{table}';
ALTER TABLE audit_chain_link ENABLE TRIGGER audit_chain_link_append_only;
"""


def chain_trigger_sql(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_audit_chain AFTER INSERT ON {table} "
        f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION portal_audit_chain_rows();"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0004_demo_mailbox"),
        ("inventory", "0011_restriction_bulk_job_check_step"),
        ("incidents", "0005_bulk_job_check_step_and_row_codes"),
    ]

    operations = [
        operation
        for table in TABLES
        for operation in (
            migrations.RunSQL(BACKFILL.format(table=table), UNLINK.format(table=table)),
            migrations.RunSQL(chain_trigger_sql(table), f"DROP TRIGGER IF EXISTS {table}_audit_chain ON {table};"),
        )
    ]
