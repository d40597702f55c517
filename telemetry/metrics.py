"""The metrics response, in the original Malti's vocabulary, computed from the rollups.

One straight line: parse() turns query parameters into a Scope, read() runs the
statements side by side, shape() builds the response. Services are stored by
key and shown by name: `visible` (stored key -> display name, the services the
caller may read) is applied here only, in _keys() and _by_name().
"""

import re
from datetime import UTC, datetime, timedelta

from objectives.apdex import apdex_value, row_apdex_score
from objectives.models import ServiceObjectives
from telemetry.models import CardinalityOverflow, HistoryImport
from telemetry.rollups.catalog import LEVEL_BY_NAME
from telemetry.rollups.histogram import merge, percentiles
from telemetry.rollups.query import (
    FILTER_DIMENSIONS,
    MetricsReader,
    Scope,
    SideBySide,
    ceil_to,
    floor_to,
    resolution_for,
)

QUANTILES = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}
LATENCIES = ("min", "avg", "p50", "p90", "p95", "p99", "max")
MAX_POINTS = 5000
MAX_FILTER_LENGTH = 500
REALTIME_MAX = timedelta(minutes=60)
# Far enough for any telemetry, near enough that range arithmetic cannot overflow.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
# What ingest strips from strings (Unicode category Cc), so no stored value holds it.
# Everything else (NBSP, zero-width, bidi marks) can be stored, so can be asked for.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")
MEASURED = ("count", "time_sum", "errors", "client_errors", "server_errors")
# satisfied + tolerating / 2 (objectives/apdex.py): additive, so services with different Apdex targets combine.
APDEX_SCORE = "apdex_score"


class BadParameter(ValueError):
    """A query parameter the metrics cannot be computed for (answered 422, as the original does)."""


def parse_time(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None  # absent: the default (present but empty is not a timestamp, as in the original)
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "+"))
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise BadParameter(f"{name} is not an ISO 8601 timestamp: {value[:40]!r}") from None
    # No telemetry lies outside these: a valid timestamp beyond them asks for the same data.
    return min(max(moment, EARLIEST), LATEST)


def parse_filters(params) -> dict:
    filters = {}
    for dim in FILTER_DIMENSIONS:
        value = params.get(dim)
        if value in (None, ""):
            continue
        if len(value) > MAX_FILTER_LENGTH:
            raise BadParameter(f"{dim} is longer than {MAX_FILTER_LENGTH} characters.")
        if CONTROL_CHARACTERS.search(value):
            raise BadParameter(f"{dim} contains control characters, which no stored value holds.")
        filters[dim] = value.upper() if dim == "method" else value
    return filters


def parse(params, now: datetime, *, realtime: bool = False) -> Scope:
    """The Scope a request's query parameters ask for; BadParameter says what is wrong."""
    end = parse_time("end_time", params.get("end_time")) or now
    default_span = REALTIME_MAX if realtime else timedelta(hours=24)
    start = parse_time("start_time", params.get("start_time")) or end - default_span
    if start >= end:
        raise BadParameter("start_time must be before end_time.")
    interval = params.get("interval") or None
    if realtime:
        if end - start > REALTIME_MAX:
            raise BadParameter("The realtime endpoint covers at most 60 minutes; use /api/v1/metrics/aggregate.")
        if interval not in (None, "1min"):
            raise BadParameter("The realtime endpoint uses 1-minute buckets only (interval 1min).")
        interval = "1min"
    if interval is not None and interval not in LEVEL_BY_NAME:
        raise BadParameter(f"Unknown interval {interval!r}; use one of {', '.join(LEVEL_BY_NAME)}.")
    level = LEVEL_BY_NAME[interval] if interval else resolution_for(end - start)
    start, end = floor_to(start, level), ceil_to(end, level)
    if (end - start) / level.width > MAX_POINTS:
        raise BadParameter(
            f"{level.name} buckets over this range would be more than {MAX_POINTS} points; use a coarser interval."
        )
    return Scope(start=start, end=end, level=level, filters=parse_filters(params))


# --- services: stored keys in, display names out ---------------------------------------


def _keys(scope: Scope, visible: dict[str, str]) -> tuple[str, ...]:
    """The stored keys a scope reads: every visible one, or those named as the service filter asks."""
    # A name the caller cannot see matches no key: no data, never someone else's.
    wanted = scope.filters.get("service")
    return tuple(key for key, name in visible.items() if wanted in (None, name))


