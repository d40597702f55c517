"""Cardinality guard: a service sending raw paths and a consumer per user, beside normal traffic.

    .venv/bin/python -m bench.cardinality [--normal 300000] [--noisy 100000] [--rounds 15] [--pairs 4]

In its own database (malti_bench_cardinality), three scenarios over the same
last 24 hours, each stored through Request.objects.ingest() (so through the
guard) in 1000-record batches and rolled up by the set-wise rebuild:

  templates     the noisy service sends route templates and 50 consumers
                (what it should send: the baseline);
  raw, no guard the noisy service sends --noisy records with as many distinct
                endpoints (/items/<word>, no digits, so normalisation keeps
                them: only the limit can act) and as many distinct consumers,
                MALTI_CARDINALITY_GUARD off;
  raw, guard    the same records with the guard on (default limits).

Beside it, nine normal services share --normal records (TrafficModel). For each
scenario: the rollups' size (rows and bytes, every level and materialisation),
and the metrics response (telemetry.metrics.build_response, in process) p95 over
--rounds runs for the dashboard's ranges (1 h, 24 h, 7 d), for the whole
tenant and for one normal service. Then ingest's cost: --pairs pairs of the same
normal batches stored with the guard off and on, alternating (the guard's cost
for a well-behaved service, the common case). The last lines are for scripts:

    BENCH cardinality scenario=... rollup_rows=... rollup_mb=... p95_ms_<range>_<scope>=...
    BENCH cardinality ingest guard_off_s=... guard_on_s=... overhead_pct=...
"""

import argparse
import os
import random
import string
import sys
import time
from datetime import UTC, datetime, timedelta

os.environ.setdefault("BENCH_DATABASE_URL", "postgres://malti:malti@127.0.0.1:5433/malti_bench_cardinality")

from bench import common  # noqa: E402  (reads BENCH_DATABASE_URL)

BATCH = 1000
RANGES = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}
NORMAL_SERVICES = [f"normal-{index}" for index in range(9)]
NOISY = "noisy"
CLEAR_SQL = "TRUNCATE requests, malti_dirty_minutes, malti_dirty_buckets, malti_admitted_values"
SET_WATERMARK_SQL = "UPDATE malti_refresh_state SET watermark = %s WHERE level = %s"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--normal", type=int, default=300_000, help="records of the nine normal services (300,000)")
    parser.add_argument("--noisy", type=int, default=100_000, help="records of the noisy service (100,000)")
    parser.add_argument("--rounds", type=int, default=15, help="metrics responses timed per range and scope (15)")
    parser.add_argument("--pairs", type=int, default=4, help="guard off/on ingest pairs (4)")
    return parser.parse_args(argv)


def word(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_lowercase, k=10))


def noisy_records(count: int, start: datetime, raw: bool) -> list[dict]:
    """The noisy service's day: raw paths and a consumer per user, or what it should send."""
    rng = random.Random(7)
    step = timedelta(days=1) / count
    return [
        {
            "service": NOISY,
            "node": "node-1",
            "method": "GET",
            "created_at": start + index * step,
            "endpoint": f"/items/{word(rng)}" if raw else "/items/{id}",
            "context": None,
            "status": rng.choice((200, 200, 200, 404, 500)),
            "response_time": int(rng.lognormvariate(4, 1)),
            "consumer": f"user-{index}" if raw else f"app-{index % 50}",
        }
        for index in range(count)
    ]


def normal_records(count: int, start: datetime) -> list[dict]:
    from telemetry.traffic import TrafficModel

    model = TrafficModel(services=NORMAL_SERVICES, endpoints_per_service=40, consumers=200, seed=3)
    return model.records(count, start, start + timedelta(days=1))


def store(rows: list[tuple]) -> float:
    from telemetry.models import Request

    began = time.perf_counter()
    for index in range(0, len(rows), BATCH):
        Request.objects.ingest(rows[index : index + BATCH])
    return time.perf_counter() - began


def rollup_size(cursor) -> tuple[int, int]:
    from telemetry.rollups.catalog import relations
    from telemetry.rollups.rebuild import storage

    rows = size = 0
    for level, materialisation in relations():
        relation = storage(materialisation.relation(level))
        cursor.execute(f"SELECT count(*) FROM {relation}")
        rows += cursor.fetchone()[0]
        cursor.execute("SELECT coalesce(hypertable_size(%s::regclass), 0)", [relation])
        size += cursor.fetchone()[0]
    return rows, size


