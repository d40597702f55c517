from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from telemetry.models import Request, RetentionPolicy
from telemetry.traffic import TrafficModel, as_rows
from tests.conftest import edition_is_community, post_batch, record, refresh_rollups, utc_now

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


def test_set_stores_the_policy_and_ingest_follows_it(api, service_api_key):
    assert "raw now keeps 12 hours" in retention("set", "raw", "12 hours")
    assert RetentionPolicy.objects.get(level="raw").keep_for == "12 hours"
    eleven_hours_ago = (utc_now() - timedelta(hours=11)).isoformat()
    assert post_batch(api, service_api_key, [record(created_at=eleven_hours_ago)]).status_code == 200


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
    assert "Would drop 1 chunk(s)" in retention("apply", "--dry-run")
    assert count_raw() == 100
    assert "Dropped 1 chunk(s)" in retention("apply")
    assert count_raw() == 50


def test_community_policies_follow_retention_set(db):
    if not edition_is_community():
        pytest.skip("TimescaleDB retention policies exist on the community edition only")
    retention("set", "5min", "30 days")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT (config->>'drop_after')::interval = interval '30 days' FROM timescaledb_information.jobs "
            "WHERE proc_name = 'policy_retention' AND hypertable_name LIKE '_materialized_hypertable_%%' "
            "AND hypertable_name IN (SELECT materialization_hypertable_name "
            "FROM timescaledb_information.continuous_aggregates WHERE view_name LIKE '%%5min')"
        )
        assert [row[0] for row in cursor.fetchall()] == [True]


def count_raw():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM requests")
        return cursor.fetchone()[0]
