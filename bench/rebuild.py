"""Range rebuild of the rollups: set-wise (telemetry.rollups.rebuild) against the refresh it replaced.

    .venv/bin/python -m bench.rebuild [--rows 3000000] [--days 30] [--skip-baseline]

Fills the raw table of its own database, malti_bench_rebuild, with `--rows`
records spread evenly over the last `--days` whole days (10 services, 40
endpoints, 3 nodes, 4 contexts, 200 consumers, a status mix, log-normal
latencies; generated in SQL from a fixed seed, so every run has the same
rows), then rebuilds that range twice, in the same run:

  baseline  what `refresh_rollups --start/--end` did before: on the Apache
            edition, log every minute of the range and run the refresher; on
            the community edition, refresh_continuous_aggregate per aggregate;
  set-wise  rebuild(): per level and materialisation, one DELETE and one
            INSERT … SELECT per slice (a day, or four weeks above 5 minutes).

It checks that both leave identical rollups (per level: requests, latency
sums and histogram slots), and reports each level's source rows per second
(raw rows for 1min, the level below's full rows above) and the ratio of the
two wall times. The last line is for scripts:

    BENCH rebuild edition=... rows=... days=... baseline_s=... setwise_s=... speedup=...
          min_level_rows_per_s=... <level>_rows_per_s=...
"""

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta

os.environ.setdefault("BENCH_DATABASE_URL", "postgres://malti:malti@127.0.0.1:5433/malti_bench_rebuild")

from bench import common  # noqa: E402  (reads BENCH_DATABASE_URL)

FILL_SQL = """
SELECT setseed(0.42);
INSERT INTO requests (service, node, method, created_at, endpoint, context, status, response_time, consumer)
SELECT 'bench-rebuild-' || (i %% 10), 'node-' || (i %% 3), (ARRAY['GET', 'POST', 'PUT', 'DELETE'])[1 + (i %% 4)],
       %(start)s::timestamptz + (i - 1) * %(step)s::interval,
       '/api/v1/resource-' || ((i * 7) %% 40) || '/{id}', 'context-' || (i %% 4),
       (ARRAY[200, 200, 200, 200, 200, 200, 201, 204, 304, 400, 404, 500, 503])[1 + floor(random() * 13)::int],
       greatest(0, exp(4 + 1.1 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())))::int,
       'consumer-' || floor(random() * 200)::int
FROM generate_series(1, %(rows)s) AS i
"""
CLEAR_SQL = "TRUNCATE requests, malti_dirty_minutes, malti_dirty_buckets"
# A fingerprint of a relation's complete buckets in the range (the refresher leaves an open week to its open
# relation): requests, latency sum, and the histogram slots weighted by index.
FINGERPRINT_SQL = (
    "SELECT coalesce(sum(request_count), 0), coalesce(sum(response_time_sum), 0), coalesce(sum({slots}), 0) "
    "FROM {relation} WHERE bucket >= %s AND bucket + %s::interval <= %s"
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=3_000_000, help="raw records to rebuild from (3,000,000)")
    parser.add_argument("--days", type=int, default=30, help="whole days they span, ending today (30)")
    parser.add_argument("--skip-baseline", action="store_true", help="only the set-wise rebuild")
    return parser.parse_args(argv)


def clear_rollups(cursor):
    from telemetry.rollups.catalog import relations
    from telemetry.rollups.rebuild import storage

    for level, materialisation in relations():
        cursor.execute(f"TRUNCATE {storage(materialisation.relation(level))}")


def fingerprint(cursor, start, end) -> dict:
    from telemetry.rollups.catalog import relations
    from telemetry.rollups.histogram import HISTOGRAM_COLUMNS

    slots = " + ".join(f"coalesce({column}, 0)::bigint * {index}" for index, column in enumerate(HISTOGRAM_COLUMNS, 1))
    prints = {}
    for level, materialisation in relations():
        relation = materialisation.relation(level)
        cursor.execute(FINGERPRINT_SQL.format(slots=slots, relation=relation), [start, level.interval, end])
        prints[relation] = tuple(int(value) for value in cursor.fetchone())
    return prints


def baseline(start, end):
    """The refresh_rollups --start/--end of before: the refresher over logged minutes, or TimescaleDB's refresh."""
    from telemetry.edition import has_continuous_aggregates

    if has_continuous_aggregates():
        from telemetry.rollups.continuous import refresh_continuous_aggregates

        return refresh_continuous_aggregates((start, end))
    from telemetry.rollups import refresher

    refresher.mark_dirty(start, end)
    return refresher.refresh()


def main(argv=None):
    args = parse_args(argv)
    common.setup_django()
    common.ensure_database()
    from django.db import connection

    from telemetry.edition import edition
    from telemetry.models import RetentionPolicy
    from telemetry.rollups.catalog import LEVELS
    from telemetry.rollups.rebuild import rebuild

    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=args.days)
    # Keep every level (raw included) over the range, as a source for the rebuild.
    for level in ("raw", "1min", "5min"):
        RetentionPolicy.objects.update_or_create(level=level, defaults={"keep_for": f"{args.days + 2} days"})
    print(f"edition: {edition()}; code: {common.code_version()}; uptime: {common.uptime()}", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(CLEAR_SQL)
        clear_rollups(cursor)
        began = time.perf_counter()
        step = timedelta(days=args.days) / args.rows
        cursor.execute(FILL_SQL, {"start": start, "step": step, "rows": args.rows})
        cursor.execute("ANALYZE requests")
        print(f"filled {args.rows:,} raw rows over {args.days} days in {time.perf_counter() - began:.0f} s", flush=True)

    baseline_s = None
    if not args.skip_baseline:
        began = time.perf_counter()
        said = baseline(start, end)
        baseline_s = time.perf_counter() - began
        print(f"baseline: {baseline_s:.1f} s ({said})", flush=True)
        with connection.cursor() as cursor:
            expected = fingerprint(cursor, start, end)
            clear_rollups(cursor)

    began = time.perf_counter()
    report = rebuild(start, end)
    setwise_s = time.perf_counter() - began
    print(f"set-wise: {setwise_s:.1f} s", flush=True)
    for level in LEVELS:
        if level.name in report.rows:
            print(
                f"  {level.name:6s} {report.rows[level.name]:>11,} source rows  {report.seconds[level.name]:7.1f} s  "
                f"{report.rate(level.name):>10,.0f} rows/s",
                flush=True,
            )
    same = True
    if baseline_s is not None:
        with connection.cursor() as cursor:
            found = fingerprint(cursor, start, end)
        different = [relation for relation in expected if expected[relation] != found[relation]]
        same = not different
        print("identical rollups" if same else f"DIFFERENT rollups: {', '.join(different)}", flush=True)
    rates = {level: report.rate(level) for level in report.rows}
    speedup = f"{baseline_s / setwise_s:.2f}" if baseline_s else "n/a"
    print(
        f"BENCH rebuild edition={edition()} rows={args.rows} days={args.days} "
        f"baseline_s={baseline_s or 0:.1f} setwise_s={setwise_s:.1f} speedup={speedup} "
        f"min_level_rows_per_s={min(rates.values()):.0f} "
        + " ".join(f"{level}_rows_per_s={rate:.0f}" for level, rate in rates.items()),
        flush=True,
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
