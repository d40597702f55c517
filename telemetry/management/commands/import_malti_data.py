from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from malti_site.progress import ProgressBar
from telemetry import history_import

DEFAULT_TENANT = "Default"


class Command(BaseCommand):
    help = (
        "Import the history of an original Malti installation from its database: raw rows still there exactly, "
        "older ranges from its 5-minute and 1-hour aggregates (counts, errors, min, max and mean exact; "
        "percentiles estimated, and marked so). Services are matched by name in the tenant (run "
        "import_malti_config first); each one's history ends where its own Malti telemetry begins. "
        "A day at a time, each committed whole: safe to interrupt and run again, and a second run adds nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "database_url", help="The original's PostgreSQL URL, e.g. postgresql://malti:secret@old-host:5432/malti"
        )
        parser.add_argument(
            "--tenant",
            default=DEFAULT_TENANT,
            help=f"The tenant its services belong to (default {DEFAULT_TENANT!r}, as import_malti_config).",
        )
        parser.add_argument("--since", help="Import only from this ISO 8601 moment on (whole UTC days).")
        parser.add_argument("--dry-run", action="store_true", help="Show what would be imported, change nothing.")

    def handle(self, *args, database_url, tenant, since=None, dry_run=False, verbosity=1, **options):
        start = None
        if since:
            start = parse_datetime(since)
            if start is None or start.tzinfo is None:
                raise CommandError("--since takes an ISO 8601 moment with its offset, e.g. 2026-01-01T00:00:00Z")
        try:
            original = history_import.connect_original(database_url)
        except history_import.HistoryImportError as exc:
            raise CommandError(str(exc)) from None
        with original:
            try:
                plan = history_import.plan(original, tenant, start, dry_run=dry_run)
            except history_import.HistoryImportError as exc:
                raise CommandError(str(exc)) from None
            self._describe(plan, verbosity)
            if not plan.services:
                raise CommandError(
                    f"None of the original's services exists in tenant {tenant!r}: "
                    "run manage.py import_malti_config with its malti.toml first."
                )
            if dry_run:
                rows = sum(history_import.count_rows(original, plan, day) for day in plan.days)
                self.stdout.write(
                    f"Would import {len(plan.days)} day(s), {rows:,} rows of the original. Nothing changed."
                )
                return
            bar = ProgressBar(len(plan.days), stream=self.stderr, enabled=verbosity > 0 and bool(plan.days))
            totals = {}

            def on_day(report):
                for source, rows in report.rows.items():
                    totals[source] = totals.get(source, 0) + rows
                bar.advance(1, f"{report.day:%Y-%m-%d}  {sum(totals.values()):,} rows")

            history_import.run(original, plan, on_day)
            bar.close()
            refreshed = history_import.finish(plan)
        read = ", ".join(f"{rows:,} {source}" for source, rows in totals.items()) or "no new rows"
        summary = f"Imported {len(plan.days)} day(s) ({read}); {plan.done_days} day(s) were imported before."
        if verbosity:
            self.stdout.write(self.style.SUCCESS(summary))
            if verbosity > 1:
                self.stdout.write(refreshed)

    def _describe(self, plan, verbosity):
        if not verbosity:
            return
        record = plan.record
        sources = [
            (f"1-hour aggregates from {record.hour_from:%Y-%m-%d %H:%M}", record.hour_from),
            (f"5-minute aggregates from {record.fivemin_from:%Y-%m-%d %H:%M}", record.fivemin_from),
            (f"raw rows from {record.raw_from:%Y-%m-%d %H:%M}", record.raw_from),
        ]
        read = "; ".join(text for text, moment in sources if moment) or "nothing (its tables are empty)"
        self.stdout.write(f"Reading {read}, until {record.until:%Y-%m-%d %H:%M} UTC.")
        for service in plan.services:
            self.stdout.write(f"  {service.name}: until {service.until:%Y-%m-%d %H:%M} UTC")
        if plan.unknown:
            self.stdout.write(
                self.style.WARNING(
                    f"Skipped {len(plan.unknown)} service(s) with no Malti service of that name in the tenant: "
                    + ", ".join(plan.unknown)
                )
            )
