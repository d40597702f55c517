"""What each level still holds, and how far behind its schedule it is, on both editions.

Retention drops whole chunks, oldest first, so a relation holds every row
from the start of its oldest chunk on: a range before that can no longer be
rebuilt from it. A level is behind by the time between where its complete
buckets should reach by now (the refresh interval allowed for) and where
they do reach (the Apache refresher's watermark, a continuous aggregate's).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection

from malti_site import clock
from telemetry.edition import has_continuous_aggregates
from telemetry.rollups.catalog import LEVELS, MATERIALISATIONS, Level

RAW = "requests"
# A continuous aggregate's rows live in its materialisation hypertable. Read
# from TimescaleDB's catalog: the timescaledb_information.chunks view computes
# every chunk's details and took tens of seconds with a few thousand chunks.
# These hypertables have one dimension (time), so each chunk has one slice.
OLDEST_CHUNKS_SQL = """
SELECT relation.name, _timescaledb_functions.to_timestamp(min(slice.range_start))
FROM unnest(%s::text[]) AS relation(name)
LEFT JOIN timescaledb_information.continuous_aggregates AS cagg
    ON cagg.view_schema = current_schema() AND cagg.view_name = relation.name
LEFT JOIN _timescaledb_catalog.hypertable AS hypertable
    ON hypertable.schema_name = coalesce(cagg.materialization_hypertable_schema, current_schema())
    AND hypertable.table_name = coalesce(cagg.materialization_hypertable_name, relation.name)
LEFT JOIN _timescaledb_catalog.chunk AS chunk ON chunk.hypertable_id = hypertable.id AND NOT chunk.dropped
LEFT JOIN _timescaledb_catalog.chunk_constraint AS bound
    ON bound.chunk_id = chunk.id AND bound.dimension_slice_id IS NOT NULL
LEFT JOIN _timescaledb_catalog.dimension_slice AS slice ON slice.id = bound.dimension_slice_id
GROUP BY relation.name
"""
# Apache: complete buckets should reach the last refresh's minute (one refresh interval ago).
APACHE_PROGRESS_SQL = """
SELECT level.name, state.watermark,
       greatest(interval '0', time_bucket(level.width, now() - %s::interval) - state.watermark)
FROM unnest(%s::text[], %s::interval[]) AS level(name, width)
JOIN malti_refresh_state AS state ON state.level = level.name
"""
# Community: a refresh policy materialises up to end_offset before its last run.
COMMUNITY_PROGRESS_SQL = """
SELECT view.name, mark.watermark,
       greatest(interval '0', time_bucket(
           view.width,
           now() - coalesce((job.config->>'end_offset')::interval, view.width)
           - coalesce(job.schedule_interval, interval '0')
       ) - mark.watermark)
FROM unnest(%s::text[], %s::interval[]) AS view(name, width)
JOIN _timescaledb_catalog.continuous_agg AS cagg
    ON cagg.user_view_schema = current_schema() AND cagg.user_view_name = view.name
CROSS JOIN LATERAL (
    SELECT CASE WHEN moment >= 'epoch' THEN moment END AS watermark  -- before any refresh: the earliest time
    FROM _timescaledb_functions.to_timestamp(_timescaledb_functions.cagg_watermark(cagg.mat_hypertable_id)) AS moment
) AS mark
LEFT JOIN timescaledb_information.jobs AS job
    ON job.proc_name = 'policy_refresh_continuous_aggregate'
    AND (job.config->>'mat_hypertable_id')::integer = cagg.mat_hypertable_id
"""


def relations_of(level: Level | None) -> list[str]:
    """The relations of a level; None is the raw table."""
    return [RAW] if level is None else [m.relation(level) for m in MATERIALISATIONS]


def held_from(cursor, relations: list[str]) -> datetime | None:
    """From when on every one of `relations` holds all its rows; None when one holds none."""
    cursor.execute(OLDEST_CHUNKS_SQL, [relations])
    oldest = [row[1] for row in cursor.fetchall()]
    if not oldest or None in oldest:
        return None
    return max(oldest)


def source_holds_from(cursor, source: Level | None) -> datetime:
    """From when on a level's source (None: raw) holds every row it ever had.

    Retention drops whole chunks past the level's horizon, oldest first: the
    oldest chunk left, or the horizon, whichever is earlier. (The chunk alone
    is not enough: on a young install it starts inside the first day or week,
    which would then never be rolled up.) History imported from an original
    Malti's aggregates sets a floor: before it, the coarser levels hold what
    this one never had (HistoryImport.objects.level_floors).
    """
    from telemetry.models import HistoryImport, RetentionPolicy

    horizon = clock.now() - RetentionPolicy.objects.durations()["raw" if source is None else source.name]
    oldest = held_from(cursor, relations_of(source))
    held = horizon if oldest is None else min(oldest, horizon)
    floor = HistoryImport.objects.level_floors().get(source.name) if source is not None else None
    return held if floor is None else max(held, floor)


@dataclass
class LevelProgress:
    level: str
    watermark: datetime | None  # complete buckets reach this far (the oldest of its materialisations)
    behind: timedelta | None  # None: never materialised yet


def progress(cursor=None) -> list[LevelProgress]:
    """How far each level's complete buckets reach, and how far behind schedule that is."""
    if cursor is None:
        with connection.cursor() as cursor:
            return progress(cursor)
    if has_continuous_aggregates():
        levels = [(level, m.relation(level)) for level in LEVELS for m in MATERIALISATIONS]
        names = [name for _, name in levels]
        cursor.execute(COMMUNITY_PROGRESS_SQL, [names, [level.interval for level, _ in levels]])
        level_of = {name: level.name for level, name in levels}
    else:
        slack = f"{60 + settings.MALTI_REFRESH_EVERY} seconds"
        cursor.execute(APACHE_PROGRESS_SQL, [slack, [level.name for level in LEVELS], [lv.interval for lv in LEVELS]])
        level_of = {level.name: level.name for level in LEVELS}
    rows = {level.name: [] for level in LEVELS}
    for name, watermark, behind in cursor.fetchall():
        rows[level_of[name]].append((watermark, behind))
    reports = []
    for level, marks in rows.items():
        if not marks or any(watermark is None for watermark, _ in marks):
            reports.append(LevelProgress(level, None, None))
        else:
            reports.append(LevelProgress(level, min(m for m, _ in marks), max(b for _, b in marks)))
    return reports
