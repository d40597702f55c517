"""The community edition's continuous aggregates after a refresh (hierarchical levels included)."""

from datetime import timedelta

import pytest
from django.db import connection

from telemetry import rollups
from telemetry.models import Request
from telemetry.rollups.catalog import relations
from telemetry.traffic import TrafficModel, as_rows
from tests.conftest import edition_is_community, utc_now

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def community(db):
    if not edition_is_community():
        pytest.skip("needs the TimescaleDB community edition (DATABASE_URL to a timescale-licensed server)")
    yield
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE requests")
    rollups.refresh()


def test_rollups_are_continuous_aggregates_with_policies(community):
    with connection.cursor() as cursor:
        cursor.execute("SELECT view_name FROM timescaledb_information.continuous_aggregates")
        views = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT proc_name, count(*) FROM timescaledb_information.jobs GROUP BY 1")
        jobs = dict(cursor.fetchall())
    assert views == {m.relation(level) for level, m in relations()}
    assert jobs["policy_refresh_continuous_aggregate"] == len(views)
    # No worker runs on this edition: TimescaleDB prunes the idempotency receipts (migration 0009).
    assert jobs["malti_prune_ingest_receipts"] == 1


def test_materialised_aggregates_equal_raw_rows(community):
    now = utc_now()
    model = TrafficModel(services=["checkout"], endpoints_per_service=5, consumers=6, seed=4)
    Request.objects.ingest(as_rows(model.records(2000, now - timedelta(hours=3), now - timedelta(minutes=5))))
    rollups.refresh()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM requests")
        raw = cursor.fetchone()[0]
        for level, materialisation in relations():
            name = materialisation.relation(level)
            cursor.execute(f"SELECT coalesce(sum(request_count), 0) FROM {name}")
            total = cursor.fetchone()[0]
            assert total == raw, name
