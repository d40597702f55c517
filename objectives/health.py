"""A service's health from the rollups: Apdex over any scope, and its objectives over 30 days.

Objectives follow the SRE workbook. An objective of 99.9 % allows 0.1 % of a
window's requests to be bad: that allowance is the error budget. A burn rate
is how fast a window spends it: its share of bad requests over the allowed
share (1: the budget lasts exactly the 30 days; 14.4 over one hour: 2 % of the
month's budget gone in that hour). Multi-window alerts fire only while a long
window *and* a short one burn fast: the long one proves it matters, the short
one that it is still happening, so the alert resolves soon after the cause.

Bad requests: status >= 500 for availability (4xx are the caller's mistake);
response time above the threshold for latency, estimated from the histogram
as Apdex is (objectives/apdex.py). Every figure reads the rollups (whole weeks,
days and hours where they fit) plus raw rows for the newest minutes, through the
metrics query layer, so it sees what the dashboard sees.
"""

from datetime import datetime, timedelta
from typing import NamedTuple

from objectives.apdex import apdex_value, at_most, row_apdex_score
from objectives.models import ServiceObjectives
from telemetry.rollups.catalog import LEVELS
from telemetry.rollups.query import FILTER_DIMENSIONS, MetricsReader, Scope, SideBySide

WINDOW = timedelta(days=ServiceObjectives.WINDOW_DAYS)
BURN_WINDOWS = {
    "1h": timedelta(hours=1),
    "5m": timedelta(minutes=5),
    "6h": timedelta(hours=6),
    "30m": timedelta(minutes=30),
}
OBJECTIVES = ("availability", "latency")
SCOPE_FILTERS = tuple(dim for dim in FILTER_DIMENSIONS if dim != "service")


class BurnCondition(NamedTuple):
    speed: str
    long_window: str
    short_window: str
    threshold: float


# The SRE workbook's pair for a 30-day objective: 2 % of the budget in an hour, 5 % in six hours.
BURN_CONDITIONS = (BurnCondition("fast", "1h", "5m", 14.4), BurnCondition("slow", "6h", "30m", 6.0))


class ApdexReading(NamedTuple):
    value: float | None  # 0..1; None without requests
    total_requests: int


class BurnAlert(NamedTuple):
    objective: str  # "availability" or "latency"
    speed: str  # "fast" or "slow"
    long_rate: float
    short_rate: float
    threshold: float


def _rows_by_key(keys, start: datetime, end: datetime, filters=None) -> dict[str, dict]:
    """Counts, error counts, min/max and histogram per stored service key over [start, end)."""
    keys = tuple(keys)
    if not keys:
        return {}
    unknown = set(filters or ()) - set(SCOPE_FILTERS)
    if unknown:
        raise ValueError(f"unknown filters {sorted(unknown)}; use {', '.join(SCOPE_FILTERS)}")
    scope = Scope(start=start, end=end, level=LEVELS[0], filters=dict(filters or {}))
    rows = MetricsReader(scope, keys).grouped(("service",), limit=None)
    return {row["service"]: row for row in rows}


def apdex(services, start: datetime, end: datetime, filters=None) -> ApdexReading:
    """Apdex of the services over [start, end), each under its own T, combined by request counts.

    `filters`: {"endpoint"|"method"|"consumer"|"node"|"context": value}, exact matches as the metrics take.
    """
    keys = [service.telemetry_key for service in services]
    thresholds = ServiceObjectives.objects.apdex_thresholds(keys)
    rows = _rows_by_key(keys, start, end, filters).values()
    total = sum(row["count"] for row in rows)
    scores = [row_apdex_score(row, thresholds[row["service"]]) for row in rows]
    score = None if None in scores else sum(scores)
    return ApdexReading(apdex_value(score, total), total)


def bad_requests(objectives: ServiceObjectives, objective: str, row: dict | None) -> float | None:
    """Requests of a row that miss the objective (latency: estimated); None when it cannot be told."""
    if not row or not row["count"]:
        return 0
    if objective == "availability":
        return row["server_errors"]
    if row.get("histogram") is None:
        return None
    within = at_most(row["histogram"], objectives.latency_threshold_ms, row["time_min"], row["time_max"])
    return row["count"] - within


