"""Metrics read from the rollups, plus raw rows for the not-yet-materialised tail.

Apache edition: the chosen level holds complete buckets before its watermark;
each finer level fills in from there to its own watermark, and raw rows cover
the rest, so the tiers meet without gap or overlap. Community edition:
continuous aggregates with real-time aggregation already include the tail, so
one tier suffices. Either way the relation read is the smallest
materialisation holding every dimension the query filters or groups by.

All SQL here is assembled from fixed fragments (relation and column names
from the catalog); every value a user sends travels as a parameter.
"""

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import NamedTuple

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections, router

from malti_site.replicas import READS, replica_aliases, replicas
from telemetry.edition import has_continuous_aggregates
from telemetry.models.raw import Request
from telemetry.rollups.catalog import (
    COUNT_MEASURES,
    LEVEL_BY_NAME,
    LEVELS,
    MATERIALISATIONS,
    MEASURES,
    RAW_MEASURES,
    Level,
    Materialisation,
    measures_sql,
)
from telemetry.rollups.histogram import HISTOGRAM_COLUMNS, MERGED_HISTOGRAM_SQL
from telemetry.rollups.refresher import refresh_state

ORIGIN = datetime(2000, 1, 3, tzinfo=UTC)  # time_bucket's origin: buckets align with it
FILTER_DIMENSIONS = ("service", "node", "method", "endpoint", "consumer", "context")

# One tier of the union: rows of one relation between two bucket bounds, or
# one version of a level's open bucket. Each statement names only the measure
# columns it uses: the tiers of a UNION ALL are projected in full, and a
# rollup row has 136 columns.
TIER_SQL = "SELECT bucket{dims}{measures} FROM {relation} WHERE {within}{filters}"
BUCKETS_WITHIN = "bucket >= %s AND bucket < %s"
OPEN_BUCKET_WITHIN = "until = %s AND level = %s"
# The same for a few groups: a nested loop of index lookups, group by group
# (OFFSET 0 keeps the planner from turning it into a hash join over every row).
KEYED_TIER_SQL = (
    "SELECT tier.bucket{key_dims}{tier_measures} FROM unnest({arrays}) AS keys({names}) CROSS JOIN LATERAL "
    "(SELECT bucket{measures} FROM {relation} WHERE {match} AND {within}{filters} OFFSET 0) AS tier"
)
# The raw tail, aggregated to minutes on the fly, as select_sql() aggregates rollups.
RAW_TIER_SQL = (
    "SELECT time_bucket(INTERVAL '1 minute', created_at) AS bucket{dims}{measures} "
    "FROM requests WHERE created_at >= %s AND created_at < %s{filters} GROUP BY 1{dims}"
)

COUNT_MEASURES_SQL = (
    "sum(request_count)::bigint AS count, sum(response_time_sum)::bigint AS time_sum, "
    "min(response_time_min) AS time_min, max(response_time_max) AS time_max, "
    "sum(error_count)::bigint AS errors, sum(client_error_count)::bigint AS client_errors, "
    "sum(server_error_count)::bigint AS server_errors"
)
# Merging histograms is the costly part of a query (129 sums a row), so
# only the statements that report percentiles do it.
MEASURES_SQL = COUNT_MEASURES_SQL + f", {MERGED_HISTOGRAM_SQL} AS histogram"
TIME_SERIES_SQL = (
    "WITH rows AS ({union}) SELECT time_bucket(%s::interval, bucket) AS t{dims}, "
    + MEASURES_SQL
    + " FROM rows GROUP BY t{dims} ORDER BY t"
)
GROUPED_SQL = (
    "WITH rows AS ({union}) SELECT {group}, {measures} FROM rows GROUP BY {group} ORDER BY count DESC, {group} LIMIT %s"
)
# Percentiles for the given groups only (the largest ones, found by GROUPED_SQL without them).
GROUP_HISTOGRAMS_SQL = (
    "WITH rows AS ({union}) SELECT {group}, " + MERGED_HISTOGRAM_SQL + " AS histogram FROM rows "
    "WHERE ({group}) IN (SELECT * FROM unnest({arrays})) GROUP BY {group}"
)
COUNTS_SQL = (
    "WITH rows AS ({union}) SELECT {group}, sum(request_count)::bigint AS count FROM rows "
    "GROUP BY {group} ORDER BY {group}"
)
DISTINCT_SQL = "WITH rows AS ({union}) SELECT DISTINCT {dim} FROM rows WHERE {dim} IS NOT NULL ORDER BY {dim} LIMIT %s"

