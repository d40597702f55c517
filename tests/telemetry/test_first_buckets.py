"""A young install's first day and week reach every level, on both editions."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from telemetry.models import Request
from telemetry.rollups.catalog import relations
from telemetry.traffic import TrafficModel, as_rows
from tests.conftest import refresh_rollups, utc_now

pytestmark = pytest.mark.django_db(transaction=True)


def test_traffic_across_the_first_midnight_is_in_every_level():
    # A refresh that starts at the source's oldest chunk cut the first day in two: that bucket was never
    # materialised, yet the watermark moved past it (the 1-day level showed only the hours after midnight).
    call_command("retention", "set", "raw", "48 hours", stdout=StringIO())
    midnight = (utc_now() - timedelta(hours=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    model = TrafficModel(services=["checkout"], endpoints_per_service=3, consumers=4, seed=9)
    records = model.records(700, midnight - timedelta(hours=6), midnight + timedelta(minutes=30))
    Request.objects.ingest(as_rows(records))
    refresh_rollups()
    first_day = sum(record["created_at"] < midnight for record in records)
    with connection.cursor() as cursor:
        for level, materialisation in relations():
            if level.name == "1week":
                continue  # the week holding the data is still open
            name = materialisation.relation(level)
            cursor.execute(f"SELECT coalesce(sum(request_count), 0) FROM {name} WHERE bucket < %s", [midnight])
            assert cursor.fetchone()[0] == first_day, name
