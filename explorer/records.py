"""The records behind a chart: raw rows where raw retention still holds them, the sample before that.

One straight line, like telemetry/metrics.py: parse() turns query parameters
into a Query, read() fetches one page, shape() builds the answer.

Pagination is by keyset, never offset. Newest first orders by (created_at,
row): a raw row is named by its chunk and its place in it (tableoid, ctid; raw
rows are never updated, so that place is stable), a sampled one by its id.
Slowest first puts response_time in front. A cursor holds the last key and
also the first page's range and raw horizon, so records ingested between
pages cannot move the pages still to come, and a record is never in both
sources: raw answers for [horizon, end), the sample for [start, horizon).
"""

import base64
import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import orjson

from explorer.sampling import sample_note
from telemetry.metrics import BadParameter, parse_filters, parse_time
from telemetry.models.cardinality import GUARDED_DIMENSIONS
from telemetry.models.raw import MAX_RESPONSE_TIME_MS, STATUS_RANGE
from telemetry.retention_cache import raw_retention
from telemetry.rollups.catalog import LEVEL_BY_NAME
from telemetry.rollups.query import MetricsReader, Scope, SideBySide, reads_cursor

RAW, SAMPLE = "raw", "sample"
SORTS = ("time", "latency")
STATUS_CLASSES = {"2xx": (200, 300), "3xx": (300, 400), "4xx": (400, 500), "5xx": (500, 600), "error": (400, None)}
DEFAULT_SPAN = timedelta(hours=1)
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
# Newest first over raw rows, which have only a BRIN index on time: read backwards in windows
# that grow fourfold until the page is full, so a busy hour costs a minute's rows, not the hour's.
FIRST_WINDOW = timedelta(minutes=1)
WINDOW_GROWTH = 4
ONE_TICK = timedelta(microseconds=1)

RECORD_COLUMNS = (
    "created_at",
    "service",
    "node",
    "method",
    "endpoint",
    "status",
    "response_time",
    "consumer",
    "context",
)
# Raw rows hold what was sent in <dimension>_original where the cardinality guard stored another value.
RAW_RECORD_COLUMNS = tuple(
    f"coalesce({column}_original, {column}) AS {column}" if column in GUARDED_DIMENSIONS else column
    for column in RECORD_COLUMNS
)
PAGE_SQL = (
    "SELECT {columns}, {row} AS row FROM {relation} "
    "WHERE created_at >= %s AND created_at < %s AND service = ANY(%s){filters}{after} ORDER BY {order} LIMIT %s"
)
RAW_ROW = "ARRAY[tableoid::bigint::text, ctid::text]"  # a raw row's place: its chunk, and where in it
RAW_ROW_KEY = "tableoid, ctid"
RAW_ROW_PARAMS = "%s::oid, %s::tid"
SAMPLE_ROW = "ARRAY[id::text]"
SAMPLE_ROW_KEY = "id"
SAMPLE_ROW_PARAMS = "%s::bigint"
RAW_COUNT_SQL = (
    "SELECT count(*) FROM requests WHERE created_at >= %s AND created_at < %s AND service = ANY(%s){filters}"
)


@dataclass(frozen=True)
class Position:
    """The last record of a page: where the next one starts."""

    source: str
    created_at: datetime
    response_time: int
    row: tuple  # raw: (chunk oid, ctid); sample: (id,)


