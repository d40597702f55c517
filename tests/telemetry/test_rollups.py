"""Rollups read through the metrics API equal the same figures computed from raw rows."""

import random
from datetime import timedelta

import pytest
from django.db import connection

from telemetry.models import Request
from telemetry.rollups import refresher
from telemetry.rollups.catalog import LEVEL_BY_NAME, LEVELS, relations
from telemetry.rollups.histogram import MAX_RELATIVE_ERROR, RAW_HISTOGRAM_SQL, slot_of
from telemetry.rollups.query import MetricsReader, Scope, ceil_to, choose_materialisation, floor_to
from telemetry.traffic import TrafficModel, as_rows
from tests.conftest import refresh_rollups, utc_now

pytestmark = pytest.mark.django_db

SERVICES = ["checkout", "billing"]
# The raw rows with each service's name (rows store its telemetry key): truth is stated in names, as the API answers.
# `service_key` keeps the stored key, which orders ties in the API's top lists.
NAMED_REQUESTS = """(
    SELECT s.name AS service, r.service AS service_key, r.node, r.method, r.created_at, r.endpoint, r.context,
           r.status, r.response_time, r.consumer
    FROM requests r JOIN accounts_service s ON s.telemetry_key = r.service
) AS requests"""
TRUTH_SQL = (
    """
SELECT time_bucket(%s::interval, created_at) AS t, count(*), sum(response_time), min(response_time),
       max(response_time), count(*) FILTER (WHERE status >= 400),
       percentile_disc(ARRAY[0.5, 0.9, 0.95, 0.99]) WITHIN GROUP (ORDER BY response_time)
FROM """
    + NAMED_REQUESTS
    + """ WHERE created_at >= %s AND created_at < %s AND service = ANY(%s) {filters}
GROUP BY GROUPING SETS ((t), ()) ORDER BY t NULLS FIRST
"""
)
ENDPOINTS_SQL = (
    "SELECT service, method, endpoint, count(*), count(*) FILTER (WHERE status >= 400) FROM "
    + NAMED_REQUESTS
    + " WHERE created_at >= %s GROUP BY service_key, 1, 2, 3 ORDER BY 4 DESC, service_key, 2, 3 LIMIT 50"
)


class StoredTraffic:
    """TrafficModel's records as ingest stores them: the service under its telemetry key (nodes keep the name)."""

    def __init__(self, model: TrafficModel, keys: dict[str, str]):
        self.model, self.keys = model, keys

    def records(self, count, start, end) -> list[dict]:
        return [{**r, "service": self.keys[r["service"]]} for r in self.model.records(count, start, end)]


def services_and_model(tenant, seed: int) -> StoredTraffic:
    from tests.factories import ServiceFactory

    keys = {name: ServiceFactory(name=name, tenant=tenant).telemetry_key for name in SERVICES}
    return StoredTraffic(TrafficModel(services=SERVICES, endpoints_per_service=6, consumers=12, seed=seed), keys)


@pytest.fixture
def traffic(user, tenant):
    model = services_and_model(tenant, seed=11)
    now = utc_now()
    # In order, then refreshed; then late and out-of-order batches; then a
    # fresh tail that no refresh has seen yet.
    Request.objects.ingest(as_rows(model.records(3000, now - timedelta(hours=5), now - timedelta(minutes=2))))
    refresh_rollups()
    late = model.records(800, now - timedelta(hours=4, minutes=30), now - timedelta(minutes=30))
    random.Random(3).shuffle(late)
    Request.objects.ingest(as_rows(late))
    refresh_rollups()
    Request.objects.ingest(as_rows(model.records(400, now - timedelta(hours=3), now - timedelta(hours=2))))
    Request.objects.ingest(as_rows(model.records(60, now - timedelta(minutes=20), now)))
    refresh_rollups()
    # The tail after the watermark (the current minute) is read from raw rows.
    # (A late record before the watermark waits for the next refresh.)
    tail_start = utc_now().replace(second=0, microsecond=0)
    Request.objects.ingest(as_rows(model.records(150, tail_start, utc_now())))
    return model


