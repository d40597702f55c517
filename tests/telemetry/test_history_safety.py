"""History is never deleted by a refresh or by retention, and a failing refresh does not stop the others."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from telemetry.models import Request
from telemetry.rollups import refresher
from telemetry.rollups.catalog import LEVELS
from telemetry.traffic import TrafficModel, as_rows
from tests.conftest import edition_is_community, refresh_rollups, utc_now
from tests.telemetry.helpers import raw_count

pytestmark = pytest.mark.django_db


@pytest.fixture
def community_edition(db):
    if not edition_is_community():
        pytest.skip("continuous aggregates and Malti's retention job exist on the community edition only")


def ingest(count, start, end, seed=1, **model):
    Request.objects.ingest(as_rows(TrafficModel(services=["checkout"], seed=seed, **model).records(count, start, end)))


def total(relation, start=None, end=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT coalesce(sum(request_count), 0) FROM {relation} "
            "WHERE bucket >= coalesce(%s::timestamptz, '-infinity') AND bucket < coalesce(%s::timestamptz, 'infinity')",
            [start, end],
        )
        return cursor.fetchone()[0]


def command(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_recomputing_a_range_whose_raw_rows_are_gone_keeps_every_coarser_rollup(apache_edition, service):
    day = (utc_now() - timedelta(days=10)).replace(hour=0, minute=0, second=0, microsecond=0)
    ingest(120, day + timedelta(hours=10), day + timedelta(hours=11))
    ingest(30, utc_now() - timedelta(minutes=30), utc_now() - timedelta(minutes=2), seed=2)
    refresh_rollups()
    command("retention", "apply")  # raw keeps 6 hours, 1min 7 days: that day is now only in 5min and coarser
    assert raw_count() == 30 and total("requests_1min", day, day + timedelta(days=1)) == 0

    out = command("refresh_rollups", "--start", day.isoformat(), "--end", (day + timedelta(days=1)).isoformat())

    assert "kept 1min" in out and "as it was" in out
    for level in ("5min", "1hour", "6hour", "1day"):
        assert total(f"requests_{level}", day, day + timedelta(days=1)) == 120, level
        assert total(f"requests_consumer_{level}", day, day + timedelta(days=1)) == 120, level


@pytest.mark.django_db(transaction=True)
def test_refreshing_a_continuous_aggregate_where_raw_rows_are_gone_keeps_its_rows(community_edition, service):
    hour = (utc_now() - timedelta(hours=10)).replace(minute=0, second=0, microsecond=0)
    ingest(80, hour + timedelta(minutes=5), hour + timedelta(minutes=50))
    ingest(20, utc_now() - timedelta(minutes=30), utc_now() - timedelta(minutes=5), seed=2)
    refresh_rollups()
    command("retention", "apply")
    assert raw_count() == 20 and total("requests_1min", hour, hour + timedelta(hours=1)) == 80

    out = command(
        "refresh_rollups", "--start", (hour - timedelta(hours=1)).isoformat(), "--end", utc_now().isoformat()
    )
    refresh_rollups()  # and over everything

    assert "kept 1min" in out and "as it was" in out
    for level in ("1min", "5min"):
        assert total(f"requests_{level}", hour, hour + timedelta(hours=1)) == 80, level
        assert total(f"requests_endpoint_{level}", hour, hour + timedelta(hours=1)) == 80, level


def test_retention_keeps_raw_chunks_the_refresher_has_not_rolled_up(apache_edition, service):
    old = (utc_now() - timedelta(hours=30)).replace(minute=20, second=0, microsecond=0)
    ingest(50, old, old + timedelta(minutes=5))  # the refresher has stalled: nothing is rolled up

    out = command("retention", "apply")

    assert "Dropped 0 chunk(s)" in out and "Kept 1 chunk(s)" in out and "1 from raw" in out
    assert raw_count() == 50
    refresh_rollups()
    assert "Dropped 1 chunk(s)" in command("retention", "apply")
    assert raw_count() == 0 and total("requests_1min") == 50


def test_retention_keeps_a_finer_level_the_next_level_has_not_rolled_up(apache_edition, service):
    old = (utc_now() - timedelta(days=9)).replace(hour=3, minute=0, second=0, microsecond=0)
    ingest(40, old, old + timedelta(minutes=30))
    refresh_rollups()
    # The 5-minute buckets of that day are logged again, as a failed refresh would leave them.
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO malti_dirty_buckets (level, bucket) VALUES ('5min', %s)", [old])

    command("retention", "apply")

    assert total("requests_1min", old, old + timedelta(hours=1)) == 40
    refresher.refresh()
    command("retention", "apply")
    assert total("requests_1min", old, old + timedelta(hours=1)) == 0
    assert total("requests_5min", old, old + timedelta(hours=1)) == 40


@pytest.mark.django_db(transaction=True)
def test_the_community_retention_job_waits_for_the_continuous_aggregates(community_edition, service):
    hour = (utc_now() - timedelta(hours=10)).replace(minute=0, second=0, microsecond=0)
    ingest(60, hour + timedelta(minutes=5), hour + timedelta(minutes=40))  # not materialised yet
    ingest(20, utc_now() - timedelta(minutes=30), utc_now() - timedelta(minutes=5), seed=2)

    out = command("retention", "apply")

    assert "Kept" in out and raw_count() == 80
    refresh_rollups()
    command("retention", "apply")
    assert raw_count() == 20 and total("requests_1min", hour, hour + timedelta(hours=1)) == 60


def test_community_retention_is_malti_job_not_policies_and_follows_retention_set(community_edition):
    command("retention", "set", "5min", "30 days")
    with connection.cursor() as cursor:
        # (The request explorer's sample is not rolled up from anything: a plain policy keeps it.)
        cursor.execute(
            "SELECT count(*) FROM timescaledb_information.jobs "
            "WHERE proc_name = 'policy_retention' AND hypertable_name <> 'request_samples'"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT config->'drop_after' FROM timescaledb_information.jobs WHERE proc_name = 'malti_apply_retention'"
        )
        (drop_after,) = [json.loads(row[0]) for row in cursor.fetchall()]
    assert drop_after["public.requests_svc_5min"] == f"{30 * 86400} seconds"
    assert drop_after["public.requests"] == f"{6 * 3600} seconds"
    assert len(drop_after) == 1 + 6 * len(LEVELS)


@pytest.fixture
def poisoned_consumer_rollup(apache_edition):
    """A real database error in one materialisation: the 5-minute per-consumer table refuses a consumer."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE requests_consumer_5min ADD CONSTRAINT poison CHECK (consumer <> 'poison')")
    yield
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE requests_consumer_5min DROP CONSTRAINT IF EXISTS poison")


