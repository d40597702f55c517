"""Community edition: chunks past MALTI_COMPRESS_AFTER compress, and reads, late records and rebuilds still work."""

from datetime import timedelta

import pytest
from django.db import connection

from telemetry import compression, rollups
from telemetry.models import Request
from telemetry.models.retention import CHAIN
from telemetry.retention import relations_of
from telemetry.traffic import TrafficModel, as_rows
from tests.conftest import edition_is_community, post_batch, record, refresh_rollups, utc_now
from tests.telemetry.aggregate_cleanup import clean_aggregates  # noqa: F401 (fixture)
from tests.telemetry.helpers import pause_background_jobs

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("clean_aggregates")]

RAW_COUNT_SQL = "SELECT count(*) FROM requests WHERE created_at >= %s AND created_at < %s"
BUSIEST_SQL = (
    "SELECT {dimension} FROM requests WHERE created_at >= %s AND created_at < %s GROUP BY 1 ORDER BY count(*) DESC "
    "LIMIT 1"
)
CHUNK_COMPRESSED_SQL = (
    "SELECT bool_and(is_compressed) FROM timescaledb_information.chunks "
    "WHERE hypertable_name = 'requests' AND range_start <= %s AND range_end > %s"
)


@pytest.fixture
def compress_after(settings):
    """Set MALTI_COMPRESS_AFTER and sync the policies; afterwards the default's policies again, paused."""
    if not edition_is_community():
        pytest.skip("the Apache edition of TimescaleDB does not compress")
    default = settings.MALTI_COMPRESS_AFTER

    def use(text):
        settings.MALTI_COMPRESS_AFTER = text
        compression.sync_policies()

    yield use
    settings.MALTI_COMPRESS_AFTER = default
    compression.sync_policies()
    pause_background_jobs()  # a policy added anew is scheduled


@pytest.fixture
def old_traffic(service):
    """300 records of `service` 40 days ago (written straight to the table: ingest would refuse them), rolled up."""
    start = (utc_now() - timedelta(days=40)).replace(minute=0, second=0, microsecond=0)
    Request.objects.ingest(
        as_rows(TrafficModel(services=[service.telemetry_key], seed=7).records(300, start, start + timedelta(hours=2)))
    )
    refresh_rollups()
    return start, start + timedelta(hours=2)


def metrics(api, user_api_key, start, end, **filters) -> dict:
    params = {"start_time": start.isoformat(), "end_time": end.isoformat(), **filters}
    response = api.get("/api/v1/metrics/aggregate", params, HTTP_X_API_KEY=user_api_key)
    assert response.status_code == 200
    return response.json()


def reads(api, user_api_key, start, end) -> dict[str, dict]:
    """The range read whole, by its busiest endpoint and consumer, and a week from its start."""
    with connection.cursor() as cursor:
        cursor.execute(BUSIEST_SQL.format(dimension="endpoint"), [start, end])
        (endpoint,) = cursor.fetchone()
        cursor.execute(BUSIEST_SQL.format(dimension="consumer"), [start, end])
        (consumer,) = cursor.fetchone()
    return {
        "all": metrics(api, user_api_key, start, end),
        "endpoint": metrics(api, user_api_key, start, end, endpoint=endpoint),
        "consumer": metrics(api, user_api_key, start, end, consumer=consumer),
        "week": metrics(api, user_api_key, start, start + timedelta(days=7)),
    }


def total_requests(body) -> int:
    return sum(point["total_requests"] for point in body["time_series"])


def compressed_chunks() -> dict[str, int]:
    with connection.cursor() as cursor:
        return {level: compression.stats(cursor, relations_of(level)).compressed_chunks for level in CHAIN}


def test_policies_follow_the_setting_and_wait_past_each_refresh_window(compress_after):
    compress_after("1 day")
    with connection.cursor() as cursor:
        ages = {relation: age for relation, (_, age) in compression.policies(cursor).items()}
    assert set(ages) == set(compression.relations())
    assert ages["requests"] == ages["requests_endpoint_1min"] == timedelta(days=1)
    # The 1-hour level's refresh window reaches raw retention (6 hours) + 42 hours back, plus a bucket.
    assert ages["requests_1hour"] == timedelta(hours=49)
    assert compression.sync_policies() == 0
    compress_after("0")
    with connection.cursor() as cursor:
        assert compression.policies(cursor) == {}


def test_chunks_past_the_setting_compress_and_the_metrics_read_the_same(compress_after, old_traffic, api, user_api_key):
    start, end = old_traffic
    before = reads(api, user_api_key, start, end)
    assert total_requests(before["all"]) == 300 and total_requests(before["endpoint"]) > 0
    assert not any(compressed_chunks().values())
    compress_after("1 day")
    compression.compress_now()
    compressed = compressed_chunks()
    # The week's policy waits four weeks: its 2-year chunk is not past that.
    assert all(compressed[level] for level in ("raw", "1min", "5min", "1hour")), compressed
    assert reads(api, user_api_key, start, end) == before


def test_a_rebuild_over_compressed_rollups_takes_in_rows_added_there(
    compress_after, old_traffic, service, api, user_api_key
):
    start, end = old_traffic
    compress_after("1 day")
    compression.compress_now()
    assert compressed_chunks()["5min"]
    # 50 more records in the compressed raw range (as import_malti_data adds history), then a rebuild over it.
    Request.objects.ingest(
        as_rows(TrafficModel(services=[service.telemetry_key], seed=8).records(50, start, start + timedelta(hours=1)))
    )
    rollups.refresh(window=(start, end))
    with connection.cursor() as cursor:
        cursor.execute(RAW_COUNT_SQL, [start, end])
        assert cursor.fetchone()[0] == 350
    assert total_requests(metrics(api, user_api_key, start, end)) == 350
    assert total_requests(metrics(api, user_api_key, start, start + timedelta(days=7))) == 350


def test_a_late_record_into_a_compressed_raw_chunk_reaches_the_metrics(
    compress_after, service, api, service_api_key, user_api_key
):
    moment = (utc_now() - timedelta(hours=3)).replace(minute=20, second=0, microsecond=0)
    Request.objects.ingest(
        as_rows(
            TrafficModel(services=[service.telemetry_key], seed=9).records(40, moment, moment + timedelta(minutes=5))
        )
    )
    refresh_rollups()
    compress_after("1 hour")
    compression.compress_now()
    with connection.cursor() as cursor:
        cursor.execute(CHUNK_COMPRESSED_SQL, [moment, moment])
        assert cursor.fetchone()[0] is True
    late = moment + timedelta(minutes=1)
    assert post_batch(api, service_api_key, [record(created_at=late.isoformat())]).status_code == 200
    refresh_rollups()
    body = metrics(api, user_api_key, moment - timedelta(minutes=30), moment + timedelta(minutes=30))
    assert total_requests(body) == 41
