from datetime import timedelta

import pytest

from telemetry.models import Request
from telemetry.rollups import refresher
from tests.conftest import edition_is_community, refresh_rollups, utc_now


def send(service, latencies, at, *, status=200, endpoint="/orders", method="GET"):
    """Store one request per latency (ms) for the service, at `at`, as ingest stores them."""
    rows = [(service.telemetry_key, "node-1", method, at, endpoint, "web", status, ms, "web-app") for ms in latencies]
    Request.objects.ingest(rows)
    return len(rows)


def materialise(start, end):
    """Roll the stored rows up (Apache: Malti's refresher, told about old minutes; community: real-time aggregates)."""
    if not edition_is_community():
        refresher.mark_dirty(start, end)
    refresh_rollups()


@pytest.fixture
def now():
    return utc_now()


@pytest.fixture
def recently(now):
    """A moment inside the last hour's 1-minute buckets, away from the bucket edges."""
    return now - timedelta(minutes=20)
