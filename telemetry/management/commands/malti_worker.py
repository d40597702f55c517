"""The worker: evaluates alert rules and sends notifications; on the Apache edition also keeps the rollups
current and applies retention."""

import logging
import signal
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.db.utils import DatabaseError, InterfaceError

from alerts import delivery, evaluation
from alerts.models import AlertEvent
from malti_site import clock
from telemetry import retention
from telemetry.edition import has_continuous_aggregates
from telemetry.models import IngestReceipt
from telemetry.rollups import refresher

log = logging.getLogger("malti.worker")

ALERT_HISTORY_PRUNE_EVERY = 3600  # seconds


class Command(BaseCommand):
    help = (
        "Run rollup refresh (every MALTI_REFRESH_EVERY s) and retention (every MALTI_RETENTION_EVERY s), alert "
        "evaluation (every MALTI_ALERTS_EVALUATE_EVERY s) and delivery (every MALTI_ALERTS_DELIVER_EVERY s), and prune "
        "alert history older than MALTI_ALERTS_HISTORY_DAYS (hourly), until "
        "SIGTERM/SIGINT. On the community edition TimescaleDB's jobs refresh and apply retention: only alerts run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one refresh and one retention pass, then exit.")

    def handle(self, *args, once=False, verbosity=1, **options):
        self.stopping = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._stop)
        # (step, period in seconds); the community edition's rollups and retention run inside TimescaleDB.
        steps = []
        if has_continuous_aggregates():
            self.stdout.write("Community edition: continuous aggregates and retention policies run inside TimescaleDB.")
        else:
            steps += [(self._refresh, settings.MALTI_REFRESH_EVERY), (self._retention, settings.MALTI_RETENTION_EVERY)]
        steps += [
            (self._evaluate_alerts, settings.MALTI_ALERTS_EVALUATE_EVERY),
            (self._deliver_alerts, settings.MALTI_ALERTS_DELIVER_EVERY),
            (self._prune_alert_history, ALERT_HISTORY_PRUNE_EVERY),
        ]
        self.stdout.write(
            "Malti worker: "
            + ", ".join(f"{step.__name__.strip('_')} every {every}s" for step, every in steps)
            + " (Ctrl-C or SIGTERM stops it)."
        )
        due = dict.fromkeys((step for step, _ in steps), time.monotonic())
        while not self.stopping.is_set():
            for step, every in steps:
                now = time.monotonic()
                if now >= due[step]:
                    self._safely(step, verbosity)
                    due[step] = now + every
            if once:
                break
            self.stopping.wait(max(0.1, min(due.values()) - time.monotonic()))
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

    def _evaluate_alerts(self, verbosity):
        report = evaluation.evaluate()
        if verbosity >= 1 and report.transitions:
            self.stdout.write(f"{time.strftime('%H:%M:%S')} {report}")

    def _deliver_alerts(self, verbosity):
        report = delivery.deliver_due()
        if verbosity >= 1 and (report.delivered or report.failed):
            self.stdout.write(f"{time.strftime('%H:%M:%S')} {report}")

    def _prune_alert_history(self, verbosity):
        before = clock.now() - timedelta(days=settings.MALTI_ALERTS_HISTORY_DAYS)
        pruned = AlertEvent.objects.prune(before)
        if verbosity >= 1 and pruned:
            stamp = time.strftime("%H:%M:%S")
            self.stdout.write(f"{stamp} pruned {pruned} alert transition(s) before {before:%Y-%m-%d}")

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