def _by_name(rows, visible: dict[str, str], dims: tuple[str, ...]) -> list[dict]:
    """Rows grouped by `dims` (service among them) with the service's name; same-named services merge."""
    groups = {}
    for row in rows:
        named = {**row, "service": visible[row["service"]]}
        groups.setdefault(tuple(named[dim] for dim in dims), []).append(named)
    merged = [{**dict(zip(dims, key, strict=True)), **_overall(group)} for key, group in groups.items()]
    return sorted(merged, key=lambda row: -row["count"])  # stable: ties keep the statement's order


# --- read ----------------------------------------------------------------------------


def _with_apdex(rows, thresholds: dict[str, int]) -> list[dict]:
    """Each row (one stored service's) with its Apdex score under that service's own T."""
    for row in rows:
        row[APDEX_SCORE] = row_apdex_score(row, thresholds[row["service"]])
    return rows


def _series_with_apdex(rows, thresholds: dict[str, int]) -> list[dict]:
    """One row per bucket with its Apdex score: per service first when the services' targets differ."""
    if len(set(thresholds.values())) <= 1:
        t_ms = next(iter(thresholds.values()), None)
        return [{**row, APDEX_SCORE: row_apdex_score(row, t_ms)} for row in rows]
    buckets = {}
    for row in _with_apdex(rows, thresholds):
        buckets.setdefault(row["t"], []).append(row)
    return [{"t": moment, **_overall(group)} for moment, group in buckets.items()]


def read(scope: Scope, visible: dict[str, str]) -> dict:
    """Every statement the response needs, run side by side; services by name."""
    keys = _keys(scope, visible)
    reader = MetricsReader(scope, keys)
    thresholds = ServiceObjectives.objects.apdex_thresholds(keys)
    # One Apdex target for every service read: the merged buckets suffice.
    series_by_service = len(set(thresholds.values())) > 1
    with SideBySide() as queries:
        # Slowest first, so the threads finish close together.
        futures = {
            "series": queries.submit(reader.time_series, by_service=series_by_service),
            "endpoints": queries.submit(reader.grouped, ("service", "method", "endpoint")),
            "consumers": queries.submit(reader.grouped, ("consumer",), latency=False),
            "services": queries.submit(reader.grouped, ("service",), limit=None),
            "statuses": queries.submit(reader.counts, ("service", "status")),
            "nodes": queries.submit(reader.distinct, "node"),
            "contexts": queries.submit(reader.distinct, "context"),
        }
    found = {name: future.result() for name, future in futures.items()}
    found["estimated"] = HistoryImport.objects.estimated_spans(keys)
    found["limits_hit"] = [
        {**hit, "service": visible[hit["service"]]} for hit in CardinalityOverflow.objects.described(keys)
    ]
    found["series"] = _series_with_apdex(found["series"], thresholds)
    endpoints = _with_apdex(found["endpoints"], thresholds)
    found["endpoints"] = _by_name(endpoints, visible, ("service", "method", "endpoint"))
    found["services"] = _by_name(_with_apdex(found["services"], thresholds), visible, ("service",))
    found["statuses"] = [{**row, "service": visible[row["service"]]} for row in found["statuses"]]
    return found


def filter_values(scope: Scope, visible: dict[str, str]) -> dict:
    """Values each filter can take in the range, given the other filters."""
    with SideBySide() as queries:
        futures = {}
        for dim in FILTER_DIMENSIONS:
            others = scope.without(dim)  # a filter does not narrow its own list
            futures[dim] = queries.submit(MetricsReader(others, _keys(others, visible)).distinct, dim)
    values = {f"{dim}s": future.result() for dim, future in futures.items()}
    values["services"] = sorted({visible[key] for key in values["services"]})
    return values


# --- shape ---------------------------------------------------------------------------


def _overall(rows) -> dict:
    """The measures of several groups taken together; zero requests when there are none."""
    rows = [row for row in rows if row["count"]]
    if not rows:
        return dict.fromkeys(MEASURED, 0)
    total = {key: sum(row[key] for row in rows) for key in MEASURED}
    total["time_min"] = min(row["time_min"] for row in rows)
    total["time_max"] = max(row["time_max"] for row in rows)
    if all("histogram" in row for row in rows):
        total["histogram"] = merge(row["histogram"] for row in rows)
    if all(row.get(APDEX_SCORE) is not None for row in rows):
        total[APDEX_SCORE] = sum(row[APDEX_SCORE] for row in rows)
    return total


def _rate(part, whole) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0


def _latency(row, *which: str) -> dict:
    """`<which>_latency` in milliseconds (floats), over every request of the row; None without requests."""
    which = which or LATENCIES
    measured = {}
    if row and row.get("count"):
        measured = {"min": row["time_min"], "avg": row["time_sum"] / row["count"], "max": row["time_max"]}
        asked = [name for name in QUANTILES if name in which]
        if asked and row.get("histogram") is not None:
            quantiles = [QUANTILES[name] for name in asked]
            estimates = percentiles(row["histogram"], quantiles, row["time_min"], row["time_max"])
            measured.update(zip(asked, estimates, strict=True))
    return {f"{name}_latency": _ms(measured.get(name)) for name in which}


