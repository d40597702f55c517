"""A database with the original Malti's schema (muzy/malti, database/init.sql), holding generated history.

On the community edition it is that DDL as published: the raw hypertable, its
5-minute and 1-hour continuous aggregates and their policies (paused here).
The Apache edition has no continuous aggregates, so there the two aggregates
are tables with the same columns, filled by the same SELECT. Retention is
then imitated: raw rows are dropped before `raw_days` ago and 5-minute
aggregates before `fivemin_days` ago, as the original's policies would have.
"""

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from django.conf import settings

from tests.conftest import edition_is_community

RAW_DDL = """
CREATE EXTENSION IF NOT EXISTS timescaledb;
CREATE TABLE IF NOT EXISTS requests (
    service TEXT NOT NULL,
    node TEXT,
    method TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    endpoint TEXT NOT NULL,
    context TEXT,
    status SMALLINT NOT NULL,
    response_time INT NOT NULL,
    consumer TEXT NOT NULL
);
SELECT create_hypertable('requests', 'created_at', if_not_exists => TRUE);
SELECT set_chunk_time_interval('requests', INTERVAL '1 day');
CREATE INDEX IF NOT EXISTS idx_requests_service_created_at ON requests (service, created_at DESC);
CREATE INDEX IF NOT EXISTS idx_requests_status ON requests (status);
CREATE INDEX IF NOT EXISTS idx_requests_endpoint ON requests (endpoint);
CREATE INDEX IF NOT EXISTS idx_requests_consumer ON requests (consumer);
CREATE INDEX IF NOT EXISTS idx_requests_context ON requests (context);
"""
AGGREGATE_BODY = """
SELECT
    service,
    node,
    method,
    endpoint,
    consumer,
    context,
    status,
    time_bucket('{width}', created_at) AS bucket,
    COUNT(*) as count_requests,
    MIN(response_time) as min_response_time,
    MAX(response_time) as max_response_time,
    AVG(response_time) as avg_response_time,
    PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY response_time) as p95_response_time
FROM requests
GROUP BY service, node, method, endpoint, consumer, context, status, bucket
"""
CONTINUOUS_AGGREGATE_DDL = (
    "CREATE MATERIALIZED VIEW IF NOT EXISTS {name} WITH (timescaledb.continuous) AS " + AGGREGATE_BODY
)
POLICIES_DDL = """
SELECT add_retention_policy('requests', INTERVAL '7 days');
SELECT add_retention_policy('requests_5min', INTERVAL '90 days');
SELECT add_retention_policy('requests_1hour', INTERVAL '720 days');
SELECT add_continuous_aggregate_policy('requests_5min',
    start_offset => INTERVAL '3 hours', end_offset => INTERVAL '0', schedule_interval => INTERVAL '1 minute');
SELECT add_continuous_aggregate_policy('requests_1hour',
    start_offset => INTERVAL '1 day', end_offset => INTERVAL '0', schedule_interval => INTERVAL '15 minutes');
SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs WHERE job_id >= 1000;
"""
TABLE_AGGREGATE_DDL = "CREATE TABLE {name} AS " + AGGREGATE_BODY
REFRESH_SQL = "CALL refresh_continuous_aggregate('{name}', NULL, NULL)"
INSERT_SQL = (
    "INSERT INTO requests (service, node, method, created_at, endpoint, context, status, response_time, consumer) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
DROP_RAW_SQL = "SELECT drop_chunks('requests', older_than => %s::timestamptz)"
DROP_AGGREGATE_CHUNKS_SQL = "SELECT drop_chunks('requests_5min', older_than => %s::timestamptz)"
DELETE_RAW_SQL = "DELETE FROM requests WHERE created_at < %s"
DELETE_FIVEMIN_SQL = "DELETE FROM requests_5min WHERE bucket < %s"

ENDPOINTS = ("/orders/{id}", "/orders", "/search", "/health")
STATUSES = (200, 200, 200, 201, 304, 404, 401, 500, 503)


@dataclass
class OriginalMalti:
    url: str
    records: list[tuple]  # (service, node, method, created_at, endpoint, context, status, response_time, consumer)

    def connect(self):
        return psycopg.connect(self.url, autocommit=True)

    def daily_totals(self, service: str) -> dict:
        """Requests per UTC day of a service, as generated (what the original counted)."""
        totals = {}
        for record in self.records:
            if record[0] == service:
                day = record[3].date()
                totals[day] = totals.get(day, 0) + 1
        return totals

    def aggregate_daily_totals(self, service: str) -> dict:
        """Requests per UTC day of a service as its 1-hour aggregates hold them."""
        with self.connect() as connection:
            rows = connection.execute(
                "SELECT (bucket AT TIME ZONE 'UTC')::date, sum(count_requests) FROM requests_1hour "
                "WHERE service = %s GROUP BY 1",
                [service],
            ).fetchall()
        return {day: int(count) for day, count in rows}


def server_url(database: str) -> str:
    db = settings.DATABASES["default"]
    return f"postgresql://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{database}"


def generate(now: datetime, services, days: int, per_day: int, seed: int = 7) -> list[tuple]:
    """Records spread over the last `days` days (up to the hour before `now`), with known latencies."""
    chance = random.Random(seed)
    start = (now - timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    span = (now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1) - start).total_seconds()
    records = []
    for service in services:
        for _ in range(per_day * days):
            moment = start + timedelta(seconds=chance.uniform(0, span))
            records.append(
                (
                    service,
                    chance.choice(("node-1", "node-2", "")),
                    chance.choice(("GET", "POST", "get")),
                    moment,
                    chance.choice(ENDPOINTS),
                    chance.choice(("web", None)),
                    chance.choice(STATUSES),
                    int(chance.lognormvariate(4, 1)),
                    chance.choice(("web-app", "mobile", "partner")),
                )
            )
    return records


def create(now: datetime, records, raw_days: int, fivemin_days: int) -> OriginalMalti:
    """A new database holding `records` as the original would keep them now."""
    name = f"original_malti_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    original = OriginalMalti(server_url(name), list(records))
    with original.connect() as connection:
        connection.execute(RAW_DDL)
        with connection.cursor() as cursor:
            cursor.executemany(INSERT_SQL, records)
        community = edition_is_community()
        for aggregate, width in (("requests_5min", "5 minutes"), ("requests_1hour", "1 hour")):
            template = CONTINUOUS_AGGREGATE_DDL if community else TABLE_AGGREGATE_DDL
            connection.execute(template.format(name=aggregate, width=width))
            if community:
                connection.execute(REFRESH_SQL.format(name=aggregate))
        if community:
            connection.execute(POLICIES_DDL)
            connection.execute(DROP_RAW_SQL, [now - timedelta(days=raw_days)])
            connection.execute(DROP_AGGREGATE_CHUNKS_SQL, [now - timedelta(days=fivemin_days)])
        else:
            connection.execute(DELETE_RAW_SQL, [now - timedelta(days=raw_days)])
            connection.execute(DELETE_FIVEMIN_SQL, [now - timedelta(days=fivemin_days)])
    return original


def drop(original: OriginalMalti):
    name = original.url.rsplit("/", 1)[1]
    with psycopg.connect(server_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