# SET LOCAL with a parameter, returning the value it replaces.
LIMIT_STATEMENTS_SQL = "SELECT current_setting('statement_timeout'), set_config('statement_timeout', %s, true)"
RESTORE_LIMIT_SQL = "SELECT set_config('statement_timeout', %s, true)"


class ReadsBusy(Exception):
    """Every reads slot of this process stayed taken for a whole statement timeout."""


@dataclass(frozen=True)
class Scope:
    """What a metrics request asks for: a range aligned to its resolution, and filters."""

    start: datetime
    end: datetime
    level: Level
    filters: dict  # dimension -> value; "service" holds a display name, matched to stored keys by the caller

    @property
    def row_filters(self) -> dict:
        """The filters compared with stored values as they are (service goes through the visible keys)."""
        return {dim: value for dim, value in self.filters.items() if dim != "service"}

    def without(self, dim: str) -> "Scope":
        return replace(self, filters={name: value for name, value in self.filters.items() if name != dim})


class Piece(NamedTuple):
    """Part of a range read from one place: a level's whole buckets, its open bucket, or raw rows (level None)."""

    level: Level | None
    start: datetime
    end: datetime
    open: bool = False

    def relation(self, materialisation: Materialisation) -> str:
        if self.level is None:
            return "requests"
        return materialisation.open_relation() if self.open else materialisation.relation(self.level)


def choose_materialisation(dimensions):
    needed = set(dimensions) | {"service"}
    return next(m for m in MATERIALISATIONS if m.covers(needed))


