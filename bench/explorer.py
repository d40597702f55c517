"""Time the request explorer (GET /api/v1/requests) on the query dataset, and what sampling adds to ingest.

    .venv/bin/python -m bench.explorer [--reps 40] [--warmup 3] [--sample-hours 24] [--url URL] [--port 8766]
    .venv/bin/python -m bench.explorer --ingest-cost [--batches 300]

On the query dataset (`python -m bench.seed`) it tops the raw rows up to now,
like bench.query; without recent raw rows it makes --raw-hours of them the way
the seed does (TrafficModel at daily_rate(), through Request.objects.ingest(),
which also fills the sample for that window) and refreshes the rollups. Older hours of the sample (the seed
puts them straight into the rollups) are filled synthetically at the density
and mix the sampling rules give at 200 requests/s: every 5xx (about 0.6 %),
the slowest 1 % and 1 % of the rest. Each case is the first page (100 records)
over HTTP against a server this starts, with the bench-reader's user key.

--ingest-cost times Request.objects.ingest() of 1000-record batches in this
process with sampling off and on, alternating batch by batch so both see the
same load, each batch in a transaction that is rolled back (the tables stay as
they are; the commit, the same either way, is left out, so the ratio is an
upper bound).
"""

import argparse
import random
import statistics
import sys
import time
import urllib.parse
from datetime import UTC, datetime, timedelta

from bench import common
from bench.query import Client, reader_key, revoke_keys
from bench.seed import MEAN_RATE, MODEL_SEED, SERVICES, ensure_accounts

SERVICE = "checkout"
# (name, query parameters, range back from now (start, end)); the first two are the targets.
CASES = (
    ("service_1h", {"service": SERVICE}, (timedelta(hours=1), timedelta(0))),
    ("all_24h_5xx", {"status_class": "5xx"}, (timedelta(hours=24), timedelta(0))),
    ("service_1h_slowest", {"service": SERVICE, "sort": "latency"}, (timedelta(hours=1), timedelta(0))),
    ("all_1h_min_latency_1s", {"min_latency": "1000"}, (timedelta(hours=1), timedelta(0))),
    ("service_1h_sample", {"service": SERVICE}, (timedelta(hours=13), timedelta(hours=12))),
    ("all_24h_5xx_slowest", {"status_class": "5xx", "sort": "latency"}, (timedelta(hours=24), timedelta(0))),
)
TARGET_MS = 100
# The sample's mix per request served (explorer/sampling.py's rules on TrafficModel traffic).
SLOW_SHARE, REST_SHARE = 0.01, 0.01
SAMPLE_RANGE_SQL = "SELECT min(created_at) FROM request_samples"
RAW_START_SQL = "SELECT min(created_at) FROM requests"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=40, help="measured requests per case (default 40)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured requests first (default 3)")
    parser.add_argument("--raw-hours", type=int, default=2, help="raw rows to make when none are recent (default 2)")
    parser.add_argument("--sample-hours", type=int, default=24, help="hours of sample to have (default 24)")
    parser.add_argument("--url", help="a running server instead of starting one")
    parser.add_argument("--port", type=int, default=8766, help="port for the server this starts (default 8766)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--timeout", type=float, default=60, help="seconds per request (default 60)")
    parser.add_argument("--ingest-cost", action="store_true", help="time ingest with sampling off and on instead")
    parser.add_argument("--batches", type=int, default=300, help="--ingest-cost: batches per side (default 300)")
    return parser.parse_args(argv)


def raw_window(hours: int) -> str:
    """Raw rows up to now: the seed's raw window topped up, or (no recent raw rows) the last `hours` made here."""
    from django.db import connection

    from bench.seed import RAW_END_SQL, ingest_raw, refresh_rollups, top_up

    keys = ensure_accounts()
    with connection.cursor() as cursor:
        cursor.execute(RAW_END_SQL, [list(keys.values())])
        last = cursor.fetchone()[0]
    now = datetime.now(UTC)
    if last is not None and now - last < timedelta(hours=3):
        return top_up()
    began = time.monotonic()
    count = ingest_raw(now - timedelta(hours=hours), now, draw_seed=int(now.timestamp()), keys=keys)
    report, _ = refresh_rollups()
    return f"made {count:,} raw rows for the last {hours} h and {report} in {time.monotonic() - began:.0f} s"