@dataclass(frozen=True)
class Query:
    start: datetime
    end: datetime
    horizon: datetime  # raw holds [horizon, now); the sample what is older
    filters: dict  # dimension -> value, as the metrics API takes them (service by name)
    status: int | None = None
    status_class: str | None = None
    min_latency: int | None = None
    sort: str = "time"
    limit: int = DEFAULT_LIMIT
    after: Position | None = None
    total: int | None = None  # carried from the first page, which counted
    counted: bool = False

    def parts(self) -> list[tuple[str, datetime, datetime]]:
        """(source, start, end) of the range, newest first."""
        parts = []
        if self.end > self.horizon:
            parts.append((RAW, max(self.start, self.horizon), self.end))
        if self.start < self.horizon:
            parts.append((SAMPLE, self.start, min(self.end, self.horizon)))
        return parts

    @property
    def source(self) -> str:
        sources = [source for source, _, _ in self.parts()]
        return sources[0] if len(sources) == 1 else "mixed"

    def fingerprint(self) -> str:
        """What a cursor must be used with: the same filters and sort."""
        asked = [sorted(self.filters.items()), self.status, self.status_class, self.min_latency, self.sort]
        return hashlib.sha256(orjson.dumps(asked)).hexdigest()[:16]


@dataclass
class Page:
    records: list[dict] = field(default_factory=list)  # services still by stored key
    next: Position | None = None


# --- parse ---------------------------------------------------------------------------


def _integer(params, name: str, low: int, high: int) -> int | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except ValueError:
        raise BadParameter(f"{name} must be a whole number, got {value[:40]!r}.") from None
    if not low <= number <= high:
        raise BadParameter(f"{name} must be between {low} and {high}.")
    return number


def parse(params, now: datetime) -> Query:
    """The Query a request's parameters ask for; BadParameter says what is wrong."""
    sort = params.get("sort") or None
    if sort is not None and sort not in SORTS:
        raise BadParameter(f"sort must be one of {', '.join(SORTS)}.")
    status_class = params.get("status_class") or None
    if status_class is not None and status_class not in STATUS_CLASSES:
        raise BadParameter(f"status_class must be one of {', '.join(STATUS_CLASSES)}.")
    asked = {
        "filters": parse_filters(params),
        "status": _integer(params, "status", *STATUS_RANGE),
        "status_class": status_class,
        "min_latency": _integer(params, "min_latency", 0, MAX_RESPONSE_TIME_MS),
        "limit": _integer(params, "limit", 1, MAX_LIMIT) or DEFAULT_LIMIT,
    }
    if params.get("cursor"):
        return _resume(params["cursor"], sort, asked)
    end = parse_time("end_time", params.get("end_time")) or now
    start = parse_time("start_time", params.get("start_time")) or end - DEFAULT_SPAN
    if start >= end:
        raise BadParameter("start_time must be before end_time.")
    return Query(start=start, end=end, horizon=now - raw_retention(), sort=sort or "time", **asked)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def encode_cursor(query: Query, position: Position) -> str:
    state = {
        "range": [_iso(query.start), _iso(query.end), _iso(query.horizon)],
        "for": query.fingerprint(),
        "total": query.total,
        "at": [position.source, _iso(position.created_at), position.response_time, list(position.row)],
    }
    return base64.urlsafe_b64encode(orjson.dumps(state)).decode().rstrip("=")


def _resume(cursor: str, sort: str | None, asked: dict) -> Query:
    """The first page's query, continued after the cursor's record."""
    try:
        state = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        start, end, horizon = (datetime.fromisoformat(moment) for moment in state["range"])
        source, created_at, response_time, row = state["at"]
        total = state["total"]
        position = Position(source, datetime.fromisoformat(created_at), int(response_time), tuple(row))
        valid = (
            source in (RAW, SAMPLE)
            and _is_row(source, row)
            and (total is None or isinstance(total, int))
            and all(moment.tzinfo is not None for moment in (start, end, horizon, position.created_at))
        )
    except (ValueError, TypeError, KeyError, orjson.JSONDecodeError):
        valid = False
    if not valid:
        raise BadParameter("cursor is not one this API gave (or it was cut short).")
    for candidate in SORTS:
        query = Query(start, end, horizon, sort=candidate, after=position, total=total, counted=True, **asked)
        if query.fingerprint() == state["for"] and sort in (None, candidate):
            return query
    raise BadParameter("cursor belongs to a query with other filters or another sort; start again without it.")