def test_a_failing_materialisation_does_not_stop_the_others_and_is_retried(poisoned_consumer_rollup, service, client):
    now = utc_now()
    ingest(60, now - timedelta(minutes=40), now - timedelta(minutes=10))
    poison = TrafficModel(services=["checkout"], seed=3).records(
        1, now - timedelta(minutes=35), now - timedelta(minutes=34)
    )
    Request.objects.ingest(as_rows([{**record, "consumer": "poison"} for record in poison]))

    report = refresher.refresh()

    assert list(report.failed) == ["requests_consumer_5min"]
    assert total("requests_1min") == raw_count() == 61
    assert total("requests_consumer_1min") == 61
    assert total("requests_svc_5min") > 0
    ready = client.get("/health/ready").json()
    assert ready["status"] == "degraded" and "5min" in ready["rollups_behind"] and "1min" not in ready["rollups_behind"]
    assert "5min" in command("retention", "show")

    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE requests_consumer_5min DROP CONSTRAINT poison")
    report = refresher.refresh()
    assert not report.failed
    marks = refresher.watermarks()
    assert total("requests_consumer_5min", None, marks["5min"]) == total("requests_svc_5min", None, marks["5min"])
    assert total("requests_consumer_5min") > 0
    assert client.get("/health/ready").json()["status"] == "ready"
