"""Two refreshers at once, and refreshes during ingest, never double count."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from telemetry.models import Request
from telemetry.rollups import refresher
from telemetry.rollups.catalog import relations
from telemetry.traffic import TrafficModel, as_rows
from tests.conftest import utc_now

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def clean_tables(apache_edition):
    """Transactional tests are not rolled back, and the raw table and rollups are not Django-managed."""
    yield
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE requests, malti_dirty_minutes, malti_dirty_buckets")
        for level, materialisation in relations():
            cursor.execute(f"TRUNCATE {materialisation.relation(level)}")


def in_thread(target, errors):
    def run():
        try:
            target()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            connections.close_all()

    return threading.Thread(target=run)


def totals():
    """Per relation: the rollup's total, and the raw rows before its level's watermark."""
    marks = refresher.watermarks()
    sums = {}
    with connection.cursor() as cursor:
        for level, materialisation in relations():
            relation = materialisation.relation(level)
            cursor.execute(f"SELECT coalesce(sum(request_count), 0) FROM {relation}")
            total = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM requests WHERE created_at < %s", [marks[level.name]])
            sums[relation] = (total, cursor.fetchone()[0])
    return sums


def test_concurrent_refreshers_and_ingest_never_double_count(clean_tables):
    model = TrafficModel(services=["checkout"], endpoints_per_service=5, consumers=8, seed=9)
    now = utc_now()
    errors = []

    def ingest():
        # Batches from 15 days ago to 19 hours ago: every level has complete buckets to check.
        for i in range(12):
            start = now - timedelta(days=15) + i * timedelta(hours=31)
            Request.objects.ingest(as_rows(model.records(200, start, start + timedelta(minutes=7))))

    def refresh_repeatedly():
        for _ in range(6):
            refresher.refresh()

    threads = [in_thread(ingest, errors), in_thread(refresh_repeatedly, errors), in_thread(refresh_repeatedly, errors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    refresher.refresh()
    # Every relation holds exactly the raw rows before its level's watermark:
    # no minute counted twice, none left out, at every level.
    for relation, (total, raw) in totals().items():
        assert raw > 0 and total == raw, relation
