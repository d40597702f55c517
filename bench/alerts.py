"""Time one evaluation pass of many alert rules over the seeded dataset (what the worker does each minute).

    .venv/bin/python -m bench.alerts [--rules 500] [--passes 3] [--recent-hours 3]

Rules read at most the last 24 hours. On a database seeded by `python -m
bench.seed` this tops the data up to now; otherwise it stores the bench
traffic model's raw rows (bench.seed.ingest_raw, about 200 requests/s over
ten services) for the last --recent-hours and refreshes the rollups, as the
worker would. The rules belong to the bench tenant's ten services and mix every
metric but burn_rate, windows of 1 to 60 minutes, one service or all of them,
some narrowed to an endpoint, and per-node silence rules; they have no
channels, so nothing is sent. The first pass creates every state row; later
passes are what a running worker does each minute (each pass first forgets
when the rules were evaluated, as a minute passing would).
"""

import argparse
import itertools
import time
from datetime import UTC, datetime, timedelta

from bench import common
from bench.seed import SERVICES, TENANT, ensure_accounts

PREFIX = "bench-alert-"
METRICS = (
    "error_rate",
    "server_error_rate",
    "p95_latency",
    "p99_latency",
    "request_rate_above",
    "request_rate_below",
    "apdex_below",
    "silence",
)
THRESHOLDS = {
    "error_rate": 5,
    "server_error_rate": 1,
    "p95_latency": 300,
    "p99_latency": 800,
    "request_rate_above": 2000,
    "request_rate_below": 50,
    "apdex_below": 0.9,
    "silence": 0,
}
WINDOWS = (1, 5, 10, 15, 30, 60)
ENDPOINT = "/api/orders"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=500, help="rules to evaluate (default 500)")
    parser.add_argument("--passes", type=int, default=3, help="evaluation passes (default 3)")
    parser.add_argument(
        "--recent-hours", type=float, default=3, help="hours of traffic to store without a seeded dataset (default 3)"
    )
    return parser.parse_args(argv)


def make_rules(count: int) -> None:
    """`count` rules of the bench tenant, replacing those of an earlier run."""
    from accounts.models import Service, Tenant
    from alerts.models import AlertRule

    tenant = Tenant.objects.get(name=TENANT)
    services = {service.name: service for service in Service.objects.filter(tenant=tenant, name__in=SERVICES)}
    AlertRule.objects.filter(tenant=tenant, name__startswith=PREFIX).delete()
    combinations = itertools.cycle(itertools.product(METRICS, WINDOWS))
    rules = []
    for number in range(count):
        metric, window = next(combinations)
        every_service = number % 10 == 9
        rules.append(
            AlertRule(
                tenant=tenant,
                name=f"{PREFIX}{number}",
                metric=metric,
                service=None if every_service else services[SERVICES[number % len(SERVICES)]],
                endpoint=ENDPOINT if number % 7 == 3 and metric != "silence" else None,
                node="*" if metric == "silence" and number % 3 == 0 and not every_service else None,
                window_minutes=window,
                threshold=THRESHOLDS[metric],
                for_minutes=number % 3,
                min_requests=10,
            )
        )
    AlertRule.objects.bulk_create(rules)


def prepare_data(recent_hours: float) -> str:
    """Traffic up to now: the seeded dataset topped up, or the last hours of the bench traffic model."""
    from django.db import connection

    from bench.seed import RAW_END_SQL, ingest_raw, read_state, refresh_rollups, top_up

    with connection.cursor() as cursor:
        seeded = read_state(cursor).get("done") == "all"
    if seeded:
        return top_up()
    keys = ensure_accounts()
    now = datetime.now(UTC)
    with connection.cursor() as cursor:
        cursor.execute(RAW_END_SQL, [list(keys.values())])
        last = cursor.fetchone()[0]
    start = max(last or now - timedelta(hours=recent_hours), now - timedelta(hours=recent_hours))
    began = time.monotonic()
    count = ingest_raw(start, now, draw_seed=int(now.timestamp()), keys=keys)
    report, seconds = refresh_rollups()
    took = time.monotonic() - began
    return f"stored {count:,} raw rows from {start:%H:%M} to {now:%H:%M} UTC and {report} in {took:.1f} s"


def main(argv=None):
    args = parse_args(argv)
    common.setup_django()
    common.ensure_database()
    from alerts.evaluation import Evaluator
    from alerts.models import AlertRule

    print(prepare_data(args.recent_hours), flush=True)
    make_rules(args.rules)
    rules = AlertRule.objects.filter(tenant__name=TENANT, name__startswith=PREFIX)
    print(f"code: {common.code_version()}", flush=True)
    for number in range(1, args.passes + 1):
        rules.update(evaluated_at=None)
        began = time.monotonic()
        report = Evaluator().run(AlertRule.objects.to_evaluate().filter(pk__in=rules))
        seconds = time.monotonic() - began
        print(f"pass {number}: {report}", flush=True)
        print(
            f"BENCH alerts pass={number} rules={report.rules} seconds={seconds:.2f} transitions={report.transitions}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