def _is_row(source: str, row) -> bool:
    """A row key as read() makes them: raw (chunk oid, "(block,offset)"), sample (id,)."""
    if not isinstance(row, list) or not all(isinstance(part, str) for part in row):
        return False
    if source == SAMPLE:
        return len(row) == 1 and _is_number(row[0], 2**63)
    place = re.fullmatch(r"\((\d{1,10}),(\d{1,5})\)", row[1]) if len(row) == 2 else None
    return place is not None and _is_number(row[0], 2**32) and int(place[1]) < 2**32 and int(place[2]) < 2**16


def _is_number(text: str, below: int) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 19 and int(text) < below


# --- read ----------------------------------------------------------------------------


def _keys(query: Query, visible: dict[str, str]) -> list[str]:
    """The stored keys to read: every visible service, or those the service filter names."""
    wanted = query.filters.get("service")
    return [key for key, name in visible.items() if wanted in (None, name)]


def _conditions(query: Query) -> tuple[str, list]:
    sql, params = "", []
    for dim, value in query.filters.items():
        if dim != "service":
            sql += f" AND {dim} = %s"
            params.append(value)
    if query.status is not None:
        sql += " AND status = %s"
        params.append(query.status)
    if query.status_class is not None:
        low, high = STATUS_CLASSES[query.status_class]
        sql += " AND status >= %s" + ("" if high is None else " AND status < %s")
        params += [low] if high is None else [low, high]
    if query.min_latency is not None:
        sql += " AND response_time >= %s"
        params.append(query.min_latency)
    return sql, params


def _after(query: Query, source: str) -> tuple[str, list]:
    """Rows of `source` that come after the cursor's record in the query's order."""
    at = query.after
    if at is None:
        return "", []
    sort_key, sort_params = ("response_time, ", [at.response_time]) if query.sort == "latency" else ("", [])
    if at.source != source:
        # The sources hold disjoint times, so time (after latency) alone places every row of the other one.
        return f" AND ({sort_key}created_at) < ({'%s, ' * len(sort_params)}%s)", [*sort_params, at.created_at]
    row_key, row_params = (RAW_ROW_KEY, RAW_ROW_PARAMS) if source == RAW else (SAMPLE_ROW_KEY, SAMPLE_ROW_PARAMS)
    placeholders = "%s, " * len(sort_params) + "%s, " + row_params
    return f" AND ({sort_key}created_at, {row_key}) < ({placeholders})", [*sort_params, at.created_at, *at.row]


def _order(query: Query, source: str) -> str:
    row_order = "tableoid DESC, ctid DESC" if source == RAW else "id DESC"
    return ("response_time DESC, " if query.sort == "latency" else "") + f"created_at DESC, {row_order}"


def _fetch(cursor, query: Query, source: str, keys, start: datetime, end: datetime, count: int) -> list[dict]:
    filters, filter_params = _conditions(query)
    after, after_params = _after(query, source)
    sql = PAGE_SQL.format(
        columns=", ".join(RAW_RECORD_COLUMNS if source == RAW else RECORD_COLUMNS),
        row=RAW_ROW if source == RAW else SAMPLE_ROW,
        relation="requests" if source == RAW else "request_samples",
        filters=filters,
        after=after,
        order=_order(query, source),
    )
    cursor.execute(sql, [start, end, keys, *filter_params, *after_params, count])
    names = [column.name for column in cursor.description]
    return [{**dict(zip(names, row, strict=True)), "source": source} for row in cursor.fetchall()]


def _newest_raw(cursor, query: Query, keys, start: datetime, end: datetime, count: int) -> list[dict]:
    """Newest raw rows first, window by window back from the end (or from the cursor's record)."""
    if query.after is not None and query.after.source == RAW:
        end = min(end, query.after.created_at + ONE_TICK)
    found, width = [], FIRST_WINDOW
    while end > start and len(found) < count:
        low = max(start, end - width)
        found += _fetch(cursor, query, RAW, keys, low, end, count - len(found))
        end, width = low, width * WINDOW_GROWTH
    return found


