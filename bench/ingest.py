"""HTTP ingest load generator: records/s and latency through the real server, against the binary-COPY ceiling.

    .venv/bin/python -m bench.ingest [--batch-size 1000] [--concurrency 4] [--duration 60] [--gzip]
                                     [--rate RECORDS_PER_S] [--url URL] [--workers 2]

Bodies are generated before the clock starts (TrafficModel, created_at in the
minute before the run), so each client process only sends bytes and reads
answers. One process per connection, so the client never starves on the GIL.
"""

import argparse
import gzip
import http.client
import multiprocessing as mp
import queue
import sys
import time
import urllib.parse
from collections import Counter
from datetime import UTC, datetime, timedelta

from bench import common

INGEST_PATH = "/api/v1/ingest"
TENANT = "Bench ingest"
KEY_NAME = "bench-ingest"
WARMUP_REQUESTS = 2  # per client, before the clock starts: connections and worker caches are warm
IDLE_RECONNECT_S = 1.5

TRUNCATE_RAW_SQL = "TRUNCATE requests, malti_dirty_minutes"
COUNT_STORED_SQL = "SELECT count(*) FROM requests WHERE service = ANY(%s)"
CREATE_SCRATCH_SQL = (
    "DROP TABLE IF EXISTS bench_copy",
    "CREATE TABLE bench_copy (LIKE requests INCLUDING ALL)",
    "SELECT create_hypertable('bench_copy', 'created_at', chunk_time_interval => interval '1 hour')",
)
DROP_SCRATCH_SQL = "DROP TABLE IF EXISTS bench_copy"
COUNT_SCRATCH_SQL = "SELECT count(*) FROM bench_copy"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=1000, help="records per request (default 1000)")
    parser.add_argument("--concurrency", type=int, default=4, help="client processes, one keep-alive connection each")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--gzip", action=argparse.BooleanOptionalAction, default=False, help="gzip request bodies")
    parser.add_argument(
        "--rate", type=float, default=None, help="target records/s in total (default: as fast as possible)"
    )
    parser.add_argument(
        "--url", default=None, help="an already running server on the bench database (default: start one)"
    )
    parser.add_argument("--port", type=int, default=common.DEFAULT_PORT, help="port for the server this starts")
    parser.add_argument(
        "--workers", type=int, default=2, help="gunicorn workers for the server this starts (default 2)"
    )
    parser.add_argument("--pool", type=int, default=16, help="distinct request bodies per client (default 16)")
    parser.add_argument("--no-ceiling", action="store_true", help="skip the binary-COPY ceiling")
    parser.add_argument("--rss-every", type=float, default=60, help="print the server's RSS this often (s)")
    parser.add_argument("--keep", action="store_true", help="leave the ingested rows in `requests` afterwards")
    return parser.parse_args(argv)


def make_keys(concurrency: int):
    """(service, fresh service key) per client, in the bench tenant; older bench keys are revoked."""
    from accounts.models import ApiKey, Service, Tenant

    tenant, _ = Tenant.objects.get_or_create(name=TENANT)
    for key in ApiKey.objects.usable().filter(name=KEY_NAME):
        key.revoke()
    keys = []
    for index in range(concurrency):
        # Names are unique per tenant only: look the service up in the bench tenant.
        service, _ = Service.objects.get_or_create(tenant=tenant, name=f"bench-ingest-{index}")
        keys.append((service, ApiKey.issue(service=service, name=KEY_NAME)[1]))
    return keys


def make_pool(service, seed: int, batch_size: int, pool: int, compress: bool):
    """(bodies, rows): request bodies for one client and the same records as the COPY rows ingest stores."""
    import orjson

    from telemetry.traffic import TrafficModel, as_rows

    model = TrafficModel(services=[service.name], seed=seed)
    now = datetime.now(UTC)
    bodies, rows = [], []
    for _ in range(pool):
        records = model.records(batch_size, now - timedelta(seconds=60), now)
        body = orjson.dumps({"requests": records})  # datetimes become RFC 3339 strings
        # Records carry the name; the rows store the telemetry key, as ingest does.
        rows.append(as_rows([{**record, "service": service.telemetry_key} for record in records]))
        bodies.append(gzip.compress(body, compresslevel=6) if compress else body)
    return bodies, rows


