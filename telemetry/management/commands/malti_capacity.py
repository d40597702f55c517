from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from telemetry.capacity import Traffic, estimate, ingest_cores
from telemetry.models.retention import LEVELS, default_keep_for, parse_duration_text

GIB = 1024**3


def _count(value: float) -> str:
    for limit, suffix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if value >= limit:
            return f"{value / limit:,.1f}{suffix}"
    return f"{value:,.0f}"


def _duration(keep_for) -> str:
    hours = keep_for.total_seconds() / 3600
    return f"{hours / 24:g} days" if hours >= 48 else f"{hours:g} hours"


class Command(BaseCommand):
    help = (
        "Estimate the disk and CPU Malti needs for a traffic: rows and bytes kept at every level (raw rows, each "
        "rollup level, the request explorer's sample) under the default retention or --keep, and the cores that "
        "ingest the peak rate. Bytes per row and ingest speed are measured in bench/ (docs/capacity.md); rows per "
        "bucket assume requests spread evenly over each dimension's values, an upper bound."
    )

    def add_arguments(self, parser):
        defaults = Traffic(rps=1)
        parser.add_argument("--rps", type=float, required=True, help="Mean requests per second, all services.")
        parser.add_argument("--services", type=int, default=defaults.services, help="Services (default %(default)s).")
        parser.add_argument(
            "--endpoints",
            type=int,
            default=defaults.endpoints,
            help="Method and route pairs per service (%(default)s).",
        )
        parser.add_argument("--nodes", type=int, default=defaults.nodes, help="Nodes per service (%(default)s).")
        parser.add_argument("--contexts", type=int, default=defaults.contexts, help="Contexts (%(default)s).")
        parser.add_argument(
            "--consumers", type=int, default=defaults.consumers, help="Consumers per service (%(default)s)."
        )
        parser.add_argument(
            "--statuses", type=int, default=defaults.statuses, help="Status codes per endpoint (%(default)s)."
        )
        parser.add_argument(
            "--server-errors", type=float, default=defaults.server_error_share, help="Share of 5xx (%(default)s)."
        )
        parser.add_argument("--peak", type=float, default=defaults.peak, help="Peak over mean rate (%(default)s).")
        parser.add_argument(
            "--keep",
            action="append",
            default=[],
            metavar="LEVEL=DURATION",
            help=f"Retention of a level instead of its default, e.g. raw=12h or 1day='2 years'; levels: "
            f"{', '.join(LEVELS)}.",
        )

    def handle(self, *args, rps, services, endpoints, nodes, contexts, consumers, statuses, server_errors, peak,
               keep, **options):  # fmt: skip
        if rps <= 0 or min(services, endpoints, nodes, contexts, consumers, statuses) < 1 or peak < 1:
            raise CommandError("--rps must be above 0, the counts at least 1 and --peak at least 1.")
        traffic = Traffic(
            rps=rps, services=services, endpoints=endpoints, nodes=nodes, contexts=contexts, consumers=consumers,
            statuses=statuses, server_error_share=server_errors, sample_rate=settings.MALTI_SAMPLE_RATE, peak=peak,
        )  # fmt: skip
        keep_for = {level: parse_duration_text(default_keep_for(level)) for level in LEVELS}
        for item in keep:
            level, _, text = item.partition("=")
            if level not in LEVELS or not text:
                raise CommandError(f"--keep takes LEVEL=DURATION with a level of {', '.join(LEVELS)}; got {item!r}.")
            try:
                keep_for[level] = parse_duration_text(text)
            except ValidationError as error:
                raise CommandError(f"--keep {item!r}: {error.messages[0]}") from error

        self.stdout.write(
            f"Traffic: {rps:,.0f} requests/s on average ({rps * peak:,.0f}/s at peak), {services} services, each with "
            f"{endpoints} endpoints, {nodes} nodes, {contexts} contexts, {consumers} consumers, {statuses} status "
            "codes per endpoint.\n"
        )
        self.stdout.write(
            f"{'level':<8}{'kept for':>12}{'rows/bucket':>14}{'rows':>12}{'GiB, even':>12}{'GiB, like bench':>17}"
        )
        levels = estimate(traffic, keep_for)
        for level in levels:
            rate = level.name in ("raw", "sample")
            per_bucket = f"{_count(level.rows_per_bucket)}/s" if rate else _count(level.rows_per_bucket)
            self.stdout.write(
                f"{level.name:<8}{_duration(level.keep_for):>12}{per_bucket:>14}{_count(level.rows):>12}"
                f"{level.bytes / GIB:>12,.2f}{level.concentrated_bytes / GIB:>17,.2f}"
            )
        even, concentrated = (sum(getattr(level, name) for level in levels) for name in ("bytes", "concentrated_bytes"))
        self.stdout.write(f"{'total':<46}{even / GIB:>12,.2f}{concentrated / GIB:>17,.2f}\n")
        self.stdout.write(
            f"Ingest at peak: {ingest_cores(traffic):.2f} cores for web workers and PostgreSQL together, in batches "
            "of 500-1000 records (smaller batches cost more per record). Dashboard reads come on top: see "
            "docs/capacity.md for when a read replica helps.\n"
            "'even': requests spread evenly over every dimension's values (an upper bound); 'like bench': as "
            "concentrated as the benchmark traffic (Zipf consumers, mostly 200s), which keeps 41-56 % of those rows. "
            "Most of it is the full materialisation (every dimension at once): fewer consumers, endpoints or status "
            "codes, or shorter retention of the coarse levels (--keep), shrink it most."
        )