def truth(interval, start, end, filters=None):
    filters = filters or {}
    clause = "".join(f" AND {dim} = %s" for dim in filters)
    with connection.cursor() as cursor:
        cursor.execute(TRUTH_SQL.format(filters=clause), [interval, start, end, SERVICES, *filters.values()])
        rows = cursor.fetchall()
    return rows[0], {row[0]: row for row in rows[1:]}


def assert_close(estimate, exact):
    assert estimate is not None
    # Documented bound: 4.4 % of (1 + value); exact for values under ~10 ms.
    assert abs(estimate - exact) <= MAX_RELATIVE_ERROR * (1 + exact) + 1e-6, (estimate, exact)


def check(api, user_api_key, interval, params=None):
    params = {"interval": interval, **(params or {})}
    now = utc_now()
    params.setdefault("start_time", (now - timedelta(hours=6)).isoformat())
    params.setdefault("end_time", (now + timedelta(minutes=1)).isoformat())
    response = api.get("/api/v1/metrics/aggregate", params, HTTP_X_API_KEY=user_api_key)
    assert response.status_code == 200, response.content
    body = response.json()
    filters = {k: v for k, v in params.items() if k in ("node", "method", "endpoint", "consumer", "context")}
    services_param = params.get("service")
    if services_param:
        filters["service"] = services_param
    interval_sql = {
        "1min": "1 minute",
        "5min": "5 minutes",
        "1hour": "1 hour",
        "6hour": "6 hours",
        "1day": "1 day",
        "1week": "7 days",
    }[interval]
    total, per_bucket = truth(interval_sql, body["start_time"], body["end_time"], filters)
    summary = body["metrics_summary"]
    assert summary["total_requests"] == total[1]
    assert summary["error_count"] == total[5]
    if total[1]:
        assert summary["min_latency"] == total[3] and summary["max_latency"] == total[4]
        assert summary["avg_latency"] == pytest.approx(total[2] / total[1], abs=0.01)
        for key, exact in zip(("p50", "p90", "p95", "p99"), total[6], strict=True):
            assert_close(summary[f"{key}_latency"], exact)
    for point in body["time_series"]:
        from datetime import datetime

        moment = datetime.fromisoformat(point["bucket"].replace("Z", "+00:00"))
        row = per_bucket.get(moment)
        assert point["total_requests"] == (row[1] if row else 0), point["bucket"]
        if row:
            assert point["error_count"] == row[5]
            assert (point["min_latency"], point["max_latency"]) == (row[3], row[4])
            for key, exact in zip(("p50", "p90", "p95", "p99"), row[6], strict=True):
                assert_close(point[f"{key}_latency"], exact)
        else:
            assert point["avg_latency"] is None
    return body


@pytest.mark.parametrize("interval", ["1min", "5min", "1hour", "6hour", "1day", "1week"])
def test_every_level_equals_raw_rows(api, user_api_key, traffic, interval):
    check(api, user_api_key, interval)


@pytest.fixture
def weeks_of_traffic(user, tenant):
    """Three weeks of older traffic, materialised up to the 1-week level."""
    model = services_and_model(tenant, seed=12)
    now = utc_now()
    start = now - timedelta(days=22)
    Request.objects.ingest(as_rows(model.records(4000, start, now - timedelta(hours=1))))
    refresher.mark_dirty(start, now)
    refresh_rollups()
    return model


