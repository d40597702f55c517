"""DDL for the raw `requests` hypertable and the refresher's dirty-minute log."""

CREATE_EXTENSION = "CREATE EXTENSION IF NOT EXISTS timescaledb"

CREATE_REQUESTS = """
CREATE TABLE IF NOT EXISTS requests (
    service       TEXT        NOT NULL,
    node          TEXT,
    method        TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    endpoint      TEXT        NOT NULL,
    context       TEXT,
    status        SMALLINT    NOT NULL,
    response_time INTEGER     NOT NULL,
    consumer      TEXT        NOT NULL
)
"""
DROP_REQUESTS = "DROP TABLE IF EXISTS requests"

# Short chunks so retention drops whole chunks. Every index costs ingest speed,
# and queries read the rollups, touching raw rows only for the last minutes.
CREATE_HYPERTABLE = "SELECT create_hypertable('requests', 'created_at', chunk_time_interval => %s::interval, if_not_exists => true)"

# The only index: BRIN on time, in place of the B-tree create_hypertable makes.
# Rows arrive nearly in time order, so block ranges find any minute's rows
# (the refresher's and the raw tail's reads), and COPY pays about a third
# less per row than with the B-tree (bench/README.md).
CREATE_TIME_BRIN = (
    "CREATE INDEX IF NOT EXISTS requests_created_at_brin ON requests USING brin (created_at) WITH (autosummarize = on)"
)
DROP_TIME_BRIN = "DROP INDEX IF EXISTS requests_created_at_brin"
CREATE_TIME_BTREE = "CREATE INDEX IF NOT EXISTS requests_created_at_idx ON requests (created_at DESC)"
DROP_TIME_BTREE = "DROP INDEX IF EXISTS requests_created_at_idx"

# Minutes that received records since the Apache-edition refresher last ran.
# No unique constraint: concurrent ingests would queue on it; the refresher
# reads DISTINCT.
CREATE_DIRTY = """
CREATE TABLE IF NOT EXISTS malti_dirty_minutes (bucket TIMESTAMPTZ NOT NULL);
CREATE INDEX IF NOT EXISTS malti_dirty_minutes_bucket ON malti_dirty_minutes (bucket)
"""
DROP_DIRTY = "DROP TABLE IF EXISTS malti_dirty_minutes"
