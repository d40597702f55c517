from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.utils.dateparse import parse_duration

# Raw data and the levels rolled up from it, finest first: each is read by the next.
CHAIN = ("raw", "1min", "5min", "1hour", "6hour", "1day", "1week")
# The request explorer's sample (explorer/): raw records kept longer, read by nothing.
SAMPLE = "sample"
LEVELS = (*CHAIN, SAMPLE)
INTERVAL_SECONDS_SQL = "SELECT extract(epoch FROM %s::interval)"


def interval_to_timedelta(text: str) -> timedelta:
    """Parse a PostgreSQL interval ('6 hours', '90 days', 'PT6H') via the database."""
    with connection.cursor() as cursor:
        try:
            cursor.execute(INTERVAL_SECONDS_SQL, [text])
        except Exception:
            raise ValidationError(f"{text!r} is not a duration (try '6 hours', '90 days')") from None
        seconds = cursor.fetchone()[0]
    return timedelta(seconds=float(seconds))


class RetentionPolicyManager(models.Manager):
    def duration(self, level: str) -> timedelta:
        policy = self.filter(level=level).first()
        return parse_duration_text(policy.keep_for if policy else default_keep_for(level))

    def durations(self) -> dict[str, timedelta]:
        stored = dict(self.values_list("level", "keep_for"))
        return {level: parse_duration_text(stored.get(level, default_keep_for(level))) for level in LEVELS}


def default_keep_for(level: str) -> str:
    """The settings' retention for a level (the sample's is a setting of its own)."""
    return settings.MALTI_RETENTION_SAMPLE if level == SAMPLE else settings.MALTI_RETENTION_DEFAULTS[level]


def parse_duration_text(text: str) -> timedelta:
    parsed = _parse_simple(text) or parse_duration(text)
    if parsed is None:
        return interval_to_timedelta(text)
    return parsed


_UNITS = {
    "minute": 60,
    "minutes": 60,
    "min": 60,
    "mins": 60,
    "m": 60,
    "hour": 3600,
    "hours": 3600,
    "h": 3600,
    "day": 86400,
    "days": 86400,
    "d": 86400,
    "week": 604800,
    "weeks": 604800,
    "w": 604800,
}


def _parse_simple(text: str) -> timedelta | None:
    """'6 hours', '90d', '7 days' without a database round trip."""
    cleaned = text.strip().lower()
    number = cleaned.rstrip("abcdefghijklmnopqrstuvwxyz ").strip()
    unit = cleaned[len(number) :].strip()
    if not number.isdigit() or unit not in _UNITS:
        return None
    return timedelta(seconds=int(number) * _UNITS[unit])


class RetentionPolicy(models.Model):
    """How long one level keeps data, when it differs from the settings' default."""

    level = models.CharField(max_length=10, unique=True, choices=[(level, level) for level in LEVELS])
    keep_for = models.CharField(max_length=40, help_text="A duration such as '6 hours' or '90 days'.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = RetentionPolicyManager()

    class Meta:
        verbose_name_plural = "retention policies"

    def __str__(self):
        return f"{self.level}: {self.keep_for}"