def floor_to(moment: datetime, level: Level) -> datetime:
    return ORIGIN + ((moment - ORIGIN) // level.width) * level.width


def ceil_to(moment: datetime, level: Level) -> datetime:
    floored = floor_to(moment, level)
    return floored if floored == moment else floored + level.width


def decompose(start: datetime, end: datetime, coarsest: Level, marks: dict | None, open_until=None) -> list[Piece]:
    """Cover [start, end) with the coarsest whole buckets available, finer ones at the edges.

    `marks` are the Apache refresher's watermarks (a level holds complete
    buckets before its own); None on the community edition, whose real-time
    aggregates hold everything. `open_until`: the newest version of the open
    buckets, each level's [watermark, open_until); a range that holds all of a
    level's open bucket reads it instead of the finer levels below it.
    """
    levels = list(reversed(LEVELS[: LEVELS.index(coarsest) + 1]))
    pieces = []

    def cover(low, high, remaining):
        if low >= high:
            return
        if not remaining:
            pieces.append(Piece(None, low, high))
            return
        level, finer_levels = remaining[0], remaining[1:]
        mark = None if marks is None else marks.get(level.name, low)
        limit = high if mark is None else min(high, max(low, mark))
        first, last = ceil_to(low, level), floor_to(limit, level)
        if (
            open_until is not None
            and level is not LEVELS[0]
            and low <= mark < open_until <= high
            # The version was written for this watermark (not one set since by other means).
            and mark == floor_to(open_until, level)
        ):
            cover(low, first, finer_levels)
            if first < mark:
                pieces.append(Piece(level, first, mark))
            pieces.append(Piece(level, mark, open_until, open=True))
            cover(open_until, high, finer_levels)
        elif first < last:
            cover(low, first, finer_levels)
            pieces.append(Piece(level, first, last))
            cover(last, high, finer_levels)
        else:
            cover(low, high, finer_levels)

    cover(start, end, levels)
    return pieces


def _union(scope: Scope, services: tuple, dims: tuple[str, ...], pieces_of, columns=MEASURES, keys: dict | None = None):
    """UNION ALL of the pieces, read from the smallest materialisation that has every dimension.

    `services` are the stored service keys to read. `pieces_of(materialisation)`
    decomposes the range for it. `columns` are the measure columns the statement
    uses. `keys` ({dim: values}, aligned lists) limits the rows to those groups,
    looked up group by group through the relation's index.
    """
    filters = scope.row_filters
    materialisation = choose_materialisation(set(dims) | set(filters))
    dim_sql = "".join(f", {dim}" for dim in dims)
    filter_sql = " AND service = ANY(%s)" + "".join(f" AND {dim} = %s" for dim in filters)
    filter_params = [list(services), *filters.values()]
    stored = "".join(f", {column}" for column in columns)
    from_raw = f", {measures_sql(RAW_MEASURES, columns)}" if columns else ""
    parts, params = [], []
    for piece in pieces_of(materialisation):
        if piece.level is None:
            # The raw tail is small: filter it by each key dimension's values.
            key_filters = "".join(f" AND {dim} = ANY(%s)" for dim in keys or ())
            parts.append(RAW_TIER_SQL.format(dims=dim_sql, measures=from_raw, filters=filter_sql + key_filters))
            params += [piece.start, piece.end, *filter_params, *(keys or {}).values()]
            continue
        within, bounds = (
            (OPEN_BUCKET_WITHIN, [piece.end, piece.level.name])
            if piece.open
            else (BUCKETS_WITHIN, [piece.start, piece.end])
        )
        relation = piece.relation(materialisation)
        if keys:
            parts.append(
                KEYED_TIER_SQL.format(
                    arrays=", ".join("%s::text[]" for _ in keys),
                    names=", ".join(keys),
                    key_dims="".join(f", keys.{dim}" for dim in dims),
                    tier_measures="".join(f", tier.{column}" for column in columns),
                    measures=stored,
                    relation=relation,
                    match=" AND ".join(f"{dim} = keys.{dim}" for dim in keys),
                    within=within,
                    filters=filter_sql,
                )
            )
            params += [*keys.values(), *bounds, *filter_params]
        else:
            parts.append(
                TIER_SQL.format(dims=dim_sql, measures=stored, relation=relation, within=within, filters=filter_sql)
            )
            params += [*bounds, *filter_params]
    return " UNION ALL ".join(parts), params


def reads_alias() -> str:
    """A replica's or the primary's reads connections (the router's choice), unless this thread is inside a
    transaction (tests): other connections cannot see its rows."""
    if connection.in_atomic_block:
        return DEFAULT_DB_ALIAS
    return router.db_for_read(Request, telemetry_read=True)


@contextmanager
def reads_cursor():
    """A cursor whose statements stop after MALTI_METRICS_STATEMENT_TIMEOUT seconds."""
    alias = reads_alias()
    with connections[alias].cursor() as cursor:
        if alias != DEFAULT_DB_ALIAS:
            # The reads connections are opened with the timeout.
            try:
                yield cursor
            except OperationalError as exc:
                replicas.failed(alias, exc)
                raise
            return
        # The caller's transaction: limit these statements only (an error aborts the transaction anyway).
        cursor.execute(LIMIT_STATEMENTS_SQL, [f"{settings.MALTI_METRICS_STATEMENT_TIMEOUT}s"])
        previous = cursor.fetchone()[0]
        yield cursor
        cursor.execute(RESTORE_LIMIT_SQL, [previous])


def _run(sql, params):
    with reads_cursor() as cursor:
        cursor.execute(sql, params)
        columns = [c.name for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _reads_pool_size() -> int:
    return settings.MALTI_DB_READS_POOL_MAX


@cache
def _slots(size: int) -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(size)


def reads_slots() -> threading.BoundedSemaphore:
    """The metrics responses this process runs at once: as many as the reads pool serves side by side."""
    per_response = min(settings.MALTI_QUERY_CONCURRENCY, _reads_pool_size())
    return _slots(max(1, _reads_pool_size() // per_response))


class SideBySide:
    """Runs independent read queries at once, each thread on its own reads connection.

    A metrics response is a handful of statements that each keep one core
    busy; on two cores they finish in about half the time side by side. Inside
    a transaction (as in tests) other connections cannot see its rows, so
    there the statements run one after another on the caller's connection.
    Outside one, a response first takes one of the process's reads slots:
    a burst of metrics requests queues here, holding no connection at all.
    """

    def __init__(self, workers: int | None = None):
        self.workers = min(workers or settings.MALTI_QUERY_CONCURRENCY, _reads_pool_size())
        self.executor = None
        self.slot = None

    def __enter__(self):
        if connection.in_atomic_block:
            return self
        # Give the caller's connection back to the pool first: ingest and
        # logins need it more than a request waiting for a reads slot.
        connection.close()
        slots = reads_slots()
        if not slots.acquire(timeout=settings.MALTI_METRICS_STATEMENT_TIMEOUT):
            raise ReadsBusy("Too many metrics queries are running at once; retry shortly.")
        self.slot = slots
        if self.workers > 1:
            self.executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="malti-query")
        return self

    def submit(self, function, *args, **kwargs) -> Future:
        if self.executor is None:
            done = Future()
            done.set_result(function(*args, **kwargs))
            return done
        return self.executor.submit(self._on_own_connection, function, *args, **kwargs)

    @staticmethod
    def _on_own_connection(function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()  # this thread's connections, back to their pools

    def __exit__(self, *exc):
        try:
            if self.executor is not None:
                self.executor.shutdown(wait=True, cancel_futures=exc[0] is not None)
        finally:
            if self.slot is not None:
                for alias in (READS, *replica_aliases()):
                    connections[alias].close()  # statements run in the caller's thread (workers=1)
                self.slot.release()


class MetricsReader:
    """The queries behind /api/v1/metrics/*, each a parameterised raw-SQL statement."""

    def __init__(self, scope: Scope, services: tuple[str, ...]):
        self.scope = scope
        self.services = services  # stored service keys, already narrowed by the service filter
        self._state = None
        self._state_lock = threading.Lock()
        self._decompositions = {}

    def planning_state(self):
        """The watermarks and open buckets this reader plans with, read once, when first needed.

        Not at construction: a response builds its readers before it takes a
        reads slot, and reads only inside one.
        """
        with self._state_lock:
            if self._state is None:
                if has_continuous_aggregates():
                    self._state = (None, None)
                else:
                    with reads_cursor() as cursor:
                        self._state = refresh_state(cursor)
            return self._state

    @property
    def marks(self):
        return self.planning_state()[0]

    @property
    def open_until(self):
        return self.planning_state()[1]

    def pieces(self, coarsest: Level, materialisation: Materialisation) -> list[Piece]:
        """The range in pieces no coarser than `coarsest`, as `materialisation` keeps them."""
        open_until = self.open_until if materialisation.keeps_open else None
        if (coarsest, open_until) not in self._decompositions:
            self._decompositions[coarsest, open_until] = decompose(
                self.scope.start, self.scope.end, coarsest, self.marks, open_until
            )
        return self._decompositions[coarsest, open_until]

    def series_pieces(self, materialisation: Materialisation) -> list[Piece]:
        # The time series needs buckets no wider than its resolution.
        return self.pieces(self.scope.level, materialisation)

    def total_pieces(self, materialisation: Materialisation) -> list[Piece]:
        # Totals and breakdowns may use whole weeks, days and hours wherever they fit.
        return self.pieces(LEVELS[-1], materialisation)

    def _empty(self):
        return not self.services

    def time_series(self, by_service: bool = False):
        """Rows per bucket at the scope's resolution (per bucket and service if `by_service`), with histograms."""
        if self._empty():
            return []
        dims = ("service",) if by_service else ()
        union, params = _union(self.scope, self.services, dims, self.series_pieces)
        dims_sql = "".join(f", {dim}" for dim in dims)
        return _run(TIME_SERIES_SQL.format(union=union, dims=dims_sql), [*params, self.scope.level.interval])

    def grouped(self, group: tuple[str, ...], limit: int | None = 50, latency: bool = True):
        """Rows per group, largest first, with the histograms of those groups if `latency`."""
        if self._empty():
            return []
        union, params = _union(self.scope, self.services, group, self.total_pieces, COUNT_MEASURES)
        group_sql = ", ".join(group)
        rows = _run(GROUPED_SQL.format(union=union, group=group_sql, measures=COUNT_MEASURES_SQL), [*params, limit])
        if latency and rows:
            keys = {dim: [row[dim] for row in rows] for dim in group}
            union, params = _union(self.scope, self.services, group, self.total_pieces, HISTOGRAM_COLUMNS, keys)
            arrays = ", ".join("%s::text[]" for _ in group)
            merged = _run(
                GROUP_HISTOGRAMS_SQL.format(union=union, group=group_sql, arrays=arrays), [*params, *keys.values()]
            )
            histograms = {tuple(row[dim] for dim in group): row["histogram"] for row in merged}
            for row in rows:
                # (Retention may drop a group's rows between the two statements: no percentiles then.)
                row["histogram"] = histograms.get(tuple(row[dim] for dim in group))
        return rows

    def counts(self, group: tuple[str, ...]):
        if self._empty():
            return []
        union, params = _union(self.scope, self.services, group, self.total_pieces, ("request_count",))
        return _run(COUNTS_SQL.format(union=union, group=", ".join(group)), params)

    def distinct(self, dim: str, limit: int = 500):
        if self._empty():
            return []
        union, params = _union(self.scope, self.services, (dim,), self.total_pieces, ())
        return [row[dim] for row in _run(DISTINCT_SQL.format(union=union, dim=dim), [*params, limit])]


def resolution_for(span: timedelta) -> Level:
    """≤ 1 h: 1 minute; ≤ 24 h: 5 minutes; ≤ 31 days: 1 hour; longer: 1 day (as the dashboard asks)."""
    if span <= timedelta(hours=1):
        return LEVEL_BY_NAME["1min"]
    if span <= timedelta(hours=24):
        return LEVEL_BY_NAME["5min"]
    if span <= timedelta(days=31):
        return LEVEL_BY_NAME["1hour"]
    return LEVEL_BY_NAME["1day"]
