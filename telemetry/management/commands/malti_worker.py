"""The worker: keeps the Apache edition's rollups current and applies retention."""

import logging
import signal
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.db.utils import DatabaseError, InterfaceError

from telemetry import retention
from telemetry.edition import has_continuous_aggregates
from telemetry.models import IngestReceipt
from telemetry.rollups import refresher

log = logging.getLogger("malti.worker")


class Command(BaseCommand):
    help = (
        "Run rollup refresh (every MALTI_REFRESH_EVERY s) and retention (every MALTI_RETENTION_EVERY s) until "
        "SIGTERM/SIGINT. Needed on the Apache edition; on the community edition TimescaleDB's jobs do this."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one refresh and one retention pass, then exit.")

    def handle(self, *args, once=False, verbosity=1, **options):
        if has_continuous_aggregates():
            self.stdout.write("Community edition: continuous aggregates and retention policies run inside TimescaleDB.")
            return
        self.stopping = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._stop)
        self.stdout.write(
            f"Malti worker: refresh every {settings.MALTI_REFRESH_EVERY}s, retention every "
            f"{settings.MALTI_RETENTION_EVERY}s (Ctrl-C or SIGTERM stops it)."
        )
        next_refresh = next_retention = time.monotonic()
        while not self.stopping.is_set():
            now = time.monotonic()
            if now >= next_refresh:
                self._safely(self._refresh, verbosity)
                next_refresh = now + settings.MALTI_REFRESH_EVERY
            if now >= next_retention:
                self._safely(self._retention, verbosity)
                next_retention = now + settings.MALTI_RETENTION_EVERY
            if once:
                break
            self.stopping.wait(max(0.1, min(next_refresh, next_retention) - time.monotonic()))
        self.stdout.write("Malti worker stopped.")

    def _stop(self, signum, frame):
        self.stdout.write(f"Received {signal.Signals(signum).name}; finishing the current step.")
        self.stopping.set()

    def _safely(self, step, verbosity):
        # A database outage must not kill the worker: log, reconnect next time.
        if not connection.in_atomic_block:
            close_old_connections()
        try:
            step(verbosity)
        except (DatabaseError, InterfaceError) as exc:
            log.warning("worker step %s failed, will retry: %s", step.__name__, exc)
            if not connection.in_atomic_block:
                connection.close()

    def _refresh(self, verbosity):
        # Failures and skips are logged by the refresher; the next pass retries.
        report = refresher.refresh()
        if verbosity >= 1 and (any(report.buckets.values()) or report.failed or report.skipped):
            self.stdout.write(f"{time.strftime('%H:%M:%S')} {report}")

    def _retention(self, verbosity):
        IngestReceipt.objects.prune()
        report = retention.apply()
        if verbosity >= 1 and any(report.dropped.values()):
            detail = ", ".join(f"{count} from {level}" for level, count in report.dropped.items() if count)
            self.stdout.write(
                f"{time.strftime('%H:%M:%S')} retention dropped {sum(report.dropped.values())} chunk(s): {detail}"
            )
        if any(report.waiting.values()):
            detail = ", ".join(f"{count} from {level}" for level, count in report.waiting.items() if count)
            waiting = sum(report.waiting.values())
            log.warning("retention kept %s chunk(s) past retention, not rolled up yet: %s", waiting, detail)