def _apdex(row) -> dict:
    """`apdex` (0..1) under each service's own target; None without requests."""
    return {"apdex": apdex_value(row.get(APDEX_SCORE), row["count"]) if row else None}


def _ms(value) -> float | None:
    return None if value is None else round(float(value), 2)


def _counts(row) -> dict:
    return {
        "total_requests": row["count"],
        "error_count": row["errors"],
        "error_rate": _rate(row["errors"], row["count"]),
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _estimated(spans, start: datetime, end: datetime) -> bool:
    """Whether [start, end) has percentiles estimated from an original Malti's imported aggregates."""
    return any(low < end and start < high for _, low, high in spans)


def _time_series(scope: Scope, rows, spans) -> list[dict]:
    """One point per bucket of the range, empty ones included."""
    by_bucket = {row["t"]: row for row in rows}
    points = []
    moment = scope.start
    while moment < scope.end:
        row = by_bucket.get(moment)
        point = {"bucket": _iso(moment), "total_requests": row["count"] if row else 0, **_latency(row)}
        point["percentiles_estimated"] = _estimated(spans, moment, moment + scope.level.width)
        point["error_count"] = row["errors"] if row else 0
        point.update(_apdex(row))
        points.append(point)
        moment += scope.level.width
    return points


def _summary(scope: Scope, total: dict) -> dict:
    minutes = (scope.end - scope.start).total_seconds() / 60
    return {
        "total_requests": total["count"],
        **_latency(total),
        **_apdex(total),
        "requests_per_minute": round(total["count"] / minutes, 2),
        **_counts(total),
        "client_error_count": total["client_errors"],
        "server_error_count": total["server_errors"],
    }


def _status_distribution(rows) -> list[dict]:
    """One object per service: its status classes and every code's count, busiest service first."""
    services = {}
    for row in rows:
        entry = services.setdefault(
            row["service"],
            {
                "service": row["service"],
                "total_requests": 0,
                "success_2xx": 0,
                "warning_3xx": 0,
                "error_4xx_5xx": 0,
                "status_breakdown": {},
            },
        )
        status, count = row["status"], row["count"]
        entry["total_requests"] += count
        if 200 <= status < 300:
            entry["success_2xx"] += count
        elif 300 <= status < 400:
            entry["warning_3xx"] += count
        elif status >= 400:
            entry["error_4xx_5xx"] += count
        breakdown = entry["status_breakdown"]
        breakdown[str(status)] = breakdown.get(str(status), 0) + count
    return sorted(services.values(), key=lambda entry: (-entry["total_requests"], entry["service"]))


def _overview(total: dict, services) -> dict:
    return {
        "total_requests": total["count"],
        "total_errors": total["errors"],
        "error_rate": _rate(total["errors"], total["count"]),
        **_latency(total, "avg"),
        "total_services": len(services),
        "services": [
            {"service": row["service"], **_counts(row), **_latency(row, "avg", "p95"), **_apdex(row)}
            for row in services
        ],
    }


def shape(scope: Scope, found: dict) -> dict:
    """The response from what read() found."""
    total = _overall(found["services"])
    return {
        "start_time": _iso(scope.start),
        "end_time": _iso(scope.end),
        "interval": scope.level.name,
        "percentiles_estimated": _estimated(found["estimated"], scope.start, scope.end),
        "time_series": _time_series(scope, found["series"], found["estimated"]),
        "metrics_summary": _summary(scope, total),
        "endpoints": [
            {"endpoint": row["endpoint"], "method": row["method"], "service": row["service"], **_counts(row)}
            | _latency(row, "avg", "p95")
            | _apdex(row)
            for row in found["endpoints"]
        ],
        "status_distribution": _status_distribution(found["statuses"]),
        "consumers": [
            {"consumer": row["consumer"], **_counts(row), "success_count": row["count"] - row["errors"]}
            | _latency(row, "avg")
            for row in found["consumers"]
        ],
        "system_overview": _overview(total, found["services"]),
        "distinct_nodes": found["nodes"],
        "distinct_contexts": found["contexts"],
        "cardinality_limits": [
            {**hit, "since": _iso(hit["since"]), "last_folded": _iso(hit["last_folded"])}
            for hit in found["limits_hit"]
        ],
    }


def build_response(scope: Scope, visible: dict[str, str]) -> dict:
    return shape(scope, read(scope, visible))
