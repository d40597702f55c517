"""Time the metrics API over the seeded dataset: ranges 1h..1y, no filter, a service, a service and an endpoint.

    .venv/bin/python -m bench.query [--reps 20] [--warmup 2] [--budget 120] [--ranges 1h,24h,7d,30d,1y@1day,1y]
                                    [--url URL] [--workers 2] [--explain CASE]

Run `python -m bench.seed` first. Each case is timed over HTTP against a server
this starts (as scripts/run.sh serves), with a user key for a user who sees
all ten services. A case stops after --reps measured requests or once it has
used --budget seconds (at least one measured request), so month and year
ranges finish even when one request takes minutes. For context each case also
times a plain count(*) over the pieces its time series reads, and counts the
rows every relation the response reads holds in the pieces it reads there.
"""

import argparse
import http.client
import json
import sys
import time
import urllib.parse
from datetime import UTC, datetime, timedelta

from bench import common
from bench.seed import TENANT, ensure_accounts

USER = "bench-reader"
KEY_NAME = "bench-query"
SERVICE = "checkout"
ENDPOINT = "/api/orders"
RANGES = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "1y": timedelta(days=365),
}
# The dashboard asks for 1y with interval=1day (dashboard_ui/frontend/src/lib/timeRange.js); plain 1y
# is the API's default resolution for the range.
DEFAULT_RANGES = "1h,24h,7d,30d,1y@1day,1y"
FILTERS = {"none": {}, "service": {"service": SERVICE}, "service+endpoint": {"service": SERVICE, "endpoint": ENDPOINT}}

COUNT_SQL = "SELECT count(*) FROM {relation} WHERE bucket >= %s AND bucket < %s{filters}"
OPEN_COUNT_SQL = "SELECT count(*) FROM {relation} WHERE level = %s AND until = %s{filters}"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20, help="measured requests per case (default 20)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured requests first (default 2)")
    parser.add_argument(
        "--budget", type=float, default=120, help="seconds per case before it stops early (default 120)"
    )
    parser.add_argument(
        "--ranges",
        default=DEFAULT_RANGES,
        help="comma-separated; RANGE@LEVEL sends interval=LEVEL, as the dashboard does for 1y "
        f"(default: {DEFAULT_RANGES}; 1h is also timed on /realtime)",
    )
    parser.add_argument("--filters", default=",".join(FILTERS), help=f"comma-separated of {', '.join(FILTERS)}")
    parser.add_argument("--url", default=None, help="an already running server on the bench database")
    parser.add_argument("--port", type=int, default=common.DEFAULT_PORT)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds one request may take (default 1800)")
    parser.add_argument("--no-top-up", action="store_true", help="do not extend the raw rows up to now first")
    parser.add_argument(
        "--explain",
        metavar="CASE",
        default=None,
        help="instead of timing: run one case (e.g. aggregate_30d_none) in-process, time each SQL "
        "statement and EXPLAIN ANALYZE the slowest",
    )
    return parser.parse_args(argv)


class Case:
    def __init__(self, endpoint: str, span_name: str, filter_name: str, interval: str | None = None):
        self.endpoint = endpoint  # "aggregate" or "realtime"
        self.span_name = span_name
        self.span = RANGES[span_name]
        self.filter_name = filter_name
        self.filters = FILTERS[filter_name]
        self.interval = interval

    @property
    def name(self):
        span = f"{self.span_name}@{self.interval}" if self.interval else self.span_name
        return f"{self.endpoint}_{span}_{self.filter_name}"

    def params(self, now: datetime) -> dict:
        params = {"start_time": (now - self.span).isoformat(), "end_time": now.isoformat(), **self.filters}
        if self.interval:
            params["interval"] = self.interval
        return params

    def path(self, now: datetime) -> str:
        base = "/api/v1/metrics/aggregate" + ("/realtime" if self.endpoint == "realtime" else "")
        return f"{base}?{urllib.parse.urlencode(self.params(now))}"


def cases(args) -> list[Case]:
    found = []
    filters = args.filters.split(",")
    for spec in args.ranges.split(","):
        span_name, _, interval = spec.partition("@")
        for filter_name in filters:
            found.append(Case("aggregate", span_name, filter_name, interval or None))
            if span_name == "1h" and not interval:
                found.append(Case("realtime", span_name, filter_name))
    return found


def reader_key() -> str:
    """A fresh user key for a member of the bench tenant (older bench-query keys are revoked)."""
    from django.contrib.auth import get_user_model

    from accounts.models import ApiKey, Membership, Tenant

    tenant = Tenant.objects.get(name=TENANT)
    user, _ = get_user_model().objects.get_or_create(username=USER)
    Membership.objects.get_or_create(user=user, tenant=tenant)
    for key in ApiKey.objects.usable().filter(name=KEY_NAME):
        key.revoke()
    return ApiKey.issue(user=user, name=KEY_NAME)[1]


def revoke_keys():
    from accounts.models import ApiKey

    for key in ApiKey.objects.usable().filter(name=KEY_NAME):
        key.revoke()


