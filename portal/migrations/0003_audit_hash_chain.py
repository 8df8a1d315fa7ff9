"""Tamper-evident audit chains (``portal.audit_chain``): the link table, the hash function and one
statement-level AFTER INSERT trigger per audit table.

The SQL is written out here (not imported) so the migration keeps meaning what it meant when the
code around it changes.
"""
from django.db import migrations, models
from django.db.models.functions import Now

AUDITED_TABLES = [
    "inventory_restrictionchange",
    "inventory_supplierchange",
    "inventory_cplchange",
    "gateway_allowlistchange",
    "incidents_incidentevent",
]

HASH_FUNCTION = """
CREATE OR REPLACE FUNCTION portal_audit_hash(prev_hash text, row_text text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT encode(sha256(convert_to(prev_hash || row_text, 'UTF8')), 'hex')
$$;
"""

# One call per INSERT/COPY statement: the statement's rows (transition table ``new_rows``) are chained
# in id order after the scope's last link, and their links written in one INSERT. The advisory lock is
# held to commit, so concurrent writers of one table chain one after the other. ``SET timezone`` makes
# the rendering of timestamps independent of the session (the verifier renders rows the same way).
CHAIN_FUNCTION = """
CREATE OR REPLACE FUNCTION portal_audit_chain_rows() RETURNS trigger
LANGUAGE plpgsql SET timezone = 'UTC' AS $$
DECLARE
    last_hash text;
    item record;
    record_ids bigint[] := '{}';
    prev_hashes text[] := '{}';
    hashes text[] := '{}';
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('audit_chain:' || TG_TABLE_NAME));
    SELECT l.hash INTO last_hash FROM audit_chain_link l WHERE l.scope = TG_TABLE_NAME ORDER BY l.id DESC LIMIT 1;
    last_hash := coalesce(last_hash, repeat('0', 64));
    FOR item IN SELECT n.id, row_to_json(n)::text AS body FROM new_rows n ORDER BY n.id LOOP
        record_ids := record_ids || item.id::bigint;
        prev_hashes := prev_hashes || last_hash;
        last_hash := portal_audit_hash(last_hash, item.body);
        hashes := hashes || last_hash;
    END LOOP;
    INSERT INTO audit_chain_link (table_name, record_id, scope, prev_hash, hash)
    SELECT TG_TABLE_NAME, u.record_id, TG_TABLE_NAME, u.prev_hash, u.hash
    FROM unnest(record_ids, prev_hashes, hashes) WITH ORDINALITY AS u(record_id, prev_hash, hash, position)
    ORDER BY u.position;
    RETURN NULL;
END;
$$;
"""

# Rows written before this migration start their table's chain, in id order.
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

LINK_APPEND_ONLY = """
CREATE TRIGGER audit_chain_link_append_only BEFORE UPDATE OR DELETE ON audit_chain_link
FOR EACH ROW EXECUTE FUNCTION portal_refuse_modification();
"""


def chain_trigger_sql(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_audit_chain AFTER INSERT ON {table} "
        f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION portal_audit_chain_rows();"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_core_parties"),
        ("inventory", "0004_append_only_audit"),
        ("gateway", "0003_load_catalogues"),
        ("incidents", "0003_one_open_request_per_device"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditChainLink",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("table_name", models.CharField(max_length=63)),
                ("record_id", models.BigIntegerField()),
                ("scope", models.CharField(
                    help_text="The chain the record belongs to (one per audit table).", max_length=63)),
                ("prev_hash", models.CharField(max_length=64)),
                ("hash", models.CharField(max_length=64)),
                ("created_at", models.DateTimeField(db_default=Now())),
            ],
            options={
                "verbose_name": "audit chain link",
                "db_table": "audit_chain_link",
                "indexes": [models.Index(fields=["scope", "id"], name="audit_chain_scope_id_idx")],
                "constraints": [
                    models.UniqueConstraint(fields=("table_name", "record_id"), name="audit_chain_link_one_per_record"),
                ],
            },
        ),
        migrations.RunSQL(HASH_FUNCTION, "DROP FUNCTION IF EXISTS portal_audit_hash(text, text);"),
        migrations.RunSQL(CHAIN_FUNCTION, "DROP FUNCTION IF EXISTS portal_audit_chain_rows() CASCADE;"),
        migrations.RunSQL(LINK_APPEND_ONLY, "DROP TRIGGER IF EXISTS audit_chain_link_append_only ON audit_chain_link;"),
        *[
            migrations.RunSQL(chain_trigger_sql(table), f"DROP TRIGGER IF EXISTS {table}_audit_chain ON {table};")
            for table in AUDITED_TABLES
        ],
        *[migrations.RunSQL(BACKFILL.format(table=table), migrations.RunSQL.noop) for table in AUDITED_TABLES],
    ]
