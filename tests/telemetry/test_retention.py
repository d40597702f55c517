from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from telemetry.models import Request, RetentionPolicy
from telemetry.traffic import TrafficModel, as_rows
from tests.conftest import post_batch, record, refresh_rollups, utc_now

pytestmark = pytest.mark.django_db


def retention(*args) -> str:
    out = StringIO()
    call_command("retention", *args, stdout=out)
    return out.getvalue()


def test_show_lists_every_level_with_its_policy(service):
    Request.objects.ingest(
        as_rows(TrafficModel(services=["checkout"], seed=1).records(20, utc_now() - timedelta(hours=1), utc_now()))
    )
    refresh_rollups()
    output = retention("show")
    for level, keep in (("raw", "6 hours"), ("1min", "7 days"), ("5min", "90 days"), ("1hour", "720 days")):
        assert level in output and keep in output
    assert "UTC" in output


@pytest.mark.django_db(transaction=True)
def test_set_stores_the_policy_and_a_late_record_it_allows_shows_in_the_metrics(api, service_api_key, user_api_key):
    assert "raw now keeps 12 hours" in retention("set", "raw", "12 hours")
    assert RetentionPolicy.objects.get(level="raw").keep_for == "12 hours"
    refresh_rollups()  # the rollups have been refreshed past the late record's minute before it arrives
    late = utc_now() - timedelta(hours=11)
    assert post_batch(api, service_api_key, [record(created_at=late.isoformat())]).status_code == 200
    refresh_rollups()
    params = {
        "start_time": (late - timedelta(hours=1)).isoformat(),
        "end_time": (late + timedelta(hours=1)).isoformat(),
    }
    body = api.get("/api/v1/metrics/aggregate", params, HTTP_X_API_KEY=user_api_key).json()
    assert sum(point["total_requests"] for point in body["time_series"]) == 1


def test_set_refuses_nonsense(db):
    with pytest.raises(CommandError, match="not a duration"):
        retention("set", "5min", "forever-ish")
    with pytest.raises(CommandError, match="at least"):
        retention("set", "raw", "10 minutes")


def test_apply_drops_whole_chunks_past_retention_and_dry_run_only_counts(apache_edition, service):
    # Rows 30 hours old, written straight to the table (ingest would refuse them).
    # Well inside one hour-long chunk.
    old = (utc_now() - timedelta(hours=30)).replace(minute=20, second=0, microsecond=0)
    Request.objects.ingest(
        as_rows(TrafficModel(services=["checkout"], seed=2).records(50, old, old + timedelta(minutes=5)))
    )
    Request.objects.ingest(
        as_rows(TrafficModel(services=["checkout"], seed=3).records(50, utc_now() - timedelta(minutes=5), utc_now()))
    )
    refresh_rollups()  # retention drops only what is rolled up
    assert "Would drop 1 chunk(s)" in retention("apply", "--dry-run")
    assert count_raw() == 100
    assert "Dropped 1 chunk(s)" in retention("apply")
    assert count_raw() == 50


def count_raw():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM requests")
        return cursor.fetchone()[0]