class Client:
    def __init__(self, url: str, key: str, timeout: float):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port, self.timeout = parts.hostname, parts.port or 80, timeout
        self.headers = {"X-API-Key": key, "Accept": "application/json"}
        self.conn = None

    def get(self, path: str) -> tuple[int, bytes, float]:
        # A new connection per request: the server closes keep-alive connections idle for 2 s,
        # and a request here can take minutes.
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            began = time.perf_counter()
            conn.request("GET", path, headers=self.headers)
            response = conn.getresponse()
            body = response.read()
            return response.status, body, (time.perf_counter() - began) * 1000
        finally:
            conn.close()


def run_case(client: Client, case: Case, args) -> dict:
    began = time.monotonic()
    timings, statuses, size = [], {}, 0
    for _ in range(args.warmup):
        status, body, ms = client.get(case.path(datetime.now(UTC)))
        if status != 200:  # e.g. a range the API refuses: report it, time nothing
            return {
                "n": 0,
                "p50": 0.0,
                "p95": 0.0,
                "min": 0.0,
                "max": 0.0,
                "statuses": {status: 1},
                "bytes": len(body),
                "points": 0,
                "interval": None,
                "total": None,
                "error": f"HTTP {status}: {body[:200].decode(errors='replace')}",
            }
        if ms / 1000 > args.budget / 4:
            break  # a slow case: its warm-up already cached what it could
    while len(timings) < args.reps:
        status, body, ms = client.get(case.path(datetime.now(UTC)))
        statuses[status] = statuses.get(status, 0) + 1
        timings.append(ms)
        size = len(body)
        if time.monotonic() - began >= args.budget:
            break
    last = json.loads(body) if status == 200 else {}
    return {
        "error": None if set(statuses) == {200} else f"statuses {statuses}",
        "n": len(timings),
        "p50": common.percentile(timings, 0.5),
        "p95": common.percentile(timings, 0.95),
        "min": min(timings),
        "max": max(timings),
        "statuses": statuses,
        "bytes": size,
        "points": len(last.get("time_series", [])),
        "interval": last.get("interval"),
        "total": last.get("metrics_summary", {}).get("total_requests"),
    }


# What build_response() reads: (dimensions, which decomposition of the range).
READS = {
    "time series": ((), "series"),
    "endpoints": (("service", "method", "endpoint"), "total"),
    "consumers": (("consumer",), "total"),
    "services": (("service",), "total"),
    "statuses": (("service", "status"), "total"),
    "nodes": (("node",), "total"),
    "contexts": (("context",), "total"),
}
BASELINE_RUNS = 3  # the median is reported: the first run may find cold buffers
RAW_COUNT_SQL = "SELECT count(*) FROM requests WHERE created_at >= %s AND created_at < %s{filters}"


def pieces_read(case: Case):
    """{purpose: [(relation, start, end)]}: the pieces each of the response's queries reads.

    Follows telemetry.rollups.query: the time series at the range's resolution, totals and
    breakdowns from the coarsest whole buckets that fit (series_pieces / total_pieces). For
    an open bucket (relation requests_*_open), start is the level's name and end the version.
    """
    from telemetry.metrics import parse
    from telemetry.rollups.query import MetricsReader, choose_materialisation

    now = datetime.now(UTC)
    scope = parse(case.params(now), now, realtime=case.endpoint == "realtime")
    # The tables store telemetry keys; the service filter names a service.
    wanted = scope.filters.get("service")
    services = tuple(key for name, key in ensure_accounts().items() if wanted in (None, name))
    reader = MetricsReader(scope, services)
    read = {}
    for purpose, (dims, kind) in READS.items():
        materialisation = choose_materialisation(set(dims) | set(scope.row_filters))
        pieces_of = reader.series_pieces if kind == "series" else reader.total_pieces
        read[purpose] = [
            (piece.relation(materialisation), piece.level.name if piece.open else piece.start, piece.end)
            for piece in pieces_of(materialisation)
        ]
    return scope, services, read


def baseline(case: Case) -> dict:
    """count(*) over what the time series reads (timed), and the rows in range of every relation read."""
    from django.db import connection

    from telemetry.metrics import BadParameter

    try:
        scope, services, read = pieces_read(case)
    except BadParameter as exc:
        return {"relation": "-", "rows": 0, "ms": 0.0, "read": {}, "error": str(exc)}
    filter_sql = " AND service = ANY(%s)" + "".join(f" AND {dim} = %s" for dim in scope.row_filters)
    filter_params = [list(services), *scope.row_filters.values()]
    counted = {}

    def count(cursor, relation, start, end):
        if (relation, start, end) not in counted:
            sql = COUNT_SQL
            if relation == "requests":
                sql = RAW_COUNT_SQL
            elif relation.endswith("_open"):
                sql = OPEN_COUNT_SQL
            cursor.execute(sql.format(relation=relation, filters=filter_sql), [start, end, *filter_params])
            counted[relation, start, end] = cursor.fetchone()[0]
        return counted[relation, start, end]

    with connection.cursor() as cursor:
        series_rows, timings = 0, []
        for _ in range(BASELINE_RUNS):
            counted.clear()
            began = time.perf_counter()
            series_rows = sum(count(cursor, *piece) for piece in read["time series"])
            timings.append((time.perf_counter() - began) * 1000)
        series_ms = common.percentile(timings, 0.5)
        for pieces in read.values():
            for piece in pieces:
                count(cursor, *piece)
    per_relation = {}
    for (relation, _, _), rows in counted.items():
        per_relation[relation] = per_relation.get(relation, 0) + rows
    main = max(read["time series"], key=lambda piece: counted[piece])[0]
    return {"relation": main, "rows": series_rows, "ms": series_ms, "read": dict(sorted(per_relation.items()))}


