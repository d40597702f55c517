from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from malti_site import clock
from malti_site.progress import ProgressBar
from telemetry import rollups
from telemetry.rollups.catalog import LEVEL_BY_NAME, LEVELS
from telemetry.rollups.query import ceil_to, floor_to


class Command(BaseCommand):
    help = (
        "Bring the rollups up to date now. With --start (and --end, default now), first rebuild that range "
        "set-wise, every level from the one below (raw rows for 1min), with a progress bar; where a level's "
        "source no longer holds the range it is kept as it is, and the answer says so. The worker (or, on the "
        "community edition, TimescaleDB) keeps the rollups current on its own."
    )

    def add_arguments(self, parser):
        parser.add_argument("--start", help="ISO 8601 start of a range to rebuild, e.g. 2026-11-28T06:00:00Z.")
        parser.add_argument("--end", help="ISO 8601 end of that range (default: now).")

    def handle(self, *args, start=None, end=None, verbosity=1, **options):
        window = None
        if start:
            begin = parse_datetime(start)
            finish = parse_datetime(end) if end else None
            if begin is None or (end and finish is None):
                raise CommandError("--start and --end take ISO 8601 timestamps, e.g. 2026-11-28T06:00:00Z")
            finish = finish or clock.now()
            if begin >= finish:
                raise CommandError("--start must be before --end")
            window = (begin, finish)
        elif end:
            raise CommandError("--end needs --start")
        bar = ProgressBar(len(LEVELS), stream=self.stderr, enabled=bool(window) and verbosity > 0)

        def progress(level_name, low, high):
            level = LEVEL_BY_NAME[level_name]
            first, last = floor_to(window[0], level), ceil_to(window[1], level)
            bar.update(
                LEVELS.index(level) + (high - first) / (last - first), f"{level_name} up to {high:%Y-%m-%d %H:%M}"
            )

        message = rollups.refresh(window, progress=progress)
        bar.close()
        if "FAILED" in message:
            raise CommandError(message)
        if verbosity:
            style = self.style.WARNING if "kept" in message or "skipped" in message else self.style.SUCCESS
            self.stdout.write(style(message))
