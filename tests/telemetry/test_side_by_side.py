"""A metrics response runs its statements side by side, on separate connections, with the same result."""

import threading
from datetime import timedelta

import pytest
from django.db import connection

from telemetry.edition import has_continuous_aggregates
from telemetry.metrics import build_response, parse
from telemetry.models import Request
from telemetry.rollups.query import SideBySide
from telemetry.traffic import TrafficModel, as_rows
from tests.conftest import refresh_rollups, utc_now

# Committed rows: other connections must see them.
pytestmark = pytest.mark.django_db(transaction=True)

SERVICES = ["checkout", "billing"]
VISIBLE = {name: name for name in SERVICES}


@pytest.fixture
def traffic():
    """Every record stored: 1,500 rolled up, then 100 in the current minute."""
    model = TrafficModel(services=SERVICES, endpoints_per_service=5, consumers=6, seed=21)
    now = utc_now()
    rolled_up = model.records(1500, now - timedelta(hours=3), now - timedelta(minutes=3))
    Request.objects.ingest(as_rows(rolled_up))
    refresh_rollups()
    # After Malti's watermark (Apache edition): read from raw rows.
    tail_start = utc_now().replace(second=0, microsecond=0)
    tail = model.records(100, tail_start, utc_now())
    Request.objects.ingest(as_rows(tail))
    if has_continuous_aggregates():
        # Real-time aggregation covers only buckets above a continuous aggregate's watermark: a row in a bucket
        # already materialised (the 5-minute bucket of this minute) shows at the next refresh, which this is.
        # The test's own transaction=True keeps it outside a transaction, where the refresh can run.
        refresh_rollups()
    return rolled_up + tail


def _backend_pid():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _backend_pid_while(barrier):
    """This thread's server process, after every submitted statement has started (so none reuses another's)."""
    pid = _backend_pid()
    barrier.wait(timeout=10)
    return pid


def test_outside_a_transaction_the_statements_run_on_other_connections():
    assert not connection.in_atomic_block
    barrier = threading.Barrier(2)
    with SideBySide(workers=2) as queries:
        backends = [queries.submit(_backend_pid_while, barrier) for _ in (1, 2)]
    pids = [future.result() for future in backends]
    # (The caller's connection goes back to the pool first, so one of them may reuse it.)
    assert len(set(pids)) == 2, pids


def test_side_by_side_gives_the_response_one_after_another_gives(traffic, settings):
    now = utc_now()
    for hours in (1, 24):
        scope = parse({"start_time": (now - timedelta(hours=hours)).isoformat()}, now)
        settings.MALTI_QUERY_CONCURRENCY = 1
        one_by_one = build_response(scope, VISIBLE)
        settings.MALTI_QUERY_CONCURRENCY = 3
        side_by_side = build_response(scope, VISIBLE)
        assert side_by_side == one_by_one
        # Exact, on both editions: every record in the range's whole buckets, the last minute's too.
        expected = sum(scope.start <= r["created_at"] < scope.end for r in traffic)
        assert expected >= 100 if hours == 1 else expected == 1600
        assert side_by_side["metrics_summary"]["total_requests"] == expected, hours


def test_inside_a_transaction_the_statements_run_on_the_callers_connection(traffic):
    from django.db import transaction

    with transaction.atomic(), SideBySide(workers=2) as queries:
        assert queries.executor is None
        assert queries.submit(_backend_pid).result() == _backend_pid()


def test_statements_run_without_parallel_workers_or_jit():
    # Side by side already uses the cores; parallel workers on top made every range slower.
    with SideBySide(workers=2) as queries:
        shown = queries.submit(_show, "max_parallel_workers_per_gather", "jit").result()
    assert shown == ["0", "off"]


def _show(*names):
    with connection.cursor() as cursor:
        values = []
        for name in names:
            cursor.execute(f"SHOW {name}")
            values.append(cursor.fetchone()[0])
        return values