def fill_sample(hours: int) -> int:
    """Synthetic sample rows for the hours before the raw window that the sample does not hold yet."""
    from django.db import connection

    from explorer.models import RequestSample
    from telemetry.traffic import TrafficModel, daily_rate

    keys = ensure_accounts()
    with connection.cursor() as cursor:
        cursor.execute(SAMPLE_RANGE_SQL)
        held_from = cursor.fetchone()[0]
        cursor.execute(RAW_START_SQL)
        raw_from = cursor.fetchone()[0] or datetime.now(UTC)
    end = min(held_from or raw_from, raw_from)
    start = datetime.now(UTC) - timedelta(hours=hours)
    model = TrafficModel(services=list(SERVICES), seed=MODEL_SEED)
    model.rng = random.Random(int(start.timestamp()))
    added = 0
    moment = start.replace(second=0, microsecond=0)
    while moment < end:
        upper = min(end, moment + timedelta(minutes=1))
        served = daily_rate(moment, MEAN_RATE) * (upper - moment).total_seconds()
        records = model.records(round(served * (SLOW_SHARE + REST_SHARE)), moment, upper)
        errors = model.records(round(served * 0.006), moment, upper)
        for record in errors:
            record["status"], record["response_time"] = random.choice((500, 502, 503)), record["response_time"] * 3
        for record in records[: len(records) // 2]:  # the slowest 1 %: well past the p99
            record["response_time"] = record["response_time"] * 8 + 500
        rows = [RequestSample(**{**r, "service": keys[r["service"]]}) for r in records + errors]
        RequestSample.objects.bulk_create(rows, batch_size=5000)
        added += len(rows)
        moment = upper
    return added


def floor(client: Client, args) -> float:
    """p50 of GET /api/v1/services (key check, one small query): what any API request costs on this machine now."""
    timings = [client.get("/api/v1/services")[2] for _ in range(args.warmup + args.reps)][args.warmup :]
    return common.percentile(timings, 0.5)


def run_case(client: Client, name: str, params: dict, span, args) -> dict:
    timings, bodies = [], []
    for index in range(args.warmup + args.reps):
        now = datetime.now(UTC)
        query = {**params, "start_time": (now - span[0]).isoformat(), "end_time": (now - span[1]).isoformat()}
        status, body, ms = client.get("/api/v1/requests?" + urllib.parse.urlencode(query))
        if status != 200:
            return {"error": f"HTTP {status}: {body[:200]!r}", "n": 0, "p50": 0.0, "p95": 0.0, "body": None}
        if index >= args.warmup:
            timings.append(ms)
            bodies.append(body)
    import orjson

    last = orjson.loads(bodies[-1])
    return {
        "error": "",
        "n": len(timings),
        "p50": common.percentile(timings, 0.5),
        "p95": common.percentile(timings, 0.95),
        "records": len(last["requests"]),
        "source": last["source"],
        "total": last["total"],
    }


def ingest_cost(batches: int) -> None:
    """Ingest batches with sampling off and on, alternating; report the medians and their ratio."""
    from django.conf import settings
    from django.db import transaction

    from explorer.sampling import rules_cache
    from telemetry.models import Request
    from telemetry.traffic import TrafficModel, as_rows

    keys = ensure_accounts()
    model = TrafficModel(services=list(SERVICES), seed=MODEL_SEED)
    now = datetime.now(UTC)
    pool = []
    for _ in range(16):  # distinct bodies, as bench.ingest sends
        records = model.records(1000, now - timedelta(minutes=2), now - timedelta(minutes=1))
        pool.append(as_rows([{**r, "service": keys[r["service"]]} for r in records]))
    rules_cache.current()  # the once-a-day p99 read is not part of a batch's cost
    # One batch committed, so the raw and sample chunks exist: a rolled-back batch would create them every time.
    settings.MALTI_SAMPLE_ENABLED = True
    Request.objects.ingest(pool[0])
    timings = {False: [], True: []}
    kept = 0
    for index in range(batches * 2):
        sampling = index % 2 == 1
        settings.MALTI_SAMPLE_ENABLED = sampling
        rows = pool[index // 2 % len(pool)]
        with transaction.atomic():
            began = time.perf_counter()
            Request.objects.ingest(rows)
            timings[sampling].append((time.perf_counter() - began) * 1000)
            if sampling:
                kept += len(rules_cache.current().select(rows))
            transaction.set_rollback(True)
    off, on = statistics.median(timings[False]), statistics.median(timings[True])
    print(f"ingest of 1000-record batches, {batches} each way, alternating:")
    print(f"  sampling off: median {off:.2f} ms   on: median {on:.2f} ms   ratio {on / off:.3f}")
    print(
        f"  mean off {statistics.mean(timings[False]):.2f} ms, on {statistics.mean(timings[True]):.2f} ms; "
        f"about {kept / batches:.0f} of 1000 records kept per batch"
    )
    print(f"BENCH explorer_ingest batches={batches} off_ms={off:.2f} on_ms={on:.2f} ratio={on / off:.3f}")


def main(argv=None):
    args = parse_args(argv)
    common.setup_django()
    common.ensure_database()
    from django.db import connection

    print(f"uptime before: {common.uptime()}", flush=True)
    print(f"code: {common.code_version()}", flush=True)
    if args.ingest_cost:  # needs no dataset
        ingest_cost(args.batches)
        return 0
    print(raw_window(args.raw_hours), flush=True)
    print(f"sample: added {fill_sample(args.sample_hours):,} synthetic rows", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE request_samples")
    # Raw rows up to now again (filling the sample takes minutes): a live instance's newest minute is never empty.
    print(raw_window(args.raw_hours), flush=True)
    key = reader_key()
    connection.close()
    server = None if args.url else common.Server(port=args.port, workers=args.workers)
    if server:
        server.start()
    results = {}
    try:
        client = Client(args.url or server.url, key, args.timeout)
        print(f"  floor: GET /api/v1/services p50 {floor(client, args):.1f} ms", flush=True)
        for name, params, span in CASES:
            results[name] = r = run_case(client, name, params, span, args)
            print(
                f"  {name:24s} n={r['n']:3d} p50 {r['p50']:7.1f} ms  p95 {r['p95']:7.1f} ms  "
                f"records={r.get('records')} source={r.get('source')} total={r.get('total')} {r['error']}",
                flush=True,
            )
    finally:
        if server:
            server.stop()
        revoke_keys()
    print(f"uptime after: {common.uptime()}")
    for name, _, _ in CASES:
        r = results[name]
        status = "ok" if not r["error"] else "error"
        print(f"BENCH explorer case={name} status={status} n={r['n']} p50_ms={r['p50']:.1f} p95_ms={r['p95']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
