"""Native compression (community edition): the ratio per level, and the metrics read over compressed chunks.

    .venv/bin/python -m bench.compression [--rows 1000000] [--days 21] [--reps 20] [--reuse] [--report]

Its own database, malti_bench_compress, on the community cluster
(127.0.0.1:5434). Fills the raw table with `--rows` records spread evenly
over the last `--days` whole days (bench.rebuild's generator: 10 services,
40 endpoints, 200 consumers, a status mix, log-normal latencies, same rows
every run), rebuilds the rollups over them (telemetry.rollups.rebuild) and
moves each aggregate's watermark to today; `--reuse` keeps what a run before
left and only decompresses it. TimescaleDB's own jobs are paused, so nothing
compresses, refreshes or drops during the run.

Then, in the same run, over the same ranges: the metrics read
(telemetry.metrics.build_response, as /api/v1/metrics/aggregate calls it,
in-process) timed `--reps` times per case, uncompressed; every compression
policy run once (telemetry.compression.compress_now, MALTI_COMPRESS_AFTER=1
day, so every level's chunks past its policy's age compress); the same reads
timed again, and their answers compared with the uncompressed ones. Prints
each level's bytes before and after (its compressed chunks) and the ratio,
and each case's p50/p95 both ways (`--report`: only the bytes per row of each
relation's compressed chunks, as the database is now). The last line is for scripts:

    BENCH compression edition=... rows=... days=... raw_ratio=... 1min_ratio=... ... compress_s=...
          <case>_p95_ms=<uncompressed>/<compressed> ... same_answers=...
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

os.environ.setdefault("BENCH_DATABASE_URL", "postgres://malti:malti@127.0.0.1:5434/malti_bench_compress")
os.environ.setdefault("BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5434/postgres")
os.environ.setdefault("MALTI_TIMESCALEDB_LICENSE", "timescale")
os.environ["MALTI_COMPRESS_AFTER"] = "1 day"

from bench import common  # noqa: E402  (reads BENCH_DATABASE_URL)
from bench.rebuild import CLEAR_SQL, FILL_SQL  # noqa: E402

PAUSE_JOBS_SQL = (
    "SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs WHERE scheduled AND job_id >= 1000"
)
DECOMPRESS_SQL = "SELECT count(decompress_chunk(chunk, if_compressed => true)) FROM show_chunks(%s::regclass) AS chunk"
# TimescaleDB refuses to truncate a materialisation hypertable, not the aggregate.
TRUNCATE_SQL = "TRUNCATE {relation}"
# Per relation, over its compressed chunks: rows, and bytes (table, TOAST and indexes) before and after.
RELATION_SIZES_SQL = """
SELECT coalesce(sum(size.numrows_pre_compression), 0),
       coalesce(sum(size.uncompressed_heap_size + size.uncompressed_toast_size + size.uncompressed_index_size), 0),
       coalesce(sum(size.compressed_heap_size + size.compressed_toast_size + size.compressed_index_size), 0)
FROM _timescaledb_catalog.compression_chunk_size AS size
JOIN _timescaledb_catalog.chunk AS chunk ON chunk.id = size.chunk_id
JOIN _timescaledb_catalog.hypertable AS hypertable ON hypertable.id = chunk.hypertable_id
WHERE format('%%I.%%I', hypertable.schema_name, hypertable.table_name)::regclass = %s::regclass
"""
SERVICES = [f"bench-rebuild-{number}" for number in range(10)]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="raw records (1,000,000)")
    parser.add_argument("--days", type=int, default=21, help="whole days they span, ending today (21)")
    parser.add_argument("--reps", type=int, default=20, help="timed reads per case, after 2 warm-ups (20)")
    parser.add_argument("--reuse", action="store_true", help="keep the rows and rollups a run before left")
    parser.add_argument("--report", action="store_true", help="only bytes per row of each relation, as it is now")
    return parser.parse_args(argv)


def cases(today: datetime) -> dict[str, dict]:
    """Ranges 8-9 days back: an hour (1-minute rows) and a day (5-minute rows), compressed by the run;
    a week (1-hour rows, whose 30-day chunk still reaches into the last 49 hours): the same rows both times,
    so its difference is the machine's noise."""
    hour = {"start_time": today - timedelta(days=9), "end_time": today - timedelta(days=9) + timedelta(hours=1)}
    day = {"start_time": today - timedelta(days=9), "end_time": today - timedelta(days=8)}
    week = {"start_time": today - timedelta(days=15), "end_time": today - timedelta(days=8)}
    return {
        "1h_all": hour,
        "1h_consumer": {**hour, "consumer": "consumer-17"},
        "1d_all": day,
        "1d_endpoint": {**day, "endpoint": "/api/v1/resource-7/{id}"},
        "1d_consumer": {**day, "consumer": "consumer-17"},
        "7d_all_control": week,
    }


def read(params: dict) -> dict:
    from telemetry import metrics

    scope = metrics.parse({name: str(value) for name, value in params.items()}, datetime.now(UTC))
    return metrics.build_response(scope, {service: service for service in SERVICES})


def time_reads(all_cases: dict, reps: int) -> tuple[dict, dict]:
    """Each case's read times (ms) and its answer."""
    timings, answers = {}, {}
    for name, params in all_cases.items():
        for _ in range(2):
            answers[name] = read(params)
        timings[name] = []
        for _ in range(reps):
            began = time.perf_counter()
            read(params)
            timings[name].append((time.perf_counter() - began) * 1000)
    return timings, answers


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def level_stats() -> dict:
    from django.db import connection

    from telemetry import compression
    from telemetry.models.retention import CHAIN
    from telemetry.retention import relations_of

    with connection.cursor() as cursor:
        return {level: compression.stats(cursor, relations_of(level)) for level in CHAIN}


