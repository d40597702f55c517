"""Malti's own incremental refresher for the Apache edition.

Ingest logs the minutes it touched (malti_dirty_minutes). A refresh, in one
transaction under an advisory lock:
  1. takes the logged minutes before the current minute and recomputes those
     1-minute buckets from raw rows (delete, then insert: recomputing is
     idempotent, so a minute seen twice is never counted twice);
  2. for each coarser level, recomputes the buckets that are complete (before
     the level's new watermark) and were touched, from the level below;
  3. moves each level's watermark: level L then holds every complete bucket
     before it. Queries read newer data from finer levels and raw rows;
  4. writes a new version of each level's open bucket, [watermark, horizon),
     summed from the level below and its open bucket (catalog.open_relation),
     so a range ending now reads one open bucket per level it uses.
Before step 1 it summarises the raw table's new BRIN block ranges: autovacuum
does that only on its next pass, and until then every read of the newest
minutes (this refresh's, and each query's raw tail) scans all of those pages.
Late and out-of-order records only log an older minute, which the next
refresh recomputes. A second refresher waits on the lock; a killed one rolls
back, leaving the log for the next run.

Recomputing deletes a bucket before it inserts it again, so a bucket is
recomputed only while its source (raw rows, or the level below) still holds
it: retention may have dropped the source, and its rows could not be rebuilt.
Those buckets are skipped and reported; coarser levels still recompute them
from a level that holds them. Each materialisation is recomputed in its own
savepoint: one that fails is logged, its buckets stay in the log for the next
refresh, and its level's watermark (and every coarser one) stops before them,
so queries read them from finer levels meanwhile; the others go on.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import DatabaseError, connection, transaction

from telemetry.rollups.catalog import (
    LEVELS,
    MATERIALISATIONS,
    MEASURES,
    OPEN_MATERIALISATIONS,
    Level,
    finer,
    select_sql,
)
from telemetry.rollups.progress import source_holds_from

log = logging.getLogger(__name__)

ADVISORY_LOCK_KEY = 0x6D616C7469  # "malti"
LOCK_SQL = "SELECT pg_advisory_xact_lock(%s)"
# clock_timestamp(), not now(): the refresh may run late in a long transaction.
NOW_MINUTE_SQL = "SELECT date_trunc('minute', clock_timestamp())"
SUMMARIZE_RAW_SQL = """
SELECT coalesce(sum(brin_summarize_new_values(brin.indexrelid)), 0)
FROM show_chunks('requests') AS chunk
JOIN pg_index AS brin ON brin.indrelid = chunk
JOIN pg_class AS index ON index.oid = brin.indexrelid
JOIN pg_am AS method ON method.oid = index.relam AND method.amname = 'brin'
WHERE pg_has_role(index.relowner, 'USAGE')  -- the function is the owner's to call
"""
TAKE_DIRTY_MINUTES_SQL = "DELETE FROM malti_dirty_minutes WHERE bucket < %s RETURNING bucket"
TAKE_DIRTY_BUCKETS_SQL = "DELETE FROM malti_dirty_buckets WHERE level = %s AND bucket < %s RETURNING bucket"
MARK_DIRTY_MINUTES_SQL = (
    "INSERT INTO malti_dirty_minutes (bucket) "
    "SELECT generate_series(date_trunc('minute', %s::timestamptz), %s::timestamptz - interval '1 microsecond', "
    "interval '1 minute')"
)
MARK_DIRTY_BUCKETS_SQL = (
    "INSERT INTO malti_dirty_buckets (level, bucket) "
    "SELECT %s, time_bucket(%s::interval, b) FROM unnest(%s::timestamptz[]) b GROUP BY 2"
)
RELOG_DIRTY_MINUTES_SQL = "INSERT INTO malti_dirty_minutes (bucket) SELECT unnest(%s::timestamptz[])"
# Never backwards: a bucket that failed after the watermark passed it (a late
# record's) is read from this level, one late record short, until it succeeds.
WATERMARK_SQL = (
    "UPDATE malti_refresh_state SET watermark = greatest(watermark, time_bucket(%s::interval, %s::timestamptz)) "
    "WHERE level = %s RETURNING watermark"
)
READ_STATE_SQL = "SELECT level, watermark, open_until FROM malti_refresh_state"
OPEN_UNTIL_SQL = "UPDATE malti_refresh_state SET open_until = %s"
# Keep the versions a query planned a moment ago may still read: the previous
# one and any from the last five minutes. The current one is rewritten.
DELETE_OPEN_SQL = "DELETE FROM {relation} WHERE until < least(%s, %s::timestamptz - interval '5 minutes') OR until = %s"
# A level's open bucket: the complete buckets of the level below since the
# level's watermark, and the level below's own open bucket.
OPEN_SOURCE_SQL = (
    "(SELECT {columns} FROM {below} WHERE bucket >= %s AND bucket < %s "
    "UNION ALL SELECT {columns} FROM {below_open} WHERE until = %s AND level = %s) AS source"
)
OPEN_SOURCE_FROM_MINUTES_SQL = "(SELECT {columns} FROM {below} WHERE bucket >= %s AND bucket < %s) AS source"
INSERT_OPEN_SQL = "INSERT INTO {relation} SELECT %s, %s, rows.* FROM ({select}) AS rows"
DELETE_BUCKETS_SQL = "DELETE FROM {relation} WHERE bucket >= %s AND bucket < %s"
INSERT_BUCKETS_SQL = "INSERT INTO {relation} {select}"


@dataclass
class RefreshReport:
    buckets: dict[str, int] = field(default_factory=dict)
    watermark: datetime | None = None
    # level -> (buckets, first, last) not recomputed: their source no longer holds them.
    skipped: dict[str, tuple[int, datetime, datetime]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # relation -> error, retried next refresh

    def __str__(self):
        done = ", ".join(f"{count} {level}" for level, count in self.buckets.items() if count) or "nothing new"
        text = f"refreshed {done}; complete up to {self.watermark:%Y-%m-%d %H:%M} UTC"
        for level, (count, first, last) in self.skipped.items():
            text += (
                f"; skipped {count} {level} bucket(s) from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC "
                f"(their source no longer holds them; kept as they were)"
            )
        if self.failed:
            text += f"; FAILED {', '.join(self.failed)} (kept in the log, retried next refresh)"
        return text


def _ranges(buckets: list[datetime], width) -> list[tuple[datetime, datetime]]:
    """Merge sorted bucket starts into contiguous [start, end) ranges."""
    ranges: list[list[datetime]] = []
    for bucket in sorted(set(buckets)):
        if ranges and ranges[-1][1] == bucket:
            ranges[-1][1] = bucket + width
        else:
            ranges.append([bucket, bucket + width])
    return [(start, end) for start, end in ranges]


def _recompute(cursor, level: Level, ranges, report: RefreshReport) -> bool:
    """Recompute `ranges` of every materialisation, each in a savepoint; False if one failed."""
    time_column = "created_at" if finer(level) is None else "bucket"
    ok = True
    for materialisation in MATERIALISATIONS:
        relation = materialisation.relation(level)
        select = select_sql(level, materialisation, where=f"WHERE {time_column} >= %s AND {time_column} < %s")
        try:
            with transaction.atomic():
                for start, end in ranges:
                    cursor.execute(DELETE_BUCKETS_SQL.format(relation=relation), [start, end])
                    cursor.execute(INSERT_BUCKETS_SQL.format(relation=relation, select=select), [start, end])
        except DatabaseError as exc:
            log.error("rollup refresh of %s failed, retrying next refresh: %s", relation, exc)
            report.failed[relation] = str(exc).strip()
            ok = False
    return ok


def _relog(cursor, level: Level, buckets: list[datetime]):
    """Put buckets that failed back in the log, for the next refresh."""
    if finer(level) is None:
        cursor.execute(RELOG_DIRTY_MINUTES_SQL, [buckets])
    else:
        cursor.execute(MARK_DIRTY_BUCKETS_SQL, [level.name, level.interval, buckets])


def _held(cursor, level: Level, touched: list[datetime], report: RefreshReport) -> list[datetime]:
    """The buckets whose source still holds them; the others are reported as skipped."""
    source = finer(level)
    start = source_holds_from(cursor, source)
    held = [bucket for bucket in touched if bucket >= start]
    skipped = [bucket for bucket in touched if bucket < start]
    if skipped:
        report.skipped[level.name] = (len(skipped), skipped[0], skipped[-1] + level.width)
        log.warning(
            "rollup refresh skipped %d %s bucket(s) from %s to %s: %s no longer holds them",
            len(skipped),
            level.name,
            skipped[0],
            skipped[-1] + level.width,
            "raw" if source is None else source.name,
        )
    return held


def _write_open_buckets(cursor, marks: dict, horizon: datetime, previous: datetime | None):
    for materialisation in OPEN_MATERIALISATIONS:
        relation = materialisation.open_relation()
        cursor.execute(DELETE_OPEN_SQL.format(relation=relation), [previous, horizon, horizon])
        columns = ", ".join(("bucket", *materialisation.dimensions, *MEASURES))
        for level in LEVELS[1:]:
            start, below = marks[level.name], finer(level)
            if start >= horizon:
                continue  # complete up to the horizon: nothing open
            below_relation = materialisation.relation(below)
            if below is LEVELS[0]:  # complete up to the horizon itself
                source = OPEN_SOURCE_FROM_MINUTES_SQL.format(columns=columns, below=below_relation)
                params = [start, horizon]
            else:
                source = OPEN_SOURCE_SQL.format(columns=columns, below=below_relation, below_open=relation)
                params = [start, marks[below.name], horizon, below.name]
            select = select_sql(level, materialisation, source=source)
            cursor.execute(INSERT_OPEN_SQL.format(relation=relation, select=select), [horizon, level.name, *params])
    cursor.execute(OPEN_UNTIL_SQL, [horizon])


def mark_dirty(start: datetime, end: datetime):
    """Have the next refresh recompute every minute in [start, end) from raw rows."""
    with connection.cursor() as cursor:
        cursor.execute(MARK_DIRTY_MINUTES_SQL, [start, end])


def refresh() -> RefreshReport:
    report = RefreshReport()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(LOCK_SQL, [ADVISORY_LOCK_KEY])
        cursor.execute(NOW_MINUTE_SQL)
        horizon = cursor.fetchone()[0]
        cursor.execute(SUMMARIZE_RAW_SQL)
        cursor.execute(TAKE_DIRTY_MINUTES_SQL, [horizon])
        touched = sorted({row[0] for row in cursor.fetchall()})
        new_minutes = bool(touched)
        complete_until = horizon  # how far every finer level is complete, after a failure
        for level in LEVELS:
            if finer(level) is not None:
                cursor.execute(TAKE_DIRTY_BUCKETS_SQL, [level.name, horizon])
                # Only complete buckets: those ending at or before the horizon.
                touched = sorted({row[0] for row in cursor.fetchall()})
                incomplete = [b for b in touched if b + level.width > horizon]
                touched = [b for b in touched if b + level.width <= horizon]
                if incomplete:
                    cursor.execute(MARK_DIRTY_BUCKETS_SQL, [level.name, level.interval, incomplete])
            held = _held(cursor, level, touched, report) if touched else []
            # Skipped buckets too: a coarser level may rebuild them from this one.
            propagate = touched
            if held and not _recompute(cursor, level, _ranges(held, level.width), report):
                _relog(cursor, level, held)
                complete_until = min(complete_until, held[0])
                propagate = sorted(set(touched) - set(held))
                held = []
            report.buckets[level.name] = len(held)
            coarser = LEVELS[LEVELS.index(level) + 1] if level is not LEVELS[-1] else None
            if coarser is not None and propagate:
                cursor.execute(MARK_DIRTY_BUCKETS_SQL, [coarser.name, coarser.interval, propagate])
            cursor.execute(WATERMARK_SQL, [level.interval, min(horizon, complete_until), level.name])
        marks, open_until = refresh_state(cursor)
        if new_minutes or open_until != horizon:
            try:
                with transaction.atomic():
                    _write_open_buckets(cursor, marks, horizon, previous=open_until)
            except DatabaseError as exc:
                # Without a complete version, queries must read the open part from finer levels.
                log.error("rollup refresh of the open buckets failed, retrying next refresh: %s", exc)
                report.failed["open buckets"] = str(exc).strip()
                cursor.execute(OPEN_UNTIL_SQL, [None])
        report.watermark = horizon
    log.debug("rollup refresh: %s", report)
    return report


def refresh_state(cursor=None) -> tuple[dict[str, datetime], datetime | None]:
    """Each level's watermark, and the `until` of the newest open buckets (None before any)."""
    if cursor is None:
        with connection.cursor() as cursor:
            return refresh_state(cursor)
    cursor.execute(READ_STATE_SQL)
    rows = cursor.fetchall()
    return {level: watermark for level, watermark, _ in rows}, max((row[2] for row in rows if row[2]), default=None)


def watermarks(cursor=None) -> dict[str, datetime]:
    return refresh_state(cursor)[0]
