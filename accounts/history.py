"""How much telemetry is stored under a service's key: what deleting the service takes out of sight."""

from datetime import UTC, datetime, timedelta

from malti_site import clock
from telemetry.rollups.catalog import LEVELS
from telemetry.rollups.query import MetricsReader, Scope, ceil_to, floor_to

# Every stored record lies between these: the epoch, and a day past now
# (ingest accepts created_at a few minutes ahead).
FIRST_WEEK = floor_to(datetime(1970, 1, 1, tzinfo=UTC), LEVELS[-1])
AHEAD = timedelta(days=1)


def request_counts(keys: list[str]) -> dict[str, int]:
    """Requests stored per telemetry key, counted as the metrics count them.

    One statement on the per-service rollup: whole weeks (on the community
    edition, the real-time 1-week aggregate holds everything), then on the
    Apache edition the open buckets and the raw rows not yet rolled up.
    """
    if not keys:
        return {}
    coarsest = LEVELS[-1]
    scope = Scope(start=FIRST_WEEK, end=ceil_to(clock.now() + AHEAD, coarsest), level=coarsest, filters={})
    rows = MetricsReader(scope, tuple(keys)).counts(("service",))
    return {row["service"]: row["count"] for row in rows}
