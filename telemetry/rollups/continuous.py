"""Community edition: continuous aggregates, refreshed by hand or by their policies.

A policy refreshes [now - start_offset, now - end_offset]: a late record is
materialised only if its bucket is still inside that window when the policy
runs. Ingest accepts records up to raw retention less a margin
(retention_cache.ingest_max_age), so the 1-minute window is exactly raw
retention and each coarser window reaches further by the time its finer levels
take to pass a record on. Never further than the level below keeps: dropping
chunks logs their range as changed, and a refresh over it would recompute
those buckets from nothing, deleting them.
"""

import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection

from telemetry.rollups.catalog import LEVELS, finer, relations
from telemetry.rollups.progress import source_holds_from

log = logging.getLogger(__name__)

# CALL cannot run inside a transaction block; Django's autocommit cursor is fine.
REFRESH_SQL = "CALL refresh_continuous_aggregate(%s, %s::timestamptz, %s::timestamptz)"
# floor(end) is at least one bucket past ceil(start).
WHOLE_BUCKET_SQL = (
    "SELECT time_bucket(%(width)s::interval, %(end)s::timestamptz) >= "
    "time_bucket(%(width)s::interval, %(start)s::timestamptz - interval '1 microsecond') + 2 * %(width)s::interval"
)
REMOVE_REFRESH_POLICY_SQL = "SELECT remove_continuous_aggregate_policy(%s::regclass, if_exists => true)"
ADD_REFRESH_POLICY_SQL = (
    "SELECT add_continuous_aggregate_policy(%s::regclass, start_offset => %s::interval, "
    "end_offset => %s::interval, schedule_interval => %s::interval, if_not_exists => true)"
)

# Per level: (how far the window reaches beyond raw retention, end offset, schedule).
REFRESH_POLICY = {
    "1min": (timedelta(0), "1 minute", "1 minute"),
    "5min": (timedelta(hours=6), "5 minutes", "5 minutes"),
    "1hour": (timedelta(hours=42), "1 hour", "30 minutes"),
    "6hour": (timedelta(hours=66), "6 hours", "1 hour"),
    "1day": (timedelta(hours=90), "1 day", "1 hour"),
    "1week": (timedelta(hours=498), "7 days", "1 day"),
}


def refresh_continuous_aggregates(window=None) -> tuple[int, list[str]]:
    """Refresh every aggregate (over `window`); the count refreshed and what was skipped or failed."""
    start, end = window if window else (None, None)
    count, notes = 0, []
    with connection.cursor() as cursor:
        # Finest level first: coarser aggregates read the level below.
        for level, materialisation in relations():
            relation = materialisation.relation(level)
            # Refreshing a range its source no longer holds would delete the aggregate's rows there.
            held = source_holds_from(cursor, finer(level))
            if end is not None and end <= held:
                if window:
                    notes.append(f"skipped {relation} (its source no longer holds the range)")
                continue
            begin = held if start is None else max(start, held)
            if end is not None and not _holds_a_whole_bucket(cursor, level, begin, end):
                continue  # TimescaleDB refreshes whole buckets only
            if start is not None and start < held:
                notes.append(f"{relation} only from {held:%Y-%m-%d %H:%M} UTC (its source holds no older rows)")
            try:
                cursor.execute(REFRESH_SQL, [relation, begin, end])
            except DatabaseError as exc:
                log.error("refresh of continuous aggregate %s failed: %s", relation, exc)
                notes.append(f"FAILED {relation}: {str(exc).strip()}")
                continue
            count += 1
    return count, notes


def _holds_a_whole_bucket(cursor, level, start, end) -> bool:
    cursor.execute(WHOLE_BUCKET_SQL, {"width": level.interval, "start": start, "end": end})
    return cursor.fetchone()[0]


def start_offsets(durations: dict[str, timedelta]) -> dict[str, timedelta]:
    """Each level's policy start offset for these retentions; ValidationError if one would reach past its source's."""
    offsets = {}
    for level in LEVELS:
        offset = durations["raw"] + REFRESH_POLICY[level.name][0]
        source = finer(level)
        source_keeps = durations["raw" if source is None else source.name]
        if offset > source_keeps:
            raise ValidationError(
                f"{level.name} rollups are refreshed from the last {offset} of {source.name if source else 'raw'} "
                f"data, which keeps only {source_keeps}: keep it longer or raw data shorter."
            )
        offsets[level.name] = offset
    return offsets


def follow_retention():
    """Set every refresh policy's window for the current retention (after `retention set`)."""
    from telemetry.models import RetentionPolicy

    offsets = start_offsets(RetentionPolicy.objects.durations())
    with connection.cursor() as cursor:
        for level, materialisation in relations():
            relation = materialisation.relation(level)
            _, end, every = REFRESH_POLICY[level.name]
            cursor.execute(REMOVE_REFRESH_POLICY_SQL, [relation])
            cursor.execute(ADD_REFRESH_POLICY_SQL, [relation, offsets[level.name], end, every])