def complete_until(end: datetime):
    """Apache edition: the rebuilt levels are complete up to `end`, as the refresher would leave them."""
    from django.db import connection

    from telemetry.edition import has_continuous_aggregates
    from telemetry.rollups.catalog import LEVELS
    from telemetry.rollups.query import floor_to

    if has_continuous_aggregates():
        return  # real-time aggregation reads past each watermark itself
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE malti_dirty_minutes, malti_dirty_buckets")
        for level in LEVELS:
            cursor.execute(SET_WATERMARK_SQL, [floor_to(end, level), level.name])


def response_p95(end: datetime, span: timedelta, visible: dict, service: str | None, rounds: int) -> float:
    from telemetry.metrics import build_response, parse

    params = {"start_time": (end - span).isoformat(), "end_time": end.isoformat()}
    if service:
        params["service"] = service
    timings = []
    for _ in range(rounds):
        began = time.perf_counter()
        build_response(parse(params, end), visible)
        timings.append((time.perf_counter() - began) * 1000)
    return common.percentile(timings, 0.95)


def scenario(name: str, rows: list[tuple], guard: bool, start, end, visible, args) -> dict:
    from django.conf import settings
    from django.db import connection

    from telemetry.cardinality import guard as the_guard
    from telemetry.rollups.rebuild import rebuild

    settings.MALTI_CARDINALITY_GUARD = guard
    the_guard.forget()
    with connection.cursor() as cursor:
        cursor.execute(CLEAR_SQL)
        from bench.rebuild import clear_rollups

        clear_rollups(cursor)
    stored_s = store(rows)
    began = time.perf_counter()
    rebuild(start - timedelta(days=7), end)
    complete_until(end)
    rebuilt_s = time.perf_counter() - began
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        rows_n, size = rollup_size(cursor)
    found = {"rollup_rows": rows_n, "rollup_mb": size / 2**20}
    for range_name, span in RANGES.items():
        for scope_name, service in (("tenant", None), ("normal", NORMAL_SERVICES[0])):
            found[f"p95_ms_{range_name}_{scope_name}"] = response_p95(end, span, visible, service, args.rounds)
    print(
        f"{name:15s} stored in {stored_s:5.1f} s, rolled up in {rebuilt_s:5.1f} s; rollups {rows_n:>10,} rows "
        f"{found['rollup_mb']:8.1f} MB; p95 ms "
        + " ".join(f"{key[7:]}={value:.1f}" for key, value in found.items() if key.startswith("p95")),
        flush=True,
    )
    return found


def main(argv=None):
    args = parse_args(argv)
    common.setup_django()
    common.ensure_database()
    from django.conf import settings

    from telemetry.edition import edition
    from telemetry.models import RetentionPolicy
    from telemetry.traffic import as_rows

    print(f"edition: {edition()}; code: {common.code_version()}; uptime: {common.uptime()}", flush=True)
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=1)
    for level in ("raw", "1min", "5min"):
        RetentionPolicy.objects.update_or_create(level=level, defaults={"keep_for": "3 days"})
    # Stored keys are the names here: nothing goes through a service's key.
    visible = {name: name for name in [*NORMAL_SERVICES, NOISY]}
    normal = as_rows(normal_records(args.normal, start))
    print(f"generated {len(normal):,} normal records", flush=True)
    results = {}
    for name, raw, guard in (("templates", False, True), ("raw-no-guard", True, False), ("raw-guard", True, True)):
        rows = normal + as_rows(noisy_records(args.noisy, start, raw))
        random.Random(1).shuffle(rows)  # interleaved, as services send
        rows.sort(key=lambda row: row[3])  # in time order, each batch mixing services
        results[name] = scenario(name, rows, guard, start, end, visible, args)

    # The guard's cost on well-behaved traffic: the same batches, off and on, alternating.
    from django.db import connection

    timings = {False: [], True: []}
    for _ in range(args.pairs):
        for guard in (False, True):
            settings.MALTI_CARDINALITY_GUARD = guard
            with connection.cursor() as cursor:
                cursor.execute(CLEAR_SQL)
            timings[guard].append(store(normal[:100_000]))
    off, on = sorted(timings[False])[len(timings[False]) // 2], sorted(timings[True])[len(timings[True]) // 2]
    overhead = 100 * (on - off) / off
    print(f"ingest of 100,000 normal records: guard off {timings[False]}, on {timings[True]}", flush=True)
    for name, found in results.items():
        print(
            f"BENCH cardinality scenario={name} edition={edition()} "
            + " ".join(
                f"{key}={value:.1f}" if isinstance(value, float) else f"{key}={value}" for key, value in found.items()
            ),
            flush=True,
        )
    ratio = results["raw-guard"]["rollup_rows"] / results["templates"]["rollup_rows"]
    print(f"BENCH cardinality guarded_rollup_rows_vs_templates={ratio:.2f}", flush=True)
    print(f"BENCH cardinality ingest guard_off_s={off:.2f} guard_on_s={on:.2f} overhead_pct={overhead:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
