"""Report snapshots are append-only in the database, and firmware versions compare as numbers.

``reporting_version_key('1.10.0')`` is ``{1,10,0}``: PostgreSQL compares integer arrays element by
element, so ``1.10.0`` sorts after ``1.9.0`` (a plain string comparison gets that wrong). Separators
are dots, dashes, underscores or spaces; letters inside a part are ignored (``2a`` counts as 2).
"""
from django.db import migrations

TABLE = "reporting_reportsnapshot"

VERSION_KEY = r"""
CREATE OR REPLACE FUNCTION reporting_version_key(version text) RETURNS integer[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(
        array_agg(coalesce(nullif(regexp_replace(part, '[^0-9]', '', 'g'), '')::integer, 0) ORDER BY position),
        '{}'::integer[]
    )
    FROM unnest(regexp_split_to_array(version, '[.\-_ ]+')) WITH ORDINALITY AS parts(part, position)
$$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0001_initial"),
        ("inventory", "0004_append_only_audit"),
    ]
    operations = [
        migrations.RunSQL(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION portal_refuse_modification();",
            f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};",
        ),
        migrations.RunSQL(VERSION_KEY, "DROP FUNCTION IF EXISTS reporting_version_key(text);"),
    ]