def _sort_key(record: dict):
    return (record["response_time"], record["created_at"])


def _page(cursor, query: Query, keys) -> list[dict]:
    """limit + 1 records after the cursor, in the query's order (one more: is there a next page?)."""
    want = query.limit + 1
    records = []
    for source, start, end in query.parts():
        if query.after is not None and query.after.source == SAMPLE and source == RAW and query.sort == "time":
            continue  # newest first: raw rows all came before the sample's
        if query.sort == "time":
            if len(records) >= want:
                break
            fetch = _newest_raw if source == RAW else _fetch_sample
            records += fetch(cursor, query, keys, start, end, want - len(records))
        else:
            records += _fetch(cursor, query, source, keys, start, end, want)
    if query.sort == "latency":
        # Both sources' slowest, merged; times differ between sources, so no tie crosses them.
        records.sort(key=_sort_key, reverse=True)
    return records[:want]


def _fetch_sample(cursor, query: Query, keys, start: datetime, end: datetime, count: int) -> list[dict]:
    return _fetch(cursor, query, SAMPLE, keys, start, end, count)


def count_total(query: Query, keys) -> int | None:
    """How many records match, when every one of them is still raw (None otherwise).

    Without a latency filter the rollups count them, as the metrics API does (and
    to the same number), with raw rows for unaligned edges; else raw rows are counted.
    """
    if query.source != RAW:
        return None
    if query.min_latency is None:
        scope = Scope(query.start, query.end, LEVEL_BY_NAME["1min"], query.filters)
        counts = MetricsReader(scope, tuple(keys)).counts(("status",))
        return sum(row["count"] for row in counts if _status_matches(query, row["status"]))
    filters, params = _conditions(query)
    with reads_cursor() as cursor:
        cursor.execute(RAW_COUNT_SQL.format(filters=filters), [query.start, query.end, keys, *params])
        return cursor.fetchone()[0]


def _status_matches(query: Query, status: int) -> bool:
    if query.status is not None and status != query.status:
        return False
    if query.status_class is not None:
        low, high = STATUS_CLASSES[query.status_class]
        return status >= low and (high is None or status < high)
    return True


def _read_page(query: Query, keys) -> Page:
    with reads_cursor() as cursor:
        records = _page(cursor, query, keys)
    page = Page(records[: query.limit])
    if len(records) > query.limit:
        last = page.records[-1]
        page.next = Position(last["source"], last["created_at"], last["response_time"], tuple(last["row"]))
    return page


def read(query: Query, visible: dict[str, str]) -> tuple[Query, Page]:
    """One page of records and, on the first page, the total, side by side; services by stored key."""
    keys = _keys(query, visible)
    if not keys:
        return replace(query, total=0 if query.source == RAW else None, counted=True), Page()
    with SideBySide() as queries:
        page = queries.submit(_read_page, query, keys)
        total = None if query.counted else queries.submit(count_total, query, keys)
    if total is not None:
        query = replace(query, total=total.result(), counted=True)
    return query, page.result()


# --- shape ---------------------------------------------------------------------------


def shape(query: Query, page: Page, visible: dict[str, str]) -> dict:
    """The answer from what read() found."""
    from_sample = query.source != RAW
    return {
        "requests": [
            {
                **{column: record[column] for column in RECORD_COLUMNS},
                "created_at": _iso(record["created_at"]),
                "service": visible[record["service"]],
                "source": record["source"],
            }
            for record in page.records
        ],
        "next_cursor": encode_cursor(query, page.next) if page.next else None,
        "source": query.source,
        "sampled": any(record["source"] == SAMPLE for record in page.records),
        "sample_note": sample_note() if from_sample else None,
        "total": query.total,
        "start_time": _iso(query.start),
        "end_time": _iso(query.end),
        "sort": query.sort,
    }


def build_response(params, now: datetime, visible: dict[str, str]) -> dict:
    query, page = read(parse(params, now), visible)
    return shape(query, page, visible)
