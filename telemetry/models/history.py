"""The ledger of history imported from an original Malti database (manage.py import_malti_data).

The first run fixes a plan per source database — from when each of its
sources is read and until when — so later runs (resumed, or repeated) import
exactly the days not yet done, and nothing twice. It also says where
percentiles are estimates (from the original's aggregates, which keep one
p95 per bucket instead of a histogram) and from when on each level can be
rebuilt from the one below.
"""

from datetime import datetime

from django.db import models
from django.db.models import Max, Q


class HistoryImportQuerySet(models.QuerySet):
    def level_floors(self) -> dict[str, datetime]:
        """From when on a level holds what coarser levels hold: before, those came from the original's aggregates.

        The 1-minute level holds nothing of the ranges imported from 5-minute
        aggregates, nor the 5-minute level of those from 1-hour ones, so they
        must not be rebuilt from it there.
        """
        floors = self.aggregate(
            minute=Max("raw_from", filter=Q(fivemin_from__isnull=False) | Q(hour_from__isnull=False)),
            fivemin=Max("fivemin_from", filter=Q(hour_from__isnull=False)),
        )
        return {level: moment for level, moment in (("1min", floors["minute"]), ("5min", floors["fivemin"])) if moment}

    def estimated_spans(self, keys) -> list[tuple[str, datetime, datetime]]:
        """(stored service key, start, end) where these services' percentiles come from imported aggregates."""
        rows = ImportedService.objects.filter(history_import__in=self, telemetry_key__in=list(keys)).values_list(
            "telemetry_key",
            "history_import__hour_from",
            "history_import__fivemin_from",
            "history_import__raw_from",
            "until",
        )
        spans = []
        for key, hour_from, fivemin_from, raw_from, until in rows:
            start = hour_from or fivemin_from
            end = min(moment for moment in (raw_from, until) if moment)
            if start and start < end:
                spans.append((key, start, end))
        return spans


class HistoryImport(models.Model):
    """One original Malti database, and the plan its first import run fixed."""

    source = models.CharField(max_length=300, unique=True, help_text="The original database's identity.")
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="history_imports")
    # Where each of the original's sources starts (whole hours): raw rows, then its 5-minute and 1-hour aggregates
    # before them. Null: that source held nothing.
    raw_from = models.DateTimeField(null=True)
    fivemin_from = models.DateTimeField(null=True)
    hour_from = models.DateTimeField(null=True)
    until = models.DateTimeField(help_text="Nothing from this moment on is imported (the first run's hour).")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True)

    objects = HistoryImportQuerySet.as_manager()

    class Meta:
        db_table = "malti_history_import"

    def __str__(self):
        return f"history of {self.source}"

    def start(self) -> datetime | None:
        """The oldest moment this import reads."""
        return next((moment for moment in (self.hour_from, self.fivemin_from, self.raw_from) if moment), None)

    def sources_of(self, start: datetime, end: datetime) -> list[tuple[str, datetime, datetime]]:
        """[start, end) cut into the parts read from each source: ("1hour" | "5min" | "raw", low, high)."""
        bounds = [
            ("1hour", self.hour_from, self.fivemin_from or self.raw_from or self.until),
            ("5min", self.fivemin_from, self.raw_from or self.until),
            ("raw", self.raw_from, self.until),
        ]
        parts = []
        for source, low, high in bounds:
            if low is None:
                continue
            low, high = max(low, start), min(high, end)
            if low < high:
                parts.append((source, low, high))
        return parts


class ImportedService(models.Model):
    """A service whose history an import brings, and until when (the hour its own Malti telemetry begins)."""

    history_import = models.ForeignKey(HistoryImport, on_delete=models.CASCADE, related_name="services")
    name = models.CharField(max_length=500, help_text="The name its records carry in the original.")
    telemetry_key = models.CharField(max_length=500)
    until = models.DateTimeField()

    class Meta:
        db_table = "malti_history_import_service"
        constraints = [
            models.UniqueConstraint(fields=["history_import", "name"], name="malti_imported_service_once"),
        ]

    def __str__(self):
        return f"{self.name} until {self.until:%Y-%m-%d %H:%M} UTC"


class ImportedDay(models.Model):
    """A UTC day of an import, committed with every row of it (the unit a resumed run skips)."""

    history_import = models.ForeignKey(HistoryImport, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    rows = models.BigIntegerField(help_text="Rows read from the original for this day.")
    finished_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "malti_history_import_day"
        constraints = [models.UniqueConstraint(fields=["history_import", "day"], name="malti_imported_day_once")]

    def __str__(self):
        return f"{self.day} ({self.rows} rows)"
