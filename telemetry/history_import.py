"""Import the history of an original Malti database (manage.py import_malti_data).

The original keeps raw rows 7 days, 5-minute aggregates 90 days and 1-hour
aggregates 720 days, each keyed by every dimension with count, min, max, mean
and p95 (its database/init.sql). Each part of the past is read from the finest
source that still holds it:

  1-hour aggregates  → Malti's 1hour level (full materialisation), the others derived from it
  5-minute aggregates → the 5min level, the same way
  raw rows           → exactly: Malti's 1min level, and the raw table where its retention keeps them

Coarser levels are rebuilt from the ones below, set-wise (telemetry.rollups.rebuild).
Counts, error counts, min, max and the latency sum are exact everywhere; an
aggregate's histogram is estimated from its count, min, max, mean and p95
(histogram.estimate_slots), so percentiles over those ranges are estimates and
the metrics API says so.

The unit of work is a UTC day, committed in one transaction with its ledger
row (telemetry.models.history): a run that stops is resumed by the next, and
a finished one adds nothing when run again. Each service's history ends at the
hour its own Malti telemetry begins, so nothing is counted twice.
"""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import psycopg
from django.db import connection, transaction
from psycopg import sql

from accounts.models import Service, Tenant
from malti_site import clock
from telemetry.models import HistoryImport, ImportedDay, ImportedService
from telemetry.models.raw import COLUMNS
from telemetry.rollups import rebuild
from telemetry.rollups.catalog import ERROR_COUNTS, FULL, LEVEL_BY_NAME, LEVELS, column_definitions
from telemetry.rollups.histogram import HISTOGRAM_COLUMNS, estimate_slots
from telemetry.rollups.progress import RAW, relations_of, source_holds_from
from telemetry.rollups.query import ceil_to, floor_to

log = logging.getLogger(__name__)

HOUR = LEVEL_BY_NAME["1hour"]
DAY = timedelta(days=1)

# --- The original database (read only) ---
ORIGINAL_TABLES_SQL = "SELECT to_regclass('requests'), to_regclass('requests_5min'), to_regclass('requests_1hour')"
ORIGINAL_IDENTITY_SQL = "SELECT system_identifier::text FROM pg_control_system()"
ORIGINAL_DATABASE_SQL = "SELECT current_database()"
ORIGINAL_RAW_START_SQL = "SELECT min(created_at) FROM requests"
ORIGINAL_AGGREGATE_START_SQL = "SELECT min(bucket) FROM {relation}"
# Every service name of a table, by hopping through its (service, ...) index instead of reading every row.
ORIGINAL_SERVICES_SQL = """
WITH RECURSIVE names AS (
    (SELECT service FROM {relation} ORDER BY service LIMIT 1)
    UNION ALL
    SELECT (SELECT service FROM {relation} WHERE service > names.service ORDER BY service LIMIT 1)
    FROM names WHERE names.service IS NOT NULL
)
SELECT service FROM names WHERE service IS NOT NULL
"""
ORIGINAL_RAW_SQL = (
    f"COPY (SELECT {', '.join(COLUMNS)} FROM requests "
    "WHERE created_at >= {start} AND created_at < {end} AND service = ANY({services})) TO STDOUT (FORMAT BINARY)"
)
ORIGINAL_AGGREGATE_SQL = (
    "SELECT bucket, service, node, method, endpoint, consumer, context, status, count_requests, "
    "min_response_time, max_response_time, avg_response_time::float8, p95_response_time::float8 "
    "FROM {relation} WHERE bucket >= %s AND bucket < %s AND service = ANY(%s)"
)
ORIGINAL_COUNT_SQL = "SELECT count(*) FROM {relation} WHERE {time} >= %s AND {time} < %s AND service = ANY(%s)"