@pytest.mark.parametrize("interval", ["6hour", "1day", "1week"])
@pytest.mark.parametrize("params", [{}, {"service": "checkout"}, {"endpoint": "/api/users", "service": "checkout"}])
def test_long_ranges_read_the_day_and_week_rollups_and_equal_raw_rows(
    api, user_api_key, apache_edition, weeks_of_traffic, interval, params
):
    now = utc_now()
    with connection.cursor() as cursor:
        for level in ("6hour", "1week"):
            cursor.execute(f"SELECT coalesce(sum(request_count), 0) FROM requests_svc_{level}")
            assert cursor.fetchone()[0] > 0, f"complete {level} buckets are materialised"
    body = check(api, user_api_key, interval, {"start_time": (now - timedelta(days=23)).isoformat(), **params})
    assert body["metrics_summary"]["total_requests"] > 0
    with connection.cursor() as cursor:
        cursor.execute(ENDPOINTS_SQL, [body["start_time"]])
        endpoints = [tuple(row) for row in cursor.fetchall()]
    if not params:
        assert [
            (e["service"], e["method"], e["endpoint"], e["total_requests"], e["error_count"]) for e in body["endpoints"]
        ] == (endpoints)


@pytest.mark.parametrize(
    "params",
    [
        {"service": "checkout"},
        {"service": "billing", "method": "GET"},
        {"consumer": "consumer-001"},
        {"node": "checkout-node-2", "context": "web"},
        {"endpoint": "/api/users", "service": "checkout"},
        {"method": "POST", "consumer": "consumer-000", "context": "mobile"},
    ],
)
@pytest.mark.parametrize("interval", ["5min", "1hour"])
def test_filtered_metrics_equal_raw_rows_in_every_materialisation(api, user_api_key, traffic, interval, params):
    check(api, user_api_key, interval, params)


def test_grouped_panels_equal_raw_rows(api, user_api_key, traffic):
    body = check(api, user_api_key, "1hour")
    with connection.cursor() as cursor:
        cursor.execute(ENDPOINTS_SQL, ["-infinity"])
        endpoints = cursor.fetchall()
        cursor.execute("SELECT consumer, count(*), count(*) FILTER (WHERE status >= 400) FROM requests GROUP BY 1")
        consumers = {row[0]: row[1:] for row in cursor.fetchall()}
        cursor.execute(f"SELECT service, status, count(*) FROM {NAMED_REQUESTS} GROUP BY 1, 2 ORDER BY 1, 2")
        statuses = cursor.fetchall()
        cursor.execute("SELECT DISTINCT node FROM requests WHERE node IS NOT NULL ORDER BY 1")
        nodes = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT service, method, endpoint, percentile_disc(0.95) WITHIN GROUP (ORDER BY response_time) "
            f"FROM {NAMED_REQUESTS} GROUP BY 1, 2, 3"
        )
        endpoint_p95 = {tuple(row[:3]): row[3] for row in cursor.fetchall()}
        cursor.execute(
            f"SELECT service, percentile_disc(0.95) WITHIN GROUP (ORDER BY response_time) FROM {NAMED_REQUESTS} "
            "GROUP BY 1"
        )
        service_p95 = dict(cursor.fetchall())
    for endpoint in body["endpoints"]:
        assert_close(
            endpoint["p95_latency"], endpoint_p95[endpoint["service"], endpoint["method"], endpoint["endpoint"]]
        )
    for service in body["system_overview"]["services"]:
        assert_close(service["p95_latency"], service_p95[service["service"]])
    assert [
        (e["service"], e["method"], e["endpoint"], e["total_requests"], e["error_count"]) for e in body["endpoints"]
    ] == [tuple(row) for row in endpoints]
    assert {c["consumer"]: (c["total_requests"], c["error_count"]) for c in body["consumers"]} == consumers
    assert sorted(
        (s["service"], int(status), count)
        for s in body["status_distribution"]
        for status, count in s["status_breakdown"].items()
    ) == sorted(statuses)
    assert body["distinct_nodes"] == nodes
    assert (
        sum(s["total_requests"] for s in body["system_overview"]["services"])
        == body["metrics_summary"]["total_requests"]
    )


def test_a_refresh_with_nothing_new_changes_nothing(apache_edition, traffic):
    refresher.refresh()
    before = rollup_totals()
    refresher.refresh()
    assert rollup_totals() == before


