"""The rollup relations: six time levels × six materialisations.

Every relation has the same columns: bucket, its dimensions, then the
measures: request_count, the error counts, response_time_sum/min/max and
the latency histogram, one column per slot (see histogram.py).
`requests_<level>` is keyed by every dimension (the seed's rollups).
Narrower materialisations keep far fewer rows when consumers and endpoints
are many; the query layer reads the smallest one that holds every
dimension a query filters or groups by. Only `status` and the full one keep
the status code: elsewhere it would multiply the rows by the number of
distinct codes, and the panels need just the error counts, which are columns.
"""

from dataclasses import dataclass
from datetime import timedelta

from telemetry.rollups.histogram import HISTOGRAM_COLUMNS, RAW_HISTOGRAM_MEASURES, rollup_histogram_measures

ALL_DIMENSIONS = ("service", "node", "method", "endpoint", "consumer", "context", "status")


@dataclass(frozen=True)
class Level:
    name: str
    width: timedelta
    interval: str  # PostgreSQL interval literal
    chunk: str  # chunk interval of its hypertable
    # Type of the histogram slots h1..h129 (see SLOT_TYPES).
    slot_type: str = "bigint"


@dataclass(frozen=True)
class Materialisation:
    name: str  # "" for the full one
    dimensions: tuple[str, ...]
    # Leading columns of its index, before bucket: the filters it serves.
    indexed: tuple[str, ...] = ("service",)
    # Whether the refresher keeps each level's open bucket (see open_relation).
    keeps_open: bool = True

    def relation(self, level: Level) -> str:
        return f"requests_{self.name}_{level.name}" if self.name else f"requests_{level.name}"

    def open_relation(self) -> str:
        """The open (not yet complete) bucket of every level but the finest, as of one refresh.

        Rows are versioned by `until`, the refresh's horizon: a version holds,
        for each level, the bucket [the level's watermark, until). A range
        ending now then reads one bucket at the coarsest level instead of the
        current week's days, hours and minutes.
        """
        return f"requests_{self.name}_open"

    def open_index_sql(self) -> str:
        relation = self.open_relation()
        return f"CREATE INDEX IF NOT EXISTS {relation}_lookup ON {relation} (until, level, {', '.join(self.indexed)})"

    def index_sql(self, level: Level) -> str:
        relation = self.relation(level)
        return f"CREATE INDEX IF NOT EXISTS {relation}_lookup ON {relation} ({', '.join(self.indexed)}, bucket DESC)"

    def covers(self, dimensions) -> bool:
        return set(dimensions) <= set(self.dimensions)


# A slot of one row counts at most (bucket width) x (requests per second) of one
# service. At 1,000,000/s -- over three times the raw table's measured COPY
# ceiling (bench/README.md), all in one latency slot -- a minute holds 6e7 and
# five minutes 3e8, under INTEGER's 2^31 - 1 (2.1e9); an hour would hold 3.6e9,
# so the 1-hour level and coarser count in BIGINT. (The small levels keep
# INTEGER: they are the biggest tables.) Every other measure is BIGINT:
# response_time_sum is in-flight milliseconds, at most concurrency x bucket
# width, and 2^63 ms in a week would take 1.5e10 requests in flight.
LEVELS = (
    Level("1min", timedelta(minutes=1), "1 minute", "1 day", slot_type="integer"),
    Level("5min", timedelta(minutes=5), "5 minutes", "7 days", slot_type="integer"),
    Level("1hour", timedelta(hours=1), "1 hour", "30 days"),
    # Between hours and days: a range's partial days at its two ends are at
    # most 3 quarter-days and 5 hours each, instead of up to 23 hours.
    Level("6hour", timedelta(hours=6), "6 hours", "120 days"),
    Level("1day", timedelta(days=1), "1 day", "365 days"),
    # For long ranges: a year is 52 weeks instead of 365 days of rows.
    Level("1week", timedelta(days=7), "7 days", "730 days"),
)
LEVEL_BY_NAME = {level.name: level for level in LEVELS}

# Smallest first: the query layer takes the first that covers a query.
MATERIALISATIONS = (
    Materialisation("svc", ("service",)),
    Materialisation("status", ("service", "status")),
    Materialisation("node", ("service", "node", "context")),
    Materialisation("endpoint", ("service", "method", "endpoint"), indexed=("service", "endpoint")),
    Materialisation("consumer", ("service", "consumer"), indexed=("service", "consumer")),
    # Not kept open: that would re-read close to one row per request at every refresh.
    Materialisation("", ALL_DIMENSIONS, indexed=("service", "endpoint"), keeps_open=False),
)
FULL = MATERIALISATIONS[-1]
OPEN_MATERIALISATIONS = tuple(m for m in MATERIALISATIONS if m.keeps_open)