# --- Malti's database ---
STAGING_RAW = "malti_import_raw"
STAGING_AGGREGATE = "malti_import_aggregate"
CREATE_STAGING_SQL = (
    f"CREATE TEMP TABLE IF NOT EXISTS {STAGING_RAW} (LIKE requests) ON COMMIT DELETE ROWS; "
    f"CREATE TEMP TABLE IF NOT EXISTS {STAGING_AGGREGATE} ({column_definitions(FULL, 'bigint')}) "
    "ON COMMIT DELETE ROWS; "
    f"CREATE TEMP TABLE IF NOT EXISTS {rebuild.UNTIL_TABLE} (service TEXT PRIMARY KEY, name TEXT NOT NULL, "
    "until TIMESTAMPTZ NOT NULL)"
)
FILL_UNTIL_SQL = (
    f"TRUNCATE {rebuild.UNTIL_TABLE}; INSERT INTO {rebuild.UNTIL_TABLE} (service, name, until) "
    "SELECT * FROM unnest(%s::text[], %s::text[], %s::timestamptz[])"
)
COPY_STAGING_RAW_SQL = f"COPY {STAGING_RAW} ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)"
AGGREGATE_COLUMNS = (
    "bucket",
    *FULL.dimensions,
    "request_count",
    *ERROR_COUNTS,
    "response_time_sum",
    "response_time_min",
    "response_time_max",
    *HISTOGRAM_COLUMNS,
)
COPY_STAGING_AGGREGATE_SQL = f"COPY {STAGING_AGGREGATE} ({', '.join(AGGREGATE_COLUMNS)}) FROM STDIN"
# The original's rows under their Malti service key, cut at each service's `until`, normalised as ingest does
# (methods upper-case, an empty node or context is NULL).
KEYED_RAW_SOURCE = (
    "(SELECT until.service, nullif(raw.node, '') AS node, upper(raw.method) AS method, raw.created_at, "
    "raw.endpoint, nullif(raw.context, '') AS context, raw.status, raw.response_time, raw.consumer "
    f"FROM {STAGING_RAW} AS raw JOIN {rebuild.UNTIL_TABLE} AS until ON until.name = raw.service "
    "WHERE raw.created_at < until.until) AS source_rows"
)
KEYED_AGGREGATE_SOURCE = (
    "(SELECT aggregate.bucket, until.service, "
    + ", ".join(f"aggregate.{column}" for column in AGGREGATE_COLUMNS[2:])
    + f" FROM {STAGING_AGGREGATE} AS aggregate JOIN {rebuild.UNTIL_TABLE} AS until ON until.name = aggregate.service "
    "WHERE aggregate.bucket < until.until) AS source_rows"
)
STORE_RAW_SQL = f"INSERT INTO requests ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} FROM {KEYED_RAW_SOURCE} "
STORE_RAW_WHERE = "WHERE created_at >= %s AND created_at < %s"
# Malti's own telemetry of a service: where its imported history must end.
FIRST_OWN_RECORD_SQL = "SELECT min(first) FROM ({union}) AS firsts"
FIRST_IN_SQL = "SELECT min({time}) AS first FROM {relation} WHERE service = %s"
# The Apache refresher recomputes a coarse bucket that straddles a service's `until` once it is complete.
MARK_STRADDLING_SQL = "INSERT INTO malti_dirty_buckets (level, bucket) SELECT %s, time_bucket(%s::interval, %s)"


class HistoryImportError(Exception):
    """The original database cannot be imported as asked (the message says why)."""


@dataclass
class ImportPlan:
    record: HistoryImport
    services: list[ImportedService]
    unknown: list[str]  # services of the original with no Malti service of that name in the tenant
    days: list[date]  # days still to import, oldest first
    done_days: int
    created: bool


@dataclass
class DayReport:
    day: date
    rows: dict[str, int] = field(default_factory=dict)  # source -> rows read from the original


def connect_original(url: str):
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise HistoryImportError(f"Cannot connect to the original database: {str(exc).strip()}") from None


def _identity(original) -> str:
    with original.cursor() as cursor:
        cursor.execute(ORIGINAL_DATABASE_SQL)
        database = cursor.fetchone()[0]
        try:
            cursor.execute(ORIGINAL_IDENTITY_SQL)
            system = cursor.fetchone()[0]
        except psycopg.Error:  # pg_control_system() is for privileged roles only
            system = f"{original.info.host}:{original.info.port}"
    return f"{system}/{database}"


def _survey(original) -> dict:
    """Where each of the original's sources starts (whole hours), and every service name in them."""
    with original.cursor() as cursor:
        cursor.execute(ORIGINAL_TABLES_SQL)
        raw, fivemin, hour = cursor.fetchone()
        if raw is None and fivemin is None and hour is None:
            raise HistoryImportError(
                "This database has none of the original Malti's tables (requests, requests_5min, requests_1hour)."
            )
        starts, names = {}, set()
        for source, relation, present in (
            ("raw", "requests", raw),
            ("5min", "requests_5min", fivemin),
            ("1hour", "requests_1hour", hour),
        ):
            if present is None:
                continue
            cursor.execute(
                ORIGINAL_RAW_START_SQL if source == "raw" else ORIGINAL_AGGREGATE_START_SQL.format(relation=relation)
            )
            first = cursor.fetchone()[0]
            if first is None:
                continue
            # A partial first hour is read from the next coarser source, which holds it whole.
            starts[source] = ceil_to(first, HOUR) if source != "1hour" else floor_to(first, HOUR)
            cursor.execute(ORIGINAL_SERVICES_SQL.format(relation=relation))
            names.update(row[0] for row in cursor.fetchall())
    return {"starts": starts, "names": sorted(names)}