def test_recomputing_a_range_is_idempotent(apache_edition, traffic):
    refresher.refresh()
    before = rollup_totals()
    now = utc_now()
    refresher.mark_dirty(now - timedelta(hours=6), now)
    refresher.refresh()
    assert rollup_totals() == before


def test_every_materialisation_of_a_level_holds_the_same_total(apache_edition, traffic):
    refresher.refresh()
    totals = rollup_totals()
    for level in LEVELS:
        assert len({totals[(level.name, m)] for (lvl, m) in totals if lvl == level.name}) == 1


def rollup_totals():
    totals = {}
    with connection.cursor() as cursor:
        for level, materialisation in relations():
            cursor.execute(f"SELECT coalesce(sum(request_count), 0) FROM {materialisation.relation(level)}")
            totals[(level.name, materialisation.relation(level))] = cursor.fetchone()[0]
    return {(lvl, rel): value for (lvl, rel), value in totals.items()}


def test_the_database_and_python_agree_on_histogram_slots(db):
    values = [0, 1, 2, 9, 10, 11, 99, 100, 101, 999, 1000, 59_999, 60_000, 3_600_000]
    with connection.cursor() as cursor:
        for value in values:
            cursor.execute(f"SELECT {RAW_HISTOGRAM_SQL} FROM (SELECT %s::int AS response_time) AS one", [value])
            dense = cursor.fetchone()[0]  # 1-based in SQL: element i + 1 is slot i
            assert dense.index(1) == slot_of(value), value


def test_open_buckets_are_read_and_a_query_planned_before_a_refresh_reads_the_version_it_planned(
    apache_edition, traffic, monkeypatch
):
    # A refresh a minute on first: in an hour's first minute its open bucket would still be empty.
    monkeypatch.setattr(
        refresher, "NOW_MINUTE_SQL", "SELECT date_trunc('minute', clock_timestamp()) + interval '1 minute'"
    )
    refresher.refresh()
    now = utc_now()
    scope = Scope(
        start=floor_to(now - timedelta(hours=6), LEVEL_BY_NAME["1hour"]),
        end=ceil_to(now + timedelta(minutes=1), LEVEL_BY_NAME["1hour"]),
        level=LEVEL_BY_NAME["1hour"],
        filters={},
    )
    planned = MetricsReader(scope, tuple(traffic.keys.values()))
    svc = choose_materialisation({"service"})
    assert any(piece.open for piece in planned.total_pieces(svc))
    before = planned.grouped(("service", "method", "endpoint"), limit=None)
    # The next refresh, a few minutes on: new watermarks, a new version of the open buckets.
    monkeypatch.setattr(
        refresher, "NOW_MINUTE_SQL", "SELECT date_trunc('minute', clock_timestamp()) + interval '3 minutes'"
    )
    refresher.refresh()
    replanned = MetricsReader(scope, tuple(traffic.keys.values()))
    assert replanned.open_until > planned.open_until
    assert planned.grouped(("service", "method", "endpoint"), limit=None) == before
    assert replanned.grouped(("service", "method", "endpoint"), limit=None) == before


def test_a_refresh_summarises_the_raw_tables_new_block_ranges(apache_edition, user, tenant):
    # Unsummarised BRIN ranges match every query, so reads of the newest minutes would scan them all.
    model = services_and_model(tenant, seed=13)
    hour = utc_now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    Request.objects.ingest(as_rows(model.records(30_000, hour + timedelta(minutes=5), hour + timedelta(minutes=15))))
    with connection.cursor() as cursor:
        cursor.execute("SELECT sum(pg_relation_size(chunk)) / 8192 FROM show_chunks('requests') AS chunk")
        assert cursor.fetchone()[0] > 3 * 128, "several complete block ranges"
        refresher.refresh()
        cursor.execute(refresher.SUMMARIZE_RAW_SQL)
        assert cursor.fetchone()[0] == 0
