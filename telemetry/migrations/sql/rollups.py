"""DDL for the rollups, for both TimescaleDB editions.

Community edition: continuous aggregates (1-minute levels on the raw table,
coarser levels on the level below), real-time aggregation on, refresh
policies. Apache edition (no continuous aggregates): hypertables with the same
names and columns, filled by Malti's refresher (telemetry/rollups/refresher.py).
"""

from datetime import timedelta

from telemetry.edition import COMMUNITY, current_license
from telemetry.rollups.continuous import REFRESH_POLICY
from telemetry.rollups.catalog import (
    LEVELS,
    OPEN_MATERIALISATIONS,
    column_definitions,
    open_column_definitions,
    relations,
    select_sql,
)

# Watermarks of the Apache-edition refresher: level L holds every complete
# bucket before its watermark; newer data is read from finer levels and raw.
CREATE_REFRESH_STATE = """
CREATE TABLE IF NOT EXISTS malti_refresh_state (
    level TEXT PRIMARY KEY,
    watermark TIMESTAMPTZ NOT NULL DEFAULT 'epoch'
);
CREATE TABLE IF NOT EXISTS malti_dirty_buckets (level TEXT NOT NULL, bucket TIMESTAMPTZ NOT NULL);
CREATE INDEX IF NOT EXISTS malti_dirty_buckets_level_bucket ON malti_dirty_buckets (level, bucket);
"""
DROP_REFRESH_STATE = "DROP TABLE IF EXISTS malti_refresh_state; DROP TABLE IF EXISTS malti_dirty_buckets;"

# Continuous aggregates are created with the refresh windows of the default
# raw retention (6 hours); 0009 and `retention set` make them follow the setting.
CREATED_WITH_RAW_RETENTION = timedelta(hours=6)


# Community edition: TimescaleDB's own retention policies (the worker applies retention on Apache).
ADD_RETENTION_POLICY_SQL = (
    "SELECT add_retention_policy(%s::regclass, drop_after => %s::interval, if_not_exists => true)"
)
REMOVE_RETENTION_POLICY_SQL = "SELECT remove_retention_policy(%s::regclass, if_exists => true)"


def is_community(schema_editor) -> bool:
    """The edition a migration runs against (decided at migrate time)."""
    with schema_editor.connection.cursor() as cursor:
        return current_license(cursor) == COMMUNITY


def apache_statements() -> list[str]:
    statements = []
    for level, materialisation in relations():
        name = materialisation.relation(level)
        statements.append(f"CREATE TABLE IF NOT EXISTS {name} ({column_definitions(materialisation, level.slot_type)})")
        statements.append(
            f"SELECT create_hypertable('{name}', 'bucket', chunk_time_interval => INTERVAL '{level.chunk}', "
            "if_not_exists => true)"
        )
        statements.append(materialisation.index_sql(level))
    statements.append(
        "INSERT INTO malti_refresh_state (level) VALUES "
        + ", ".join(f"('{level.name}')" for level in LEVELS)
        + " ON CONFLICT DO NOTHING"
    )
    return statements


def community_statements() -> list[str]:
    statements = []
    for level, materialisation in relations():
        name = materialisation.relation(level)
        beyond, end, every = REFRESH_POLICY[level.name]
        start = f"{int((CREATED_WITH_RAW_RETENTION + beyond).total_seconds())} seconds"
        statements.append(
            f"CREATE MATERIALIZED VIEW IF NOT EXISTS {name} WITH (timescaledb.continuous, "
            f"timescaledb.materialized_only = false) AS {select_sql(level, materialisation)} WITH NO DATA"
        )
        statements.append(materialisation.index_sql(level))
        statements.append(
            f"SELECT add_continuous_aggregate_policy('{name}', start_offset => INTERVAL '{start}', "
            f"end_offset => INTERVAL '{end}', schedule_interval => INTERVAL '{every}', if_not_exists => true)"
        )
    return statements


def drop_statements(community: bool, only_level=None) -> list[str]:
    kind = "MATERIALIZED VIEW" if community else "TABLE"
    # Coarse levels first: continuous aggregates depend on the level below.
    return [
        f"DROP {kind} IF EXISTS {m.relation(level)} CASCADE"
        for level, m in reversed(list(relations()))
        if only_level in (None, level)
    ]


# The open buckets (Apache edition): one table per materialisation that keeps them, all levels in it.
ADD_OPEN_UNTIL = "ALTER TABLE malti_refresh_state ADD COLUMN IF NOT EXISTS open_until TIMESTAMPTZ"
DROP_OPEN_UNTIL = "ALTER TABLE malti_refresh_state DROP COLUMN IF EXISTS open_until"


def open_bucket_statements() -> list[str]:
    statements = []
    for materialisation in OPEN_MATERIALISATIONS:
        relation = materialisation.open_relation()
        statements.append(f"CREATE TABLE IF NOT EXISTS {relation} ({open_column_definitions(materialisation)})")
        statements.append(materialisation.open_index_sql())
    return statements


def drop_open_bucket_statements() -> list[str]:
    return [f"DROP TABLE IF EXISTS {m.open_relation()}" for m in OPEN_MATERIALISATIONS] + [DROP_OPEN_UNTIL]
