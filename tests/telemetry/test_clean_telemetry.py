"""clean_telemetry (run after every transactional test) leaves no telemetry and no refresh state behind."""

from datetime import datetime, timedelta

import pytest
from django.db import connection

from telemetry.edition import has_continuous_aggregates
from telemetry.models import Request
from telemetry.rollups.catalog import LEVELS, OPEN_MATERIALISATIONS, relations
from telemetry.traffic import TrafficModel, as_rows
from tests.conftest import refresh_rollups, utc_now
from tests.telemetry.helpers import clean_telemetry

# Committed rows and a real refresh, on either edition.
pytestmark = pytest.mark.django_db(transaction=True)

EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")
CAGG_WATERMARKS_SQL = (
    "SELECT _timescaledb_functions.cagg_watermark(mat_hypertable_id) FROM _timescaledb_catalog.continuous_agg"
)


def count(relation: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {relation}")
        return cursor.fetchone()[0]


def rollup_relations() -> list[str]:
    names = [materialisation.relation(level) for level, materialisation in relations()]
    if not has_continuous_aggregates():
        names += [materialisation.open_relation() for materialisation in OPEN_MATERIALISATIONS]
    return names


def refresh_state() -> list[tuple]:
    with connection.cursor() as cursor:
        if has_continuous_aggregates():
            cursor.execute(CAGG_WATERMARKS_SQL)
        else:
            cursor.execute("SELECT level, watermark, open_until FROM malti_refresh_state ORDER BY level")
        return cursor.fetchall()


@pytest.fixture
def refreshed():
    """Three hours of traffic, rolled up: rollups, open buckets and watermarks all hold something."""
    model = TrafficModel(services=["checkout"], endpoints_per_service=3, consumers=3, seed=5)
    now = utc_now()
    Request.objects.ingest(as_rows(model.records(600, now - timedelta(hours=3), now - timedelta(minutes=2))))
    refresh_rollups()
    Request.objects.ingest(as_rows(model.records(10, now - timedelta(minutes=1), now)))  # logged, not yet refreshed
    assert any(count(relation) for relation in rollup_relations())


def test_it_empties_the_raw_table_every_rollup_and_every_open_bucket(refreshed):
    clean_telemetry()
    assert count("requests") == 0
    assert {relation: count(relation) for relation in rollup_relations()} == dict.fromkeys(rollup_relations(), 0)


def test_it_resets_the_refresh_state(refreshed):
    before = refresh_state()
    clean_telemetry()
    assert refresh_state() != before
    if has_continuous_aggregates():
        watermarks = {row[0] for row in refresh_state()}
        assert len(watermarks) == 1 and watermarks.pop() < 0  # before any data: the lowest time there is
    else:
        assert refresh_state() == [(level.name, EPOCH, None) for level in sorted(LEVELS, key=lambda lv: lv.name)]
        assert count("malti_dirty_minutes") == 0 and count("malti_dirty_buckets") == 0


def test_it_keeps_django_s_own_tables_and_migration_history():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations")
        migrations = cursor.fetchone()[0]
    clean_telemetry()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations")
        assert cursor.fetchone()[0] == migrations > 0
