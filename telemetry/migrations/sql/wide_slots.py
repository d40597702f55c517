"""Frozen DDL of migration 0009: BIGINT histogram slots from the 1-hour level up.

Copied here as it stood when 0009 was written (a migration must not follow
today's catalog). Levels 1min and 5min keep INTEGER slots; the open-bucket
tables (Apache edition) hold every level, so they widen too.
"""

SLOTS = tuple(f"h{slot}" for slot in range(1, 130))
# (level, bucket interval, level below)
LEVELS = (
    ("1hour", "1 hour", "5min"),
    ("6hour", "6 hours", "1hour"),
    ("1day", "1 day", "6hour"),
    ("1week", "7 days", "1day"),
)
# (name, dimensions, indexed columns)
MATERIALISATIONS = (
    ("svc", ("service",), ("service",)),
    ("status", ("service", "status"), ("service",)),
    ("node", ("service", "node", "context"), ("service",)),
    ("endpoint", ("service", "method", "endpoint"), ("service", "endpoint")),
    ("consumer", ("service", "consumer"), ("service", "consumer")),
    ("", ("service", "node", "method", "endpoint", "consumer", "context", "status"), ("service", "endpoint")),
)
OPEN_TABLES = (
    "requests_svc_open",
    "requests_status_open",
    "requests_node_open",
    "requests_endpoint_open",
    "requests_consumer_open",
)
MEASURES = (
    "sum(request_count)::bigint AS request_count, sum(error_count)::bigint AS error_count, "
    "sum(client_error_count)::bigint AS client_error_count, sum(server_error_count)::bigint AS server_error_count, "
    "sum(response_time_sum)::bigint AS response_time_sum, min(response_time_min) AS response_time_min, "
    "max(response_time_max) AS response_time_max, " + ", ".join(f"sum({h})::bigint AS {h}" for h in SLOTS)
)
# Community refresh policies at 0009: (start offset beyond raw retention, end offset, schedule).
REFRESH_POLICY = {
    "1min": ("0 hours", "1 minute", "1 minute"),
    "5min": ("6 hours", "5 minutes", "5 minutes"),
    "1hour": ("42 hours", "1 hour", "30 minutes"),
    "6hour": ("66 hours", "6 hours", "1 hour"),
    "1day": ("90 hours", "1 day", "1 hour"),
    "1week": ("498 hours", "7 days", "1 day"),
}

SLOT_TYPE_SQL = (
    "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = %s::regclass AND attname = 'h1'"
)
WIDEN_TABLE_SQL = "ALTER TABLE {relation} " + ", ".join(f"ALTER COLUMN {h} TYPE BIGINT" for h in SLOTS)

MATERIALISED_TABLE_SQL = (
    "SELECT format('%%I.%%I', materialization_hypertable_schema, materialization_hypertable_name) "
    "FROM timescaledb_information.continuous_aggregates WHERE view_name = %s"
)
# The first bucket of a level that the level below holds whole (NULL: below is empty).
REBUILD_FROM_SQL = (
    "SELECT time_bucket(%s::interval, min(bucket)) + CASE WHEN time_bucket(%s::interval, min(bucket)) = min(bucket) "
    "THEN INTERVAL '0' ELSE %s::interval END FROM {below}"
)
# The aggregates being rebuilt (their rows the level below cannot rebuild are kept in malti_0009_kept_*).
CREATE_KEPT_STATE_SQL = "CREATE TABLE IF NOT EXISTS malti_0009_rebuild (relation TEXT PRIMARY KEY)"
SAVE_STATE_SQL = "INSERT INTO malti_0009_rebuild VALUES (%s) ON CONFLICT DO NOTHING"
READ_STATE_SQL = "SELECT relation FROM malti_0009_rebuild"
DROP_STATE_SQL = "DROP TABLE IF EXISTS malti_0009_rebuild"
KEEP_ROWS_SQL = "CREATE TABLE {kept} AS SELECT * FROM {materialised} WHERE bucket < coalesce(%s, 'infinity')"
KEPT_EXISTS_SQL = "SELECT to_regclass(%s) IS NOT NULL"
DROP_VIEW_SQL = "DROP MATERIALIZED VIEW IF EXISTS {relation} CASCADE"
REFRESH_SQL = "CALL refresh_continuous_aggregate(%s, %s::timestamptz, %s::timestamptz)"
DELETE_BEFORE_SQL = "DELETE FROM {materialised} WHERE bucket < coalesce(%s, 'infinity')"
RESTORE_SQL = "INSERT INTO {materialised} SELECT * FROM {kept} WHERE bucket < coalesce(%s, 'infinity')"
OPEN_BUCKET_SQL = "SELECT time_bucket(%s::interval, now())"
DROP_KEPT_SQL = "DROP TABLE {kept}"
REMOVE_REFRESH_POLICY_SQL = "SELECT remove_continuous_aggregate_policy(%s::regclass, if_exists => true)"
ADD_REFRESH_POLICY_SQL = (
    "SELECT add_continuous_aggregate_policy(%s::regclass, start_offset => %s::interval + %s::interval, "
    "end_offset => %s::interval, schedule_interval => %s::interval, if_not_exists => true)"
)
ADD_RETENTION_POLICY_SQL = (
    "SELECT add_retention_policy(%s::regclass, drop_after => %s::interval, if_not_exists => true)"
)


def relation(level: str, materialisation: str) -> str:
    return f"requests_{materialisation}_{level}" if materialisation else f"requests_{level}"


def kept_table(name: str) -> str:
    return f"malti_0009_kept_{name}"


def create_view_sql(level: str, interval: str, below: str, materialisation) -> str:
    name, dimensions, _ = materialisation
    dims = ", ".join(dimensions)
    return (
        f"CREATE MATERIALIZED VIEW IF NOT EXISTS {relation(level, name)} WITH (timescaledb.continuous, "
        f"timescaledb.materialized_only = false) AS SELECT time_bucket(INTERVAL '{interval}', bucket) AS bucket, "
        f"{dims}, {MEASURES} FROM {relation(below, name)} GROUP BY 1, {dims} WITH NO DATA"
    )


def index_sql(level: str, materialisation) -> str:
    name, _, indexed = materialisation
    table = relation(level, name)
    return f"CREATE INDEX IF NOT EXISTS {table}_lookup ON {table} ({', '.join(indexed)}, bucket DESC)"


# Community edition: the idempotency receipts' pruning, a TimescaleDB job (no worker runs there).
CREATE_PRUNE_PROCEDURE_SQL = """
CREATE OR REPLACE PROCEDURE malti_prune_ingest_receipts(job_id integer, config jsonb) LANGUAGE sql AS $$
DELETE FROM telemetry_ingestreceipt WHERE created_at < now() - interval '24 hours'
$$
"""
ADD_PRUNE_JOB_SQL = (
    "SELECT add_job('malti_prune_ingest_receipts', INTERVAL '10 minutes') WHERE NOT EXISTS "
    "(SELECT 1 FROM timescaledb_information.jobs WHERE proc_name = 'malti_prune_ingest_receipts')"
)
REMOVE_PRUNE_JOB_SQL = (
    "SELECT delete_job(job_id) FROM timescaledb_information.jobs WHERE proc_name = 'malti_prune_ingest_receipts'"
)
DROP_PRUNE_PROCEDURE_SQL = "DROP PROCEDURE IF EXISTS malti_prune_ingest_receipts(integer, jsonb)"