def explain(case_name: str, args):
    """Run one case in-process; time each statement; EXPLAIN ANALYZE the slowest ones."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import visible_services
    from telemetry.metrics import build_response, parse

    case = next((c for c in cases(args) if c.name == case_name), None)
    if case is None:
        raise SystemExit(f"No case {case_name!r}; one of: {', '.join(c.name for c in cases(args))}")
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=USER)
    now = datetime.now(UTC)
    scope = parse(case.params(now), now, realtime=case.endpoint == "realtime")
    visible = visible_services(user)
    with CaptureQueriesContext(connection) as captured:
        began = time.perf_counter()
        build_response(scope, visible)
        total = (time.perf_counter() - began) * 1000
    statements = [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
    print(f"{case.name}: {total:.0f} ms in-process, {len(statements)} statements")
    for ms, sql in statements:
        print(f"  {ms:9.1f} ms  {sql[:150]}...")
    # The slowest, and any other statement taking a tenth of the time or more (at most three).
    heavy = sorted(statements, reverse=True)
    heavy = [heavy[0], *[s for s in heavy[1:3] if s[0] >= total / 10]]
    for ms, sql in heavy:
        print(f"\nEXPLAIN (ANALYZE, BUFFERS), {ms:.0f} ms when captured:\n{sql}\n")
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            print("\n".join(row[0] for row in cursor.fetchall()))


def main(argv=None):
    args = parse_args(argv)
    common.setup_django()
    common.ensure_database()
    from django.db import connection

    from bench.seed import read_state, top_up

    with connection.cursor() as cursor:
        if read_state(cursor).get("done") != "all":
            raise SystemExit("The query dataset is not seeded: run `python -m bench.seed --reset` first.")
    if not args.no_top_up:
        print(top_up(), flush=True)
    if args.explain:
        reader_key()
        revoke_keys()
        explain(args.explain, args)
        return 0
    print(f"uptime before: {common.uptime()}", flush=True)
    print(f"code: {common.code_version()}", flush=True)
    key = reader_key()
    selected = cases(args)
    baselines = {}
    for case in selected:
        baselines[case.name] = baseline(case)
    connection.close()

    server = None if args.url else common.Server(port=args.port, workers=args.workers)
    if server:
        server.start()
    results = {}
    try:
        client = Client(args.url or server.url, key, args.timeout)
        for case in selected:
            began = time.monotonic()
            results[case.name] = result = run_case(client, case, args)
            print(
                f"  {case.name:40s} n={result['n']:2d} p50 {result['p50']:9.1f} ms  p95 {result['p95']:9.1f} ms  "
                f"({result['points']} x {result['interval']}, {result['bytes'] / 1024:.0f} KiB, "
                f"{time.monotonic() - began:.0f} s){'  ' + result['error'] if result['error'] else ''}",
                flush=True,
            )
    finally:
        if server:
            server.stop()
        revoke_keys()

    print(
        f"\n{'case':40s} {'n':>3s} {'p50 ms':>10s} {'p95 ms':>10s} {'max ms':>10s} {'count(*) ms':>12s} "
        f"{'rows':>12s}  time-series relation; rows in range of every relation read"
    )
    for case in selected:
        r, b = results[case.name], baselines[case.name]
        read = ", ".join(f"{rel.removeprefix('requests_')}={rows:,}" for rel, rows in b["read"].items())
        print(
            f"{case.name:40s} {r['n']:3d} {r['p50']:10.1f} {r['p95']:10.1f} {r['max']:10.1f} {b['ms']:12.1f} "
            f"{b['rows']:12,d}  {b['relation']}; {read}{'  ' + r['error'] if r['error'] else ''}"
        )
    print(f"\nuptime after: {common.uptime()}")
    for case in selected:
        r, b = results[case.name], baselines[case.name]
        status = "ok" if not r["error"] else "error_" + "_".join(str(code) for code in r["statuses"])
        print(
            f"BENCH query case={case.name} status={status} n={r['n']} p50_ms={r['p50']:.1f} "
            f"p95_ms={r['p95']:.1f} max_ms={r['max']:.1f} baseline_count_ms={b['ms']:.1f} "
            f"baseline_rows={b['rows']} rows_read={sum(b['read'].values())}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
