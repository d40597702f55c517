"""Metrics cannot starve ingest: their statements stop at a time limit, and they wait for connections of their own.

A real server (gunicorn + uvicorn workers) serves the test database; another
connection holds an ACCESS EXCLUSIVE lock on every rollup relation, so each
metrics statement waits as a very slow one would, while ingest's tables stay free.
"""

import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import timedelta

import orjson
import psycopg
import pytest

from telemetry.edition import has_continuous_aggregates
from telemetry.models import Request
from telemetry.rollups.catalog import MATERIALISATIONS, relations
from telemetry.traffic import TrafficModel, as_rows
from tests.conftest import record, refresh_rollups, utc_now
from tests.reliability.conftest import database_url, live_server

pytestmark = pytest.mark.django_db(transaction=True)

# Community edition: the rollups are continuous aggregates; locking their views would
# lock the raw table too (ingest's), so lock the hypertables that store them.
MATERIALISED_SQL = """
SELECT format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name)
FROM timescaledb_information.continuous_aggregates WHERE view_schema = current_schema()
"""
WAITING_FOR_LOCKS_SQL = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


@pytest.fixture
def traffic(service):
    """Three hours of committed traffic for `checkout`, rolled up (so metrics read the rollups)."""
    model = TrafficModel(services=[service.telemetry_key], endpoints_per_service=3, consumers=3, seed=14)
    now = utc_now()
    Request.objects.ingest(as_rows(model.records(600, now - timedelta(hours=3), now - timedelta(minutes=5))))
    refresh_rollups()


def rollup_relations(cursor) -> list[str]:
    if has_continuous_aggregates():
        cursor.execute(MATERIALISED_SQL)
        return [row[0] for row in cursor.fetchall()]
    tables = [materialisation.relation(level) for level, materialisation in relations()]
    return tables + [m.open_relation() for m in MATERIALISATIONS if m.keeps_open]


@contextmanager
def rollups_locked():
    """Every rollup relation locked by another connection until the block ends."""
    with psycopg.connect(database_url()) as holder:
        with holder.cursor() as cursor:
            for relation in rollup_relations(cursor):
                cursor.execute(f"LOCK TABLE {relation} IN ACCESS EXCLUSIVE MODE")
        yield holder
        holder.rollback()


def waiting_for_locks() -> int:
    with psycopg.connect(database_url(), autocommit=True) as conn:
        return conn.execute(WAITING_FOR_LOCKS_SQL).fetchone()[0]


def call(url: str, key: str, body: bytes | None = None, timeout: float = 30) -> tuple[int | None, dict, float]:
    """(status, JSON body, seconds); status None if no answer came within `timeout`."""
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    started = time.monotonic()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers), timeout=timeout) as r:
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    except TimeoutError:
        return None, {}, time.monotonic() - started
    return status, orjson.loads(raw) if raw else {}, time.monotonic() - started


def test_a_metrics_statement_over_the_time_limit_is_a_503_that_says_to_narrow_the_range(
    traffic, user_api_key, tmp_path
):
    with live_server(tmp_path, workers=1, MALTI_METRICS_STATEMENT_TIMEOUT="1") as server, rollups_locked():
        status, body, seconds = call(server.url + "/api/v1/metrics/aggregate", user_api_key, timeout=20)
        log = server.log_tail()
    assert status == 503, (status, body, log)
    detail = body["detail"]
    assert "took longer than 1 seconds" in detail and "narrow the time range" in detail, detail
    assert not any(word in detail.lower() for word in ("select", "requests_", "statement timeout")), detail
    assert seconds < 10, f"answered after {seconds:.1f} s"


# A metrics response runs two statements side by side; the objectives' run one after another.
@pytest.mark.parametrize(("path", "statements"), [("/api/v1/metrics/aggregate", 2), ("/api/v1/objectives", 1)])
def test_ingest_answers_promptly_while_slow_metrics_requests_hold_every_reads_connection(
    traffic, user_api_key, service_api_key, tmp_path, path, statements
):
    env = {
        "MALTI_DB_POOL_MAX": "4",
        "MALTI_DB_POOL_TIMEOUT": "2",
        "MALTI_DB_READS_POOL_MAX": "2",
        "MALTI_QUERY_CONCURRENCY": "2",
    }
    with live_server(tmp_path, workers=1, **env) as server, rollups_locked() as holder:
        answers = []
        metrics = [
            threading.Thread(
                target=lambda: answers.append(call(server.url + path, user_api_key)),
                daemon=True,
            )
            for _ in range(6)
        ]
        for thread in metrics:
            thread.start()
        deadline = time.monotonic() + 10
        while waiting_for_locks() < statements and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # the other metrics requests queue behind them
        assert waiting_for_locks() >= statements, server.log_tail()

        batch = orjson.dumps({"requests": [record()]})
        status, body, seconds = call(server.url + "/api/v1/ingest", service_api_key, batch, timeout=10)
        assert status == 200, (status, body, server.log_tail())
        assert seconds < 1.5, f"ingest answered after {seconds:.1f} s"

        holder.rollback()  # the slow statements finish; the queued requests then run in turn
        for thread in metrics:
            thread.join(timeout=30)
    assert [status for status, _, _ in answers] == [200] * 6, answers
    totals = [(body.get("metrics_summary") or body["objectives"][0])["total_requests"] for _, body, _ in answers]
    assert all(total >= 600 for total in totals), "they read the rollups"