def target(objectives: ServiceObjectives, objective: str) -> float:
    return objectives.availability_target if objective == "availability" else objectives.latency_target


def burn_rate(objectives: ServiceObjectives, objective: str, row: dict | None) -> float | None:
    """Bad share of the window over the allowed share; None without requests."""
    bad = bad_requests(objectives, objective, row)
    if not row or not row["count"] or bad is None:
        return None
    return round(bad / row["count"] / (1 - target(objectives, objective)), 3)


def _window_rows(keys, now: datetime) -> dict[str, dict[str, dict]]:
    """Window name -> rows per key, for every burn-rate window ending at `now`."""
    return {name: _rows_by_key(keys, now - width, now) for name, width in BURN_WINDOWS.items()}


def _burn_rates(objectives: ServiceObjectives, windows: dict) -> dict:
    key = objectives.service.telemetry_key
    return {
        objective: {name: burn_rate(objectives, objective, rows.get(key)) for name, rows in windows.items()}
        for objective in OBJECTIVES
    }


def burn_rates(service, now: datetime) -> dict:
    """{"availability": {"1h": r, "5m": r, "6h": r, "30m": r}, "latency": {...}}; r None without requests."""
    return _burn_rates(ServiceObjectives.for_service(service), _window_rows([service.telemetry_key], now))


def alerts_for(rates: dict) -> list[BurnAlert]:
    """The multi-window conditions that hold for these burn rates."""
    found = []
    for objective in OBJECTIVES:
        for condition in BURN_CONDITIONS:
            long_rate = rates[objective][condition.long_window]
            short_rate = rates[objective][condition.short_window]
            if None not in (long_rate, short_rate) and min(long_rate, short_rate) > condition.threshold:
                found.append(BurnAlert(objective, condition.speed, long_rate, short_rate, condition.threshold))
    return found


def burn_alerts(service, now: datetime) -> list[BurnAlert]:
    """Fast (1 h and 5 min > 14.4) and slow (6 h and 30 min > 6) burns of the service's objectives now."""
    return alerts_for(burn_rates(service, now))


def _objective_report(objectives: ServiceObjectives, objective: str, month: dict | None, rates: dict) -> dict:
    total = month["count"] if month else 0
    bad = bad_requests(objectives, objective, month)
    share = target(objectives, objective)
    allowed = (1 - share) * total
    known = total and bad is not None
    report = {
        "objective": float(getattr(objectives, f"{objective}_objective")),
        "compliance": round(100 * (total - bad) / total, 4) if known else None,
        "bad_requests": round(bad) if bad is not None else None,
        "budget_requests": round(allowed),
        "budget_left_requests": round(allowed - bad) if known else None,
        "budget_left": round((allowed - bad) / allowed, 4) if known else None,
        "burn_rates": rates[objective],
    }
    if objective == "latency":
        report["threshold_ms"] = objectives.latency_threshold_ms
    return report


def objectives_report(services, now: datetime) -> list[dict]:
    """Per service: its settings, 30-day compliance, error budget left and burn rates (GET /api/v1/objectives)."""
    services = list(services)
    keys = [service.telemetry_key for service in services]
    settings_by_key = ServiceObjectives.objects.for_keys(keys)
    # A reads slot, as a metrics response takes, with the main connection back in its pool first:
    # a burst of these queues there instead of holding connections that ingest needs.
    with SideBySide(workers=1):
        month = _rows_by_key(keys, now - WINDOW, now)
        windows = _window_rows(keys, now)
    reports = []
    for service in services:
        objectives = settings_by_key[service.telemetry_key]
        row = month.get(service.telemetry_key)
        rates = _burn_rates(objectives, windows)
        reports.append(
            {
                "service": service.name,
                "tenant": service.tenant.name,
                "apdex_t_ms": objectives.apdex_t_ms,
                "window_days": ServiceObjectives.WINDOW_DAYS,
                "total_requests": row["count"] if row else 0,
                "apdex": apdex_value(row_apdex_score(row, objectives.apdex_t_ms), row["count"]) if row else None,
                **{objective: _objective_report(objectives, objective, row, rates) for objective in OBJECTIVES},
                "alerts": [alert._asdict() for alert in alerts_for(rates)],
            }
        )
    return reports
