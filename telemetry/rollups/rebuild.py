"""Rebuild a range of the rollups set-wise: each relation in one statement per slice.

Used by `refresh_rollups --start/--end` and by `import_malti_data`. For each
level, finest first, and each materialisation: delete the range's buckets, then
insert them again aggregated from the level below (raw rows for 1 minute), one
DELETE and one INSERT … SELECT per slice of the range. A slice is a day of
1-minute and 5-minute buckets and four weeks of the coarser ones, so one
statement's hash table stays in memory (`MALTI_REBUILD_WORK_MEM`) and the
command can show progress — rather than a month in one statement spilling to
disk, or one statement per bucket.

Both editions keep the same relations. On the community edition the rows are
written into each continuous aggregate's materialisation hypertable, under a
lock that makes TimescaleDB's own refresh of that aggregate wait; on the
Apache edition under the refresher's advisory lock. A level is rebuilt only
where its source still holds the range (progress.source_holds_from): before
that it is kept as it is and the range is reported as skipped.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.db import connection, transaction

from telemetry.edition import has_continuous_aggregates
from telemetry.rollups.catalog import FULL, LEVELS, MATERIALISATIONS, Level, finer, select_sql, source_of
from telemetry.rollups.progress import source_holds_from
from telemetry.rollups.query import ceil_to, floor_to
from telemetry.rollups.refresher import ADVISORY_LOCK_KEY, LOCK_SQL

log = logging.getLogger(__name__)

RAW = "requests"
WORK_MEM_SQL = "SELECT set_config('work_mem', %s, true)"
STORAGE_SQL = (
    "SELECT format('%%I.%%I', materialization_hypertable_schema, materialization_hypertable_name) "
    "FROM timescaledb_information.continuous_aggregates WHERE view_schema = current_schema() AND view_name = %s"
)
# TimescaleDB's refresh writes a materialisation with ROW EXCLUSIVE: this mode makes it wait (reads go on).
LOCK_STORAGE_SQL = "LOCK TABLE {storage} IN SHARE ROW EXCLUSIVE MODE"
DELETE_SQL = "DELETE FROM {storage} WHERE bucket >= %s AND bucket < %s{services}"
INSERT_SQL = "INSERT INTO {storage} {select}"
COUNT_SQL = "SELECT count(*) FROM {source} WHERE {time} >= %s AND {time} < %s{services}"
SERVICES_FILTER = " AND service = ANY(%s)"
# A temporary table (service, until) of the caller's: each service's rows only before its `until`.
UNTIL_TABLE = "malti_rebuild_until"
DELETE_UNTIL_SQL = (
    "DELETE FROM {storage} AS target USING " + UNTIL_TABLE + " AS cut "
    "WHERE target.service = cut.service AND target.bucket >= %s AND target.bucket < %s AND target.bucket < cut.until"
)
UNTIL_FILTER = (
    " AND {time} < (SELECT cut.until FROM " + UNTIL_TABLE + " AS cut WHERE cut.service = source_rows.service)"
)

# How much of the range one statement rebuilds (whole buckets of every level).
SLICE = {"1min": timedelta(days=1), "5min": timedelta(days=1)}
COARSE_SLICE = timedelta(days=28)


@dataclass
class RebuildReport:
    """Per level: source rows read (raw rows, or the level below's full rows) and the seconds it took."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)  # level -> range its source lacks

    def add(self, level: str, rows: int, seconds: float):
        self.rows[level] = self.rows.get(level, 0) + rows
        self.seconds[level] = self.seconds.get(level, 0.0) + seconds

    def rate(self, level: str) -> float:
        seconds = self.seconds.get(level) or 0.0
        return self.rows.get(level, 0) / seconds if seconds else 0.0

    def __str__(self):
        done = [
            f"{level} from {rows:,} rows in {self.seconds[level]:.1f} s ({self.rate(level):,.0f} rows/s)"
            for level, rows in self.rows.items()
        ]
        text = "Rebuilt " + ("; ".join(done) if done else "nothing")
        for level, (start, end) in self.skipped.items():
            text += (
                f"; kept {level} from {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC as it was "
                "(its source no longer holds that range)"
            )
        return text + "."


@cache
def _materialisation_hypertable(relation: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(STORAGE_SQL, [relation])
        found = cursor.fetchone()
    return found[0] if found else relation


def storage(relation: str) -> str:
    """Where a relation's rows live: the table itself, or its continuous aggregate's materialisation.

    A rebuild reads and writes the materialisations: the aggregate's view would
    compute what lies past its watermark from the level below in real time.
    """
    return _materialisation_hypertable(relation) if has_continuous_aggregates() else relation


def prepare(cursor):
    """In a rebuild's transaction: wait for Malti's refresher (Apache), and aggregate in memory."""
    if not has_continuous_aggregates():
        cursor.execute(LOCK_SQL, [ADVISORY_LOCK_KEY])
    cursor.execute(WORK_MEM_SQL, [settings.MALTI_REBUILD_WORK_MEM])


def write_level(
    cursor,
    level: Level,
    start: datetime,
    end: datetime,
    services: list[str] | None = None,
    source: Callable | None = None,
    from_raw: bool | None = None,
    materialisations=MATERIALISATIONS,
    until: bool = False,
) -> int:
    """Replace [start, end) (whole buckets of `level`) of each materialisation with its source's rows aggregated.

    `source(materialisation)` names the relation to aggregate (default: the
    level below, or the raw table for 1 minute) and `from_raw` whether it holds
    raw rows. `services` limits both sides to those stored keys; with `until`,
    each service only before its moment in UNTIL_TABLE (buckets no wider than
    the moments' alignment). Returns the number of rows written.
    """
    from_raw = finer(level) is None if from_raw is None else from_raw
    time_column = "created_at" if from_raw else "bucket"
    services_sql = SERVICES_FILTER if services is not None else ""
    services_params = [services] if services is not None else []
    cut_sql = UNTIL_FILTER.format(time=time_column) if until else ""
    written = 0
    for materialisation in materialisations:
        target = storage(materialisation.relation(level))
        if has_continuous_aggregates():
            cursor.execute(LOCK_STORAGE_SQL.format(storage=target))
        if until:
            cursor.execute(DELETE_UNTIL_SQL.format(storage=target), [start, end])
        else:
            cursor.execute(DELETE_SQL.format(storage=target, services=services_sql), [start, end, *services_params])
        relation = source(materialisation) if source else storage(source_of(level, materialisation))
        select = select_sql(
            level,
            materialisation,
            where=f"WHERE {time_column} >= %s AND {time_column} < %s{services_sql}{cut_sql}",
            source=f"{relation} AS source_rows" if not relation.startswith("(") else relation,
            from_raw=from_raw,
        )
        cursor.execute(INSERT_SQL.format(storage=target, select=select), [start, end, *services_params])
        written += cursor.rowcount
    return written


def derive_from_full(cursor, level: Level, start: datetime, end: datetime, services: list[str], until=False) -> int:
    """Fill the narrower materialisations of `level` from its full one, written there first."""
    full = storage(FULL.relation(level))
    return write_level(
        cursor,
        level,
        start,
        end,
        services,
        source=lambda _: full,
        from_raw=False,
        materialisations=MATERIALISATIONS[:-1],
        until=until,
    )


def count_source_rows(cursor, level: Level, start: datetime, end: datetime, services=None) -> int:
    """Rows a level is rebuilt from over [start, end): raw rows, or the level below's full rows."""
    below = finer(level)
    source, time_column = (RAW, "created_at") if below is None else (storage(FULL.relation(below)), "bucket")
    services_sql = SERVICES_FILTER if services is not None else ""
    cursor.execute(
        COUNT_SQL.format(source=source, time=time_column, services=services_sql),
        [start, end, *([services] if services is not None else [])],
    )
    return cursor.fetchone()[0]


def slices(level: Level, start: datetime, end: datetime):
    """[start, end) (whole buckets of `level`) in consecutive pieces one statement rebuilds."""
    step = SLICE.get(level.name, COARSE_SLICE)
    low = start
    while low < end:
        high = min(end, low + step)
        yield low, high
        low = high


def rebuild(
    start: datetime,
    end: datetime,
    services: list[str] | None = None,
    progress: Callable[[str, datetime, datetime], None] | None = None,
) -> RebuildReport:
    """Recompute every level over [start, end), each from the level below, a slice per transaction.

    Each level covers the whole buckets overlapping the range, so coarser
    levels take in what finer ones rebuilt. `progress(level, low, high)` is
    called after each slice.
    """
    report = RebuildReport()
    with connection.cursor() as cursor:
        for level in LEVELS:
            low, high = floor_to(start, level), ceil_to(end, level)
            held = ceil_to(source_holds_from(cursor, finer(level)), level)
            if low < held:
                report.skipped[level.name] = (low, min(held, high))
                low = held
            for slice_start, slice_end in slices(level, low, high):
                began = time.perf_counter()
                with transaction.atomic():
                    prepare(cursor)
                    rows = count_source_rows(cursor, level, slice_start, slice_end, services)
                    write_level(cursor, level, slice_start, slice_end, services)
                report.add(level.name, rows, time.perf_counter() - began)
                if progress:
                    progress(level.name, slice_start, slice_end)
    log.info("%s", report)
    return report