def client(index, concurrency, url, key, bodies, batch_size, compress, start_at, duration, interval, results):
    """One connection: send bodies round-robin until the deadline, then report."""
    import orjson

    parts = urllib.parse.urlsplit(url)
    headers = {"Content-Type": "application/json", "X-API-Key": key}
    if compress:
        headers["Content-Encoding"] = "gzip"

    def connection():
        return http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=300)

    conn = connection()
    latencies, statuses = [], Counter()
    acked = warm_acked = sent = late = 0

    last_used = time.monotonic()

    def post(body):
        nonlocal conn, last_used
        # The server drops keep-alive connections idle for 2 s (gunicorn's --keep-alive,
        # which uvicorn_worker applies): reconnect first rather than fail on a dead socket.
        if time.monotonic() - last_used > IDLE_RECONNECT_S:
            conn.close()
            conn = connection()
        try:
            conn.request("POST", INGEST_PATH, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            conn = connection()
            return f"error:{type(exc).__name__}", 0
        last_used = time.monotonic()
        count = orjson.loads(data).get("count", 0) if response.status == 200 else 0
        return response.status, count

    for i in range(WARMUP_REQUESTS):
        warm_acked += post(bodies[i % len(bodies)])[1]
    while time.monotonic() < start_at:
        time.sleep(0.001)
    deadline = start_at + duration
    # Spread clients over the interval so paced requests do not arrive together.
    next_send = start_at + interval * index / concurrency
    i = 0
    end = start_at
    while True:
        now = time.monotonic()
        if interval:
            if now < next_send:
                time.sleep(next_send - now)
            elif now - next_send > interval:
                late += 1
            now = time.monotonic()
        if now >= deadline:
            break
        body = bodies[i % len(bodies)]
        i += 1
        began = time.perf_counter()
        status, count = post(body)
        latencies.append((time.perf_counter() - began) * 1000)
        end = time.monotonic()
        statuses[status] += 1
        sent += batch_size
        acked += count
        if interval:
            next_send += interval
    conn.close()
    results.put(
        {
            "latencies": latencies,
            "statuses": statuses,
            "acked": acked,
            "warm_acked": warm_acked,
            "sent": sent,
            "end": end,
            "late": late,
        }
    )


def run_load(args, url, keys, pools, server=None):
    results = mp.Queue()
    # Records/s per client -> seconds between its requests.
    interval = args.batch_size / (args.rate / args.concurrency) if args.rate else 0.0
    start_at = time.monotonic() + 3.0  # time for every client to connect and warm up
    processes = [
        mp.Process(
            target=client,
            args=(
                i,
                args.concurrency,
                url,
                keys[i][1],
                pools[i][0],
                args.batch_size,
                args.gzip,
                start_at,
                args.duration,
                interval,
                results,
            ),
        )
        for i in range(args.concurrency)
    ]
    for process in processes:
        process.start()
    spread = []
    if server is not None:
        time.sleep(max(0.0, start_at + 1.0 - time.monotonic()))  # every client connected and sending
        spread = server.connections_per_worker()
        print(f"connections per worker: {' + '.join(map(str, spread))}", flush=True)
    collected = []
    while len(collected) < len(processes):
        try:
            collected.append(results.get(timeout=args.rss_every))
        except queue.Empty:  # still loading: the server's memory over time
            if server is not None:
                elapsed = time.monotonic() - start_at
                print(f"  {elapsed:5.0f} s: server RSS {server.rss_mb():.0f} MiB", flush=True)
    for process in processes:
        process.join()
    end = max(r["end"] for r in collected)
    return collected, start_at, end, spread


def copy_worker(rows_per_batch, batches, barrier, results):
    """The ceiling's client: the same rows, batch by batch, straight into bench_copy by binary COPY."""
    from telemetry.models.raw import COLUMNS, COPY_TYPES

    sql = f"COPY bench_copy ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)"
    written = 0
    with common.connect() as conn:
        barrier.wait()
        began = time.monotonic()
        for rows in batches:
            with conn.transaction(), conn.cursor() as cursor, cursor.copy(sql) as copy:
                copy.set_types(COPY_TYPES)
                for row in rows[:rows_per_batch]:
                    copy.write_row(row)
                    written += 1
        results.put((began, time.monotonic(), written))


def run_ceiling(args, pools, total_rows):
    """Rows/s of binary COPY of `total_rows` pool rows into a scratch hypertable, same concurrency and batch size."""
    with common.connect(autocommit=True) as conn:
        for sql in CREATE_SCRATCH_SQL:
            conn.execute(sql)
    per_client = -(-total_rows // args.concurrency)
    barrier = mp.Barrier(args.concurrency)
    results = mp.Queue()
    processes = []
    for i in range(args.concurrency):
        pool_rows = pools[i][1]
        count = min(per_client, total_rows - i * per_client)
        batches, left, j = [], count, 0
        while left > 0:
            batch = pool_rows[j % len(pool_rows)][: min(args.batch_size, left)]
            batches.append(batch)
            left -= len(batch)
            j += 1
        processes.append(mp.Process(target=copy_worker, args=(args.batch_size, batches, barrier, results)))
    for process in processes:
        process.start()
    collected = [results.get() for _ in processes]
    for process in processes:
        process.join()
    began = min(r[0] for r in collected)
    ended = max(r[1] for r in collected)
    written = sum(r[2] for r in collected)
    with common.connect(autocommit=True) as conn:
        in_table = conn.execute(COUNT_SCRATCH_SQL).fetchone()[0]
        conn.execute(DROP_SCRATCH_SQL)
    return written, in_table, ended - began


def main(argv=None):
    args = parse_args(argv)
    common.setup_django()
    common.ensure_database()
    from django.db import connection

    print(f"uptime before: {common.uptime()}", flush=True)
    print(f"code: {common.code_version()}", flush=True)
    keys = make_keys(args.concurrency)
    services = [service for service, _ in keys]
    with connection.cursor() as cursor:
        cursor.execute(TRUNCATE_RAW_SQL)
    began = time.monotonic()
    pools = [
        make_pool(service, seed=100 + i, batch_size=args.batch_size, pool=args.pool, compress=args.gzip)
        for i, (service, _) in enumerate(keys)
    ]
    body_sizes = [len(body) for bodies, _ in pools for body in bodies]
    print(
        f"generated {len(body_sizes)} bodies of {args.batch_size} records in {time.monotonic() - began:.1f} s, "
        f"{sum(body_sizes) / len(body_sizes) / 1024:.0f} KiB each ({'gzip' if args.gzip else 'plain JSON'})",
        flush=True,
    )
    connection.close()  # the client processes fork: none of them may share this connection

    server = None if args.url else common.Server(port=args.port, workers=args.workers)
    if server:
        server.start()
    url = args.url or server.url
    rss_start = server.rss_mb() if server else 0.0
    try:
        mode = f"paced at {args.rate:,.0f} records/s" if args.rate else "as fast as possible"
        print(f"load: {args.concurrency} clients x batch {args.batch_size} for {args.duration:g} s, {mode}", flush=True)
        collected, start_at, end, spread = run_load(args, url, keys, pools, server)
        rss_end = server.rss_mb() if server else 0.0
    finally:
        if server:
            server.stop()

    elapsed = end - start_at
    latencies = [ms for r in collected for ms in r["latencies"]]
    statuses = sum((r["statuses"] for r in collected), Counter())
    acked_timed = sum(r["acked"] for r in collected)
    acked = acked_timed + sum(r["warm_acked"] for r in collected)
    sent = sum(r["sent"] for r in collected)
    late = sum(r["late"] for r in collected)
    records_per_s = acked_timed / elapsed if elapsed > 0 else 0.0
    p50, p99 = common.percentile(latencies, 0.50), common.percentile(latencies, 0.99)
    with connection.cursor() as cursor:
        cursor.execute(COUNT_STORED_SQL, [[service.telemetry_key for service in services]])
        stored = cursor.fetchone()[0]

    print(f"requests: {len(latencies)} in {elapsed:.1f} s, statuses {dict(sorted(statuses.items(), key=str))}")
    print(f"records: sent {sent:,}, acknowledged {acked_timed:,} in the timed window ({acked:,} with warm-up)")
    print(f"throughput: {records_per_s:,.0f} records/s, {len(latencies) / elapsed:.1f} requests/s")
    print(
        f"latency ms: p50 {p50:.1f}  p90 {common.percentile(latencies, 0.9):.1f}  p99 {p99:.1f}  "
        f"max {max(latencies, default=0):.1f}"
    )
    if args.rate:
        print(f"pacing: target {args.rate:,.0f} records/s; {late} sends were more than one interval late")
    names = ", ".join(service.name for service in services)
    print(
        f"database: {stored:,} rows stored for {names}; acknowledged {acked:,} -> "
        f"{'OK' if stored == acked else 'MISMATCH'}"
    )
    if server:
        print(f"server RSS (gunicorn master + workers): {rss_start:.0f} MiB at start, {rss_end:.0f} MiB at end")

    ceiling = ratio = 0.0
    if not args.no_ceiling and stored:
        written, in_table, seconds = run_ceiling(args, pools, stored)
        ceiling = written / seconds
        ratio = records_per_s / ceiling
        print(
            f"ceiling: binary COPY of {written:,} of the same rows into bench_copy ({in_table:,} there), "
            f"{args.concurrency} connections x {args.batch_size}-row transactions: {seconds:.1f} s, "
            f"{ceiling:,.0f} rows/s; HTTP ingest reaches {100 * ratio:.1f} % of it"
        )
    if not args.keep:
        with connection.cursor() as cursor:
            cursor.execute(TRUNCATE_RAW_SQL)
    print(f"uptime after: {common.uptime()}")
    print(
        f"BENCH ingest gzip={int(args.gzip)} batch={args.batch_size} concurrency={args.concurrency} "
        f"duration_s={args.duration:g} rate_target={args.rate or 0:.0f} records_per_s={records_per_s:.0f} "
        f"p50_ms={p50:.1f} p99_ms={p99:.1f} copy_ceiling_per_s={ceiling:.0f} ratio={ratio:.3f} "
        f"acked={acked} stored={stored} rss_start_mb={rss_start:.0f} rss_end_mb={rss_end:.0f} "
        f"errors={sum(v for k, v in statuses.items() if k != 200)} spread={'+'.join(map(str, spread)) or '-'}",
        flush=True,
    )
    return 0 if stored == acked else 1


if __name__ == "__main__":
    sys.exit(main())
