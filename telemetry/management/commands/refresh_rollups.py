from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from malti_site import clock
from telemetry import rollups


class Command(BaseCommand):
    help = (
        "Bring the rollups up to date now. With --start/--end, recompute that range, each level from the finest "
        "level that still holds it (raw rows, then 1min, 5min, ...); what no source holds any more is kept as it "
        "is and reported. The worker (or, community edition, TimescaleDB) does this on its own."
    )

    def add_arguments(self, parser):
        parser.add_argument("--start", help="ISO 8601 start of a range to recompute.")
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
        message = rollups.refresh(window)
        if "FAILED" in message:
            raise CommandError(message)
        if verbosity:
            style = self.style.WARNING if "skipped" in message else self.style.SUCCESS
            self.stdout.write(style(message))