def _first_own_record(cursor, key: str) -> datetime | None:
    """The hour of the oldest telemetry Malti holds of this service key (raw rows and levels up to 1 hour).

    Coarser buckets would start before it: a week's bucket begins on its Monday.
    """
    parts = [FIRST_IN_SQL.format(time="created_at", relation=RAW)]
    parts += [
        FIRST_IN_SQL.format(time="bucket", relation=relations_of(level)[0])
        for level in LEVELS[: LEVELS.index(HOUR) + 1]
    ]
    cursor.execute(FIRST_OWN_RECORD_SQL.format(union=" UNION ALL ".join(parts)), [key] * len(parts))
    return cursor.fetchone()[0]


def plan(original, tenant_name: str, since: datetime | None, now: datetime | None = None, dry_run=False) -> ImportPlan:
    """The import of this original database into this tenant: fixed by the first run, reused by later ones."""
    now = now or clock.now()
    try:
        tenant = Tenant.objects.get(name=tenant_name)
    except Tenant.DoesNotExist:
        raise HistoryImportError(
            f"There is no tenant {tenant_name!r}: import the configuration first (manage.py import_malti_config)."
        ) from None
    identity = _identity(original)
    survey = _survey(original)
    record = HistoryImport.objects.filter(source=identity).first()
    created = record is None
    if record is not None and record.tenant_id != tenant.pk:
        raise HistoryImportError(f"This database was imported into tenant {record.tenant.name!r} already.")
    if record is None:
        starts = survey["starts"]
        # Each source is read until the next finer one starts, so they never overlap.
        record = HistoryImport(
            source=identity,
            tenant=tenant,
            raw_from=starts.get("raw"),
            fivemin_from=starts.get("5min"),
            hour_from=starts.get("1hour"),
            until=floor_to(now, HOUR),
        )
        if record.fivemin_from and record.raw_from and record.fivemin_from > record.raw_from:
            record.fivemin_from = None  # its 5-minute aggregates start after the raw rows: nothing to read there
        if record.hour_from and record.fivemin_from and record.hour_from >= record.fivemin_from:
            record.hour_from = None
        if not dry_run:
            record.save()
    known = {service.name: service for service in Service.objects.filter(tenant=tenant, name__in=survey["names"])}
    existing = {imported.name: imported for imported in record.services.all()} if record.pk else {}
    services, unknown = [], []
    with connection.cursor() as cursor:
        for name in survey["names"]:
            if name in existing:
                services.append(existing[name])
                continue
            service = known.get(name)
            if service is None:
                unknown.append(name)
                continue
            own = _first_own_record(cursor, service.telemetry_key)
            until = record.until if own is None else min(record.until, floor_to(own, HOUR))
            imported = ImportedService(
                history_import=record, name=name, telemetry_key=service.telemetry_key, until=until
            )
            if not dry_run:
                imported.save()
            services.append(imported)
    start = record.start()
    done = set(record.days.values_list("day", flat=True)) if record.pk else set()
    days = []
    if start is not None and services:
        first = max(start, since) if since else start
        day = floor_to(first, LEVEL_BY_NAME["1day"])
        last = max(service.until for service in services)
        while day < last:
            if day.date() not in done:
                days.append(day.date())
            day += DAY
    return ImportPlan(record, services, unknown, days, len(done), created)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + DAY


def count_rows(original, import_plan: ImportPlan, day: date) -> int:
    """Rows the original holds for this day in the sources the plan reads (for --dry-run)."""
    start, end = _day_bounds(day)
    names = [service.name for service in import_plan.services]
    total = 0
    with original.cursor() as cursor:
        for source, low, high in import_plan.record.sources_of(start, end):
            relation = {"raw": "requests", "5min": "requests_5min", "1hour": "requests_1hour"}[source]
            time_column = "created_at" if source == "raw" else "bucket"
            cursor.execute(ORIGINAL_COUNT_SQL.format(relation=relation, time=time_column), [low, high, names])
            total += cursor.fetchone()[0]
    return total


def _copy_raw(original, cursor, low, high, names) -> int:
    query = sql.SQL(ORIGINAL_RAW_SQL).format(start=sql.Literal(low), end=sql.Literal(high), services=sql.Literal(names))
    with original.cursor() as source, source.copy(query) as out, cursor.copy(COPY_STAGING_RAW_SQL) as into:
        for block in out:
            into.write(block)
    cursor.execute(f"SELECT count(*) FROM {STAGING_RAW}")
    return cursor.fetchone()[0]


def _aggregate_rows(rows) -> Iterator[tuple]:
    """The original's aggregate rows as rows of Malti's full materialisation, histograms estimated."""
    slots = len(HISTOGRAM_COLUMNS)
    for bucket, service, node, method, endpoint, consumer, context, status, count, low, high, mean, p95 in rows:
        histogram = [None] * slots
        for slot, n in estimate_slots(count, low, high, mean or 0.0, p95).items():
            histogram[slot - 1] = n
        errors = [count if status >= 400 else 0, count if 400 <= status <= 499 else 0, count if status >= 500 else 0]
        yield (
            bucket,
            service,
            node or None,
            (method or "").upper(),
            endpoint,
            consumer,
            context or None,
            status,
            count,
            *errors,
            round((mean or 0.0) * count),
            low,
            high,
            *histogram,
        )