def report_relations():
    """Bytes per row of every relation's compressed chunks, before and after (docs/capacity.md's table)."""
    from django.db import connection

    from telemetry import compression
    from telemetry.rollups.rebuild import storage

    print(f"{'relation':24}  {'rows':>10}  {'B/row before':>12}  {'B/row after':>11}  ratio", flush=True)
    with connection.cursor() as cursor:
        for relation in compression.relations():
            cursor.execute(RELATION_SIZES_SQL, [storage(relation)])
            rows, before, after = cursor.fetchone()
            if rows:
                print(
                    f"{relation:24}  {rows:>10,}  {before / rows:>12.0f}  {after / rows:>11.1f}  {before / after:.1f}x",
                    flush=True,
                )


def fill_and_rebuild(args, start, today):
    """The raw rows, and every rollup over them with its watermark at today."""
    from django.db import connection

    from telemetry import compression
    from telemetry.rollups.catalog import relations
    from telemetry.rollups.continuous import REFRESH_SQL
    from telemetry.rollups.rebuild import rebuild

    with connection.cursor() as cursor:
        cursor.execute(CLEAR_SQL)
        for relation in compression.relations()[1:]:
            cursor.execute(TRUNCATE_SQL.format(relation=relation))
        began = time.perf_counter()
        step = timedelta(days=args.days) / args.rows
        cursor.execute(FILL_SQL, {"start": start, "step": step, "rows": args.rows})
        cursor.execute("ANALYZE requests")
        print(f"filled {args.rows:,} raw rows over {args.days} days in {time.perf_counter() - began:.0f} s", flush=True)
    began = time.perf_counter()
    rebuild(start, today)
    with connection.cursor() as cursor:
        for level, materialisation in relations():
            # The rebuild writes the materialisations but leaves the watermarks: TimescaleDB's refresh of each
            # aggregate's last two buckets moves them to today, so reads take the materialised rows, not raw ones.
            cursor.execute(REFRESH_SQL, [materialisation.relation(level), today - 2 * level.width, today])
    print(f"rebuilt the rollups in {time.perf_counter() - began:.0f} s", flush=True)


def decompress_everything(cursor):
    """A re-run starts from uncompressed chunks (the clear below truncates them anyway)."""
    from telemetry import compression

    for relation in compression.relations():
        cursor.execute(DECOMPRESS_SQL, [relation])


def main(argv=None):
    args = parse_args(argv)
    common.setup_django()
    common.ensure_database()
    from django.db import connection

    from telemetry import compression
    from telemetry.edition import edition, has_continuous_aggregates

    if args.report:
        report_relations()
        return 0
    if not has_continuous_aggregates():
        print("The Apache edition of TimescaleDB does not compress: nothing to measure.", flush=True)
        print("BENCH compression edition=apache compressed=0", flush=True)
        return 0
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=args.days)
    print(f"edition: {edition()}; code: {common.code_version()}; uptime: {common.uptime()}", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(PAUSE_JOBS_SQL)
        began = time.perf_counter()
        decompress_everything(cursor)
        print(f"decompressed what a run before compressed in {time.perf_counter() - began:.0f} s", flush=True)
    if not args.reuse:
        fill_and_rebuild(args, start, today)
    compression.sync_policies()  # (migrate synced them already, unless MALTI_COMPRESS_AFTER changed since)
    with connection.cursor() as cursor:
        cursor.execute(PAUSE_JOBS_SQL)
        cursor.execute("ANALYZE")

    all_cases = cases(today)
    plain_ms, plain_answers = time_reads(all_cases, args.reps)
    began = time.perf_counter()
    compression.compress_now()
    compress_s = time.perf_counter() - began
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    packed_ms, packed_answers = time_reads(all_cases, args.reps)
    different = [name for name in all_cases if plain_answers[name] != packed_answers[name]]

    stats = level_stats()
    print(f"compressed in {compress_s:.1f} s", flush=True)
    print(f"{'level':6}  {'chunks':>9}  {'before':>12}  {'after':>12}  ratio", flush=True)
    for level, level_stat in stats.items():
        ratio = f"{level_stat.ratio:.1f}x" if level_stat.ratio else "-"
        print(
            f"{level:6}  {level_stat.compressed_chunks:>4}/{level_stat.chunks:<4}  {level_stat.before_bytes:>12,}  "
            f"{level_stat.after_bytes:>12,}  {ratio}",
            flush=True,
        )
    report_relations()
    print(f"{'case':12}  {'p50 plain':>10}  {'p50 comp.':>10}  {'p95 plain':>10}  {'p95 comp.':>10}", flush=True)
    for name in all_cases:
        print(
            f"{name:12}  {statistics.median(plain_ms[name]):>10.1f}  {statistics.median(packed_ms[name]):>10.1f}  "
            f"{p95(plain_ms[name]):>10.1f}  {p95(packed_ms[name]):>10.1f}",
            flush=True,
        )
    print("same answers" if not different else f"DIFFERENT answers: {', '.join(different)}", flush=True)
    print(
        f"BENCH compression edition={edition()} rows={args.rows} days={args.days} "
        + " ".join(f"{level}_ratio={s.ratio or 0:.1f}" for level, s in stats.items())
        + f" compress_s={compress_s:.1f} "
        + " ".join(f"{name}_p95_ms={p95(plain_ms[name]):.1f}/{p95(packed_ms[name]):.1f}" for name in all_cases)
        + f" same_answers={int(not different)}",
        flush=True,
    )
    return 0 if not different else 1


if __name__ == "__main__":
    sys.exit(main())
