"""Every record ingest acknowledges reaches every rollup level; one too old to roll up safely is refused."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from telemetry.edition import has_continuous_aggregates
from telemetry.models import Request
from telemetry.retention_cache import LATE_RECORD_MARGIN
from telemetry.rollups import refresher
from telemetry.rollups.catalog import relations
from telemetry.rollups.continuous import REFRESH_POLICY
from telemetry.traffic import TrafficModel, as_rows
from tests.conftest import post_batch, record, utc_now
from tests.telemetry.aggregate_cleanup import clean_aggregates  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("clean_aggregates")]

RAW_RETENTION = timedelta(hours=12)
# Each continuous aggregate's refresh-policy job, finest level first (as the scheduler would run them).
POLICY_JOBS_SQL = """
SELECT job.job_id FROM timescaledb_information.continuous_aggregates AS cagg
JOIN timescaledb_information.jobs AS job ON job.proc_name = 'policy_refresh_continuous_aggregate'
    AND job.hypertable_schema = cagg.materialization_hypertable_schema
    AND job.hypertable_name = cagg.materialization_hypertable_name
WHERE cagg.view_name = %s
"""


def run_refresh_policies():
    """What the refreshers do on their own: the policies' windows (community), the worker's pass (Apache)."""
    if not has_continuous_aggregates():
        refresher.refresh()
        return
    with connection.cursor() as cursor:
        for level, materialisation in relations():
            cursor.execute(POLICY_JOBS_SQL, [materialisation.relation(level)])
            (job_id,) = cursor.fetchone()
            cursor.execute("CALL run_job(%s)", [job_id])


CLOSED_BUCKET_SQL = (
    "SELECT time_bucket(%(width)s::interval, %(moment)s::timestamptz), "
    "time_bucket(%(width)s::interval, %(moment)s::timestamptz) + %(width)s::interval "
    "<= date_trunc('minute', now()) - %(end_offset)s::interval"
)


def mismatches(moment) -> dict[str, tuple[int, int]]:
    """Relations whose bucket holding `moment` differs from the raw rows (Apache: complete buckets only)."""
    found = {}
    with connection.cursor() as cursor:
        for level, materialisation in relations():
            relation = materialisation.relation(level)
            # Buckets a refresh has closed: the Apache refresher keeps open ones apart (test_rollups); a
            # policy materialises buckets ending before its end offset, real-time aggregation the newer ones.
            end_offset = REFRESH_POLICY[level.name][1] if has_continuous_aggregates() else "0"
            cursor.execute(CLOSED_BUCKET_SQL, {"width": level.interval, "moment": moment, "end_offset": end_offset})
            bucket, closed = cursor.fetchone()
            if not closed:
                continue
            cursor.execute(f"SELECT coalesce(sum(request_count), 0) FROM {relation} WHERE bucket = %s", [bucket])
            stored = cursor.fetchone()[0]
            cursor.execute(
                "SELECT count(*) FROM requests WHERE created_at >= %s AND created_at < %s",
                [bucket, bucket + level.width],
            )
            raw = cursor.fetchone()[0]
            if stored != raw or not raw:
                found[relation] = (stored, raw)
    return found


def test_a_record_just_inside_the_ingest_window_reaches_every_level(api, service_api_key):
    call_command("retention", "set", "raw", "12 hours", stdout=StringIO())
    now = utc_now()
    # Materialised as the refreshers do on their own: a late record is seen only if a refresh goes back for it.
    Request.objects.ingest(
        as_rows(TrafficModel(services=["checkout"], seed=8).records(20, now - timedelta(hours=2), now))
    )
    run_refresh_policies()
    oldest = now - RAW_RETENTION + LATE_RECORD_MARGIN
    late = oldest + timedelta(minutes=1)
    assert post_batch(api, service_api_key, [record(created_at=late.isoformat())]).status_code == 200
    run_refresh_policies()
    assert mismatches(late) == {}


def test_a_record_just_outside_the_ingest_window_is_refused_saying_why(api, service_api_key):
    call_command("retention", "set", "raw", "12 hours", stdout=StringIO())
    too_old = utc_now() - RAW_RETENTION + LATE_RECORD_MARGIN - timedelta(minutes=1)
    response = post_batch(api, service_api_key, [record(created_at=too_old.isoformat())])
    assert response.status_code == 422  # a record that cannot be stored as sent
    assert "older than the raw retention window" in response.json()["detail"]
    assert response.json()["field"] == "created_at"


def test_raw_retention_sets_the_refresh_windows(community_edition):
    call_command("retention", "set", "raw", "12 hours", stdout=StringIO())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT (config->>'start_offset')::interval FROM timescaledb_information.jobs "
            "JOIN timescaledb_information.continuous_aggregates AS cagg ON jobs.hypertable_name = "
            "cagg.materialization_hypertable_name WHERE cagg.view_name LIKE 'requests%%1min'"
        )
        assert cursor.fetchall() == [(RAW_RETENTION,)]


@pytest.fixture
def community_edition(db):
    if not has_continuous_aggregates():
        pytest.skip("refresh policies exist on the community edition only")
