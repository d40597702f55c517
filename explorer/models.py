"""The request explorer's 14-day sample, and how much of each service it keeps.

The sample is an ORM model on a hypertable through django-timescaledb: its
TimescaleDateTimeField makes the table a hypertable with daily chunks (so
retention drops whole days), and its TimescaleManager adds TimeBucket queries.
Unlike the raw table (migration telemetry 0001 says why), an id column costs
little here: ingest writes only a few percent of the records into it, and the
id orders records that share a timestamp, for keyset pagination.
"""

from datetime import date, datetime

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from timescale.db.models.fields import TimescaleDateTimeField
from timescale.db.models.managers import TimescaleManager

from accounts.models import Service

SAMPLE_TABLE = "request_samples"


class RequestSample(models.Model):
    """A raw record kept past raw retention: a 5xx, a slow request, or one of the share of the rest."""

    id = models.BigAutoField(primary_key=True)
    created_at = TimescaleDateTimeField(interval="1 day")
    service = models.TextField(help_text="The service's telemetry key, as in the raw table.")
    node = models.TextField(null=True)
    method = models.TextField()
    endpoint = models.TextField()
    context = models.TextField(null=True)
    status = models.SmallIntegerField()
    response_time = models.IntegerField(help_text="milliseconds")
    consumer = models.TextField()

    objects = models.Manager()
    timescale = TimescaleManager()

    class Meta:
        db_table = SAMPLE_TABLE
        indexes = [models.Index(fields=["service", "-created_at"], name="request_samples_service_time")]

    def __str__(self):
        return f"{self.service} {self.method} {self.endpoint} {self.status} at {self.created_at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def kept_per_day(cls, service_key: str, since: datetime) -> list[tuple[date, int]]:
        """Records the sample kept of one service each UTC day from `since`'s day, newest first (TimeBucket)."""
        first_day = since.replace(hour=0, minute=0, second=0, microsecond=0)
        days = cls.timescale.filter(service=service_key, created_at__gte=first_day).time_bucket(
            "created_at", "1 day", annotations={"kept": models.Count("id")}
        )
        return [(day["bucket"].date(), day["kept"]) for day in days]


class SamplingPolicy(models.Model):
    """What the sample keeps of one service, where it differs from the defaults."""

    service = models.OneToOneField(Service, on_delete=models.CASCADE, related_name="sampling_policy")
    slow_threshold_ms = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Keep every request at least this slow (ms). Empty: the service's p99 of the previous day.",
    )
    share = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Share of the other requests kept, 0 to 1 (0.01 is 1 %). Empty: MALTI_SAMPLE_RATE.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "sampling policies"

    def __str__(self):
        return f"sampling of {self.service}"
