from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat

from telemetry import retention
from telemetry.edition import has_continuous_aggregates
from telemetry.models.retention import LEVELS


def _human(duration) -> str:
    seconds = int(duration.total_seconds())
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} seconds"


def _moment(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else "-"


def _behind(progress) -> str:
    if progress is None:
        return "-"
    if progress.behind is None:
        return "never refreshed"
    return "up to date" if not progress.behind else _human(progress.behind)


class Command(BaseCommand):
    help = (
        "Show, change and apply how long each level (raw, 1min, 5min, 1hour, 6hour, 1day, 1week, and the "
        "request explorer's sample) keeps data."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser("show", help="Policy, oldest and newest data, and size per level.")
        setter = sub.add_parser("set", help="Keep LEVEL's data for DURATION, e.g. `retention set raw '12 hours'`.")
        setter.add_argument("level", choices=LEVELS)
        setter.add_argument("duration", help="e.g. '6 hours', '90 days', '2 weeks'")
        applier = sub.add_parser("apply", help="Drop whole chunks older than each level's retention.")
        applier.add_argument("--dry-run", action="store_true", help="Only say what would be dropped.")

    def handle(self, *args, action, **options):
        getattr(self, f"do_{action}")(**options)

    def do_show(self, **_):
        edition = "community (Malti's TimescaleDB job)" if has_continuous_aggregates() else "apache (Malti's worker)"
        self.stdout.write(f"Retention, enforced by the {edition} edition path:")
        self.stdout.write(
            f"{'level':6}  {'keep for':>10}  {'oldest':25}  {'newest':25}  {'size':>10}  {'complete until':25}  behind"
        )
        for report in retention.show():
            progress = report.progress
            self.stdout.write(
                f"{report.level:6}  {_human(report.keep_for):>10}  {_moment(report.oldest):25}  "
                f"{_moment(report.newest):25}  {filesizeformat(report.size_bytes):>10}  "
                f"{_moment(progress.watermark if progress else None):25}  {_behind(progress)}"
            )

    def do_set(self, level, duration, **_):
        try:
            kept = retention.set_policy(level, duration)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"{level} now keeps {_human(kept)} of data."))

    def do_apply(self, dry_run=False, verbosity=1, **_):
        report = retention.apply(dry_run=dry_run)
        if verbosity >= 2:
            for level, count in report.dropped.items():
                self.stdout.write(f"  {level:6} {count} chunk(s)")
        total = sum(report.dropped.values())
        detail = ", ".join(f"{count} from {level}" for level, count in report.dropped.items() if count) or "none"
        verb = "Would drop" if dry_run else "Dropped"
        self.stdout.write(self.style.SUCCESS(f"{verb} {total} chunk(s) past retention ({detail})."))
        waiting = {level: count for level, count in report.waiting.items() if count}
        if waiting:
            detail = ", ".join(f"{count} from {level}" for level, count in waiting.items())
            self.stdout.write(
                self.style.WARNING(
                    f"Kept {sum(waiting.values())} chunk(s) past retention that are not rolled up yet ({detail})."
                )
            )
