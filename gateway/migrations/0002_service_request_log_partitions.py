"""The service-request log as a PostgreSQL table partitioned by month, and the allow-list audit made
append-only.

* ``gateway_servicerequestlog``: PRIMARY KEY (id, requested_at) (a partitioned table's unique keys must
  include the partition key); Django's model keeps ``id`` as its pk (its state comes from 0001).
* Indexes for the reports and pages: BRIN on ``requested_at`` (monthly aggregates), btree on
  ``(requested_at, id)`` (keyset pages, newest first), ``(device_id, requested_at)`` and
  ``(party_id, requested_at)`` (a device's / a party's requests by time).
* The allow-list audit refuses UPDATE and DELETE (``portal_refuse_modification()``, inventory 0004);
  TRUNCATE is left to table ownership, as for the other audit tables (Django's test flush uses it).
* ``gateway_srlog_ensure_partition(date)`` creates the month's partition if missing (idempotent, safe
  under concurrency); rows that had fallen into the default partition for that month move into it.
  The beat task ``gateway.tasks.service_request_log_partitions_ensure_task`` keeps months ahead ready.
"""
from django.db import migrations

TABLE = """
CREATE TABLE gateway_servicerequestlog (
    id bigserial NOT NULL,
    request_id varchar(100) NOT NULL,
    requested_at timestamptz NOT NULL,
    party_id bigint NULL,
    user_id bigint NULL,
    srv varchar(10) NOT NULL,
    srv_category varchar(16) NOT NULL,
    device_id varchar(23) NOT NULL DEFAULT '',
    command_variant smallint NULL CHECK (command_variant >= 0),
    response_code varchar(8) NOT NULL,
    detail varchar(250) NOT NULL DEFAULT '',
    restricted_at_request boolean NOT NULL DEFAULT false,
    csp_region varchar(12) NOT NULL DEFAULT '',
    channel varchar(10) NOT NULL,
    PRIMARY KEY (id, requested_at)
) PARTITION BY RANGE (requested_at);
CREATE TABLE gateway_servicerequestlog_default PARTITION OF gateway_servicerequestlog DEFAULT;
CREATE INDEX gateway_srlog_time_brin ON gateway_servicerequestlog USING brin (requested_at);
CREATE INDEX gateway_srlog_time_id_idx ON gateway_servicerequestlog (requested_at, id);
CREATE INDEX gateway_srlog_device_time_idx ON gateway_servicerequestlog (device_id, requested_at);
CREATE INDEX gateway_srlog_party_time_idx ON gateway_servicerequestlog (party_id, requested_at);
"""

ENSURE_PARTITION = """
CREATE OR REPLACE FUNCTION gateway_srlog_ensure_partition(month_start date) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    first_day date := date_trunc('month', month_start)::date;
    next_day date := (date_trunc('month', month_start) + interval '1 month')::date;
    lower_bound timestamptz := make_timestamptz(
        extract(year FROM first_day)::int, extract(month FROM first_day)::int, 1, 0, 0, 0, 'UTC');
    upper_bound timestamptz := make_timestamptz(
        extract(year FROM next_day)::int, extract(month FROM next_day)::int, 1, 0, 0, 0, 'UTC');
    part_name text := 'gateway_servicerequestlog_p' || to_char(first_day, 'YYYY_MM');
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext(part_name));
    IF to_regclass(part_name) IS NOT NULL THEN
        RETURN part_name;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE gateway_servicerequestlog INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                   part_name);
    EXECUTE format(
        'WITH moved AS (DELETE FROM gateway_servicerequestlog_default WHERE requested_at >= %L AND requested_at < %L'
        ' RETURNING *) INSERT INTO %I SELECT * FROM moved', lower_bound, upper_bound, part_name);
    EXECUTE format('ALTER TABLE gateway_servicerequestlog ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                   part_name, lower_bound, upper_bound);
    RETURN part_name;
END;
$$;
SELECT gateway_srlog_ensure_partition(((now() AT TIME ZONE 'UTC') + make_interval(months => n))::date)
FROM generate_series(-1, 3) AS n;
"""

APPEND_ONLY = """
CREATE TRIGGER gateway_allowlistchange_append_only BEFORE UPDATE OR DELETE ON gateway_allowlistchange
FOR EACH ROW EXECUTE FUNCTION portal_refuse_modification();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("gateway", "0001_initial"),
        ("inventory", "0004_append_only_audit"),
    ]
    operations = [
        migrations.RunSQL(TABLE, "DROP TABLE IF EXISTS gateway_servicerequestlog CASCADE;"),
        migrations.RunSQL(ENSURE_PARTITION, "DROP FUNCTION IF EXISTS gateway_srlog_ensure_partition(date);"),
        migrations.RunSQL(
            APPEND_ONLY,
            "DROP TRIGGER IF EXISTS gateway_allowlistchange_append_only ON gateway_allowlistchange;",
        ),
    ]