# "Error" everywhere in Malti: a response with status 400 or above. The
# counts are columns of every rollup, computed once here from raw statuses.
# (CASE, not FILTER: continuous aggregates accept it in every version.)
ERROR_COUNTS = {
    "error_count": "status >= 400",
    "client_error_count": "status BETWEEN 400 AND 499",
    "server_error_count": "status >= 500",
}
# Each measure column: computed from raw rows, and from rollup rows merged.
RAW_MEASURES = {
    "request_count": "count(*)",
    **{name: f"sum(CASE WHEN {condition} THEN 1 ELSE 0 END)::bigint" for name, condition in ERROR_COUNTS.items()},
    "response_time_sum": "sum(response_time)::bigint",
    "response_time_min": "min(response_time)",
    "response_time_max": "max(response_time)",
    **RAW_HISTOGRAM_MEASURES,
}
ROLLUP_COUNT_MEASURES = {
    "request_count": "sum(request_count)::bigint",
    **{name: f"sum({name})::bigint" for name in ERROR_COUNTS},
    "response_time_sum": "sum(response_time_sum)::bigint",
    "response_time_min": "min(response_time_min)",
    "response_time_max": "max(response_time_max)",
}


def rollup_measures(level: Level) -> dict[str, str]:
    """Each measure merged from the level below's rows, histogram slots as the level stores them."""
    return {**ROLLUP_COUNT_MEASURES, **rollup_histogram_measures(level.slot_type)}


MEASURES = tuple(RAW_MEASURES)
COUNT_MEASURES = MEASURES[: -len(HISTOGRAM_COLUMNS)]


def measures_sql(expressions: dict, columns=None) -> str:
    return ", ".join(f"{expressions[column]} AS {column}" for column in (expressions if columns is None else columns))


def relations():
    for level in LEVELS:
        for materialisation in MATERIALISATIONS:
            yield level, materialisation


def finer(level: Level) -> Level | None:
    index = LEVELS.index(level)
    return LEVELS[index - 1] if index else None


def source_of(level: Level, materialisation: Materialisation) -> str:
    """Where a relation is computed from: raw for 1-minute levels, else the level below."""
    below = finer(level)
    return "requests" if below is None else materialisation.relation(below)


def select_sql(
    level: Level, materialisation: Materialisation, where: str = "", source: str | None = None, from_raw=None
) -> str:
    """The aggregate query that defines a relation (a continuous aggregate's body).

    `source` replaces the level below (for the open buckets: it and its own
    open bucket); `from_raw` says whether it holds raw rows (default: whether
    the level below is the raw table).
    """
    dims = ", ".join(materialisation.dimensions)
    from_raw = finer(level) is None if from_raw is None else from_raw
    measures = measures_sql(RAW_MEASURES if from_raw else rollup_measures(level))
    time_column = "created_at" if from_raw else "bucket"
    return (
        f"SELECT time_bucket(INTERVAL '{level.interval}', {time_column}) AS bucket, {dims}, {measures} "
        f"FROM {source or source_of(level, materialisation)} {where} GROUP BY 1, {dims}"
    )


def open_column_definitions(materialisation: Materialisation) -> str:
    # One table for the open buckets of every level: slots as wide as the widest level's.
    return f"until TIMESTAMPTZ NOT NULL, level TEXT NOT NULL, {column_definitions(materialisation, 'bigint')}"


def column_definitions(materialisation: Materialisation, slot_type: str) -> str:
    types = {
        "status": "SMALLINT NOT NULL",
        "service": "TEXT NOT NULL",
        "method": "TEXT NOT NULL",
        "endpoint": "TEXT NOT NULL",
        "consumer": "TEXT NOT NULL",
        "node": "TEXT",
        "context": "TEXT",
    }
    dims = ", ".join(f"{dim} {types[dim]}" for dim in materialisation.dimensions)
    return (
        f"bucket TIMESTAMPTZ NOT NULL, {dims}, request_count BIGINT NOT NULL, "
        + "".join(f"{name} BIGINT NOT NULL, " for name in ERROR_COUNTS)
        + "response_time_sum BIGINT NOT NULL, "
        "response_time_min INTEGER NOT NULL, response_time_max INTEGER NOT NULL, "
        + ", ".join(f"{column} {slot_type.upper()}" for column in HISTOGRAM_COLUMNS)
    )
