"""The metrics response: the seed's shape, computed from the rollups."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from telemetry.rollups.catalog import LEVEL_BY_NAME, Level
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

QUANTILES = (0.5, 0.9, 0.95, 0.99)
MAX_POINTS = 5000
REALTIME_MAX = timedelta(minutes=60)
# Far enough for any telemetry, near enough that range arithmetic cannot overflow.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


class BadParameter(ValueError):
    pass


def parse_time(name: str, value: str | None) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "+"))
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise BadParameter(f"{name} is not an ISO 8601 timestamp: {value[:40]!r}") from None
    if not EARLIEST <= moment <= LATEST:
        raise BadParameter(f"{name} must be between {EARLIEST.year} and {LATEST.year}.")
    return moment


@dataclass
class MetricsRequest:
    start: datetime
    end: datetime
    level: Level
    filters: dict
    service: str | None

    @classmethod
    def from_query(cls, params, now: datetime, *, realtime: bool = False) -> "MetricsRequest":
        end = parse_time("end_time", params.get("end_time")) or now
        default_span = REALTIME_MAX if realtime else timedelta(hours=24)
        start = parse_time("start_time", params.get("start_time")) or end - default_span
        if start >= end:
            raise BadParameter("start_time must be before end_time.")
        span = end - start
        interval = params.get("interval") or None
        if realtime:
            if span > REALTIME_MAX:
                raise BadParameter("The realtime endpoint covers at most 60 minutes; use /api/v1/metrics/aggregate.")
            if interval not in (None, "1min"):
                raise BadParameter("The realtime endpoint uses 1-minute buckets only.")
            level = LEVEL_BY_NAME["1min"]
        elif interval is not None:
            if interval not in LEVEL_BY_NAME:
                raise BadParameter(f"Unknown interval {interval!r}; use one of {', '.join(LEVEL_BY_NAME)}.")
            level = LEVEL_BY_NAME[interval]
        else:
            level = resolution_for(span)
        start, end = floor_to(start, level), ceil_to(end, level)
        if (end - start) / level.width > MAX_POINTS:
            raise BadParameter(
                f"{level.name} buckets over this range would be more than {MAX_POINTS} points; use a coarser interval."
            )
        filters = {}
        for dim in FILTER_DIMENSIONS:
            value = params.get(dim)
            if value not in (None, ""):
                if len(value) > 500:
                    raise BadParameter(f"{dim} is longer than 500 characters.")
                if not value.isprintable():
                    # Stored values never hold control characters (ingest strips them).
                    raise BadParameter(f"{dim} contains control characters.")
                filters[dim] = value.upper() if dim == "method" else value
        return cls(start=start, end=end, level=level, filters=filters, service=filters.pop("service", None))

    def scope(self, visible_services) -> Scope:
        services = tuple(visible_services)
        if self.service is not None:
            # A service the user cannot see yields no data, never its data.
            services = (self.service,) if self.service in services else ()
        return Scope(services=services, start=self.start, end=self.end, level=self.level, filters=dict(self.filters))


def _avg(row):
    return round(row["time_sum"] / row["count"], 2) if row and row["count"] else None


def _rate(part, whole):
    return round(100.0 * part / whole, 2) if whole else 0.0


def _latency(row) -> dict:
    if not row or not row["count"]:
        return {key: None for key in ("avg", "min", "max", "p50", "p90", "p95", "p99")}
    p50, p90, p95, p99 = percentiles(row["histogram"], QUANTILES, row["time_min"], row["time_max"])
    return {
        "avg": _avg(row),
        "min": row["time_min"],
        "max": row["time_max"],
        "p50": p50,
        "p90": p90,
        "p95": p95,
        "p99": p99,
    }


def _overall(rows) -> dict | None:
    """The measures of several groups taken together (the summary from the per-service rows)."""
    rows = [row for row in rows if row["count"]]
    if not rows:
        return None
    total = {
        key: sum(row[key] for row in rows) for key in ("count", "time_sum", "errors", "client_errors", "server_errors")
    }
    total["time_min"] = min(row["time_min"] for row in rows)
    total["time_max"] = max(row["time_max"] for row in rows)
    total["histogram"] = merge(row["histogram"] for row in rows)
    return total


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def build_response(request: MetricsRequest, visible_services, thresholds: dict | None = None) -> dict:
    scope = request.scope(visible_services)
    reader = MetricsReader(scope)
    with SideBySide() as queries:
        # Slowest first, so the two threads finish close together.
        series = queries.submit(reader.time_series)
        endpoint_rows = queries.submit(reader.grouped, ("service", "method", "endpoint"))
        consumer_rows = queries.submit(reader.grouped, ("consumer",), latency=False)
        service_rows = queries.submit(reader.grouped, ("service",), limit=None)
        status_rows = queries.submit(reader.counts, ("service", "status"))
        nodes = queries.submit(reader.distinct, "node")
        contexts = queries.submit(reader.distinct, "context")
    by_bucket = {row["t"]: row for row in series.result()}
    service_rows = service_rows.result()
    total = _overall(service_rows)

    time_series = []
    moment = scope.start
    while moment < scope.end:
        row = by_bucket.get(moment)
        latency = _latency(row)
        time_series.append(
            {
                "timestamp": _iso(moment),
                "count": row["count"] if row else 0,
                "error_count": row["errors"] if row else 0,
                "avg_response_time": latency["avg"],
                "min_response_time": latency["min"],
                "max_response_time": latency["max"],
                "p50_response_time": latency["p50"],
                "p90_response_time": latency["p90"],
                "p95_response_time": latency["p95"],
                "p99_response_time": latency["p99"],
            }
        )
        moment += scope.level.width

    total_count = total["count"] if total else 0
    errors = total["errors"] if total else 0
    minutes = (scope.end - scope.start).total_seconds() / 60
    latency = _latency(total)
    summary = {
        "total_requests": total_count,
        "requests_per_minute": round(total_count / minutes, 2) if minutes else 0.0,
        "avg_response_time": latency["avg"],
        "min_response_time": latency["min"],
        "max_response_time": latency["max"],
        "p50_response_time": latency["p50"],
        "p90_response_time": latency["p90"],
        "p95_response_time": latency["p95"],
        "p99_response_time": latency["p99"],
        "error_count": errors,
        "error_rate": _rate(errors, total_count),
        "client_error_count": total["client_errors"] if total else 0,
        "server_error_count": total["server_errors"] if total else 0,
    }

    endpoints = []
    for row in endpoint_rows.result():
        endpoint_latency = _latency(row)
        endpoints.append(
            {
                "service": row["service"],
                "endpoint": row["endpoint"],
                "method": row["method"],
                "count": row["count"],
                "avg_response_time": endpoint_latency["avg"],
                "p95_response_time": endpoint_latency["p95"],
                "error_count": row["errors"],
                "error_rate": _rate(row["errors"], row["count"]),
            }
        )
    consumers = [
        {
            "consumer": row["consumer"],
            "count": row["count"],
            "success_count": row["count"] - row["errors"],
            "error_count": row["errors"],
            "avg_response_time": _avg(row),
        }
        for row in consumer_rows.result()
    ]
    services = []
    for row in service_rows:
        service_latency = _latency(row)
        services.append(
            {
                "service": row["service"],
                "count": row["count"],
                "error_count": row["errors"],
                "error_rate": _rate(row["errors"], row["count"]),
                "avg_response_time": service_latency["avg"],
                "p95_response_time": service_latency["p95"],
            }
        )
    return {
        "start_time": _iso(scope.start),
        "end_time": _iso(scope.end),
        "interval": scope.level.name,
        "time_series": time_series,
        "metrics_summary": summary,
        "endpoints": endpoints,
        "status_distribution": [
            {"service": row["service"], "status": row["status"], "count": row["count"]} for row in status_rows.result()
        ],
        "consumers": consumers,
        "system_overview": {
            "total_services": len(services),
            "total_requests": total_count,
            "error_rate": summary["error_rate"],
            "avg_response_time": summary["avg_response_time"],
            "services": services,
        },
        "distinct_nodes": nodes.result(),
        "distinct_contexts": contexts.result(),
    }


def filter_values(request: MetricsRequest, visible_services) -> dict:
    """Values each filter can take in the range, given the other filters."""
    values = {}
    with SideBySide() as queries:
        for dim in FILTER_DIMENSIONS:
            others = dict(request.filters)
            others.pop(dim, None)
            narrowed = MetricsRequest(
                start=request.start,
                end=request.end,
                level=request.level,
                filters=others,
                service=None if dim == "service" else request.service,
            )
            values[f"{dim}s"] = queries.submit(MetricsReader(narrowed.scope(visible_services)).distinct, dim)
    return {key: future.result() for key, future in values.items()}