def _copy_aggregates(original, cursor, relation, low, high, names) -> int:
    read = 0
    with original.cursor() as source, cursor.copy(COPY_STAGING_AGGREGATE_SQL) as into:
        rows = source.stream(ORIGINAL_AGGREGATE_SQL.format(relation=relation), [low, high, names])
        for row in _aggregate_rows(rows):
            into.write_row(row)
            read += 1
    return read


def import_day(original, import_plan: ImportPlan, day: date) -> DayReport:
    """Import one UTC day in one transaction with its ledger row."""
    record, services = import_plan.record, import_plan.services
    start, end = _day_bounds(day)
    names = [service.name for service in services]
    keys = [service.telemetry_key for service in services]
    report = DayReport(day)
    with transaction.atomic(), connection.cursor() as cursor:
        rebuild.prepare(cursor)
        cursor.execute(CREATE_STAGING_SQL)
        cursor.execute(FILL_UNTIL_SQL, [keys, names, [service.until for service in services]])
        parts = record.sources_of(start, min(end, max(service.until for service in services)))
        for source, low, high in parts:
            if source == "raw":
                report.rows[source] = _copy_raw(original, cursor, low, high, names)
                _store_raw(cursor, low, high)
                rebuild.write_level(
                    cursor, LEVELS[0], low, high, keys, source=lambda _: KEYED_RAW_SOURCE, from_raw=True, until=True
                )
                _rebuild_up_to_hour(cursor, 1, low, high, keys)
            else:
                level = LEVEL_BY_NAME[source]
                relation = f"requests_{source}"
                report.rows[source] = _copy_aggregates(original, cursor, relation, low, high, names)
                rebuild.write_level(
                    cursor,
                    level,
                    low,
                    high,
                    keys,
                    source=lambda _: KEYED_AGGREGATE_SOURCE,
                    from_raw=False,
                    materialisations=(FULL,),
                    until=True,
                )
                rebuild.derive_from_full(cursor, level, low, high, keys, until=True)
                _rebuild_up_to_hour(cursor, LEVELS.index(level) + 1, low, high, keys)
                cursor.execute(f"TRUNCATE {STAGING_AGGREGATE}")
        if parts:
            low, high = parts[0][1], parts[-1][2]
            for level in LEVELS[LEVELS.index(HOUR) + 1 :]:
                rebuild.write_level(cursor, level, floor_to(low, level), ceil_to(high, level), keys)
        ImportedDay.objects.create(history_import=record, day=day, rows=sum(report.rows.values()))
    return report


def _rebuild_up_to_hour(cursor, first_index: int, low: datetime, high: datetime, keys):
    """Levels from LEVELS[first_index] to 1hour over [low, high) (whole hours), each from the one below."""
    for level in LEVELS[first_index : LEVELS.index(HOUR) + 1]:
        rebuild.write_level(cursor, level, floor_to(low, level), ceil_to(high, level), keys, until=True)


def _store_raw(cursor, low: datetime, high: datetime):
    """Keep the raw rows of [low, high) that Malti's raw table still holds such a range for.

    The raw table holds every row from its oldest chunk on (refreshes rebuild
    from there): storing a row may add a chunk that starts before the rows
    stored, so the rows back to that chunk's start are stored too.
    """
    stored_from = high
    while True:
        held = max(low, source_holds_from(cursor, None))
        if held >= stored_from:
            return
        cursor.execute(STORE_RAW_SQL + STORE_RAW_WHERE, [held, stored_from])
        stored_from = held


def finish(import_plan: ImportPlan):
    """After the last day: the Apache refresher recomputes straddled coarse buckets, and watermarks move on."""
    from telemetry.edition import has_continuous_aggregates
    from telemetry.rollups import refresh

    record = import_plan.record
    if not has_continuous_aggregates():
        with connection.cursor() as cursor:
            for service in import_plan.services:
                for level in LEVELS[LEVELS.index(HOUR) + 1 :]:
                    cursor.execute(MARK_STRADDLING_SQL, [level.name, level.interval, service.until])
    if not record.finished_at:
        record.finished_at = clock.now()
        record.save(update_fields=["finished_at"])
    return refresh()


def run(original, import_plan: ImportPlan, on_day: Callable[[DayReport], None] | None = None) -> list[DayReport]:
    reports = []
    for day in import_plan.days:
        report = import_day(original, import_plan, day)
        reports.append(report)
        if on_day:
            on_day(report)
    return reports
