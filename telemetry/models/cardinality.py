"""The cardinality guard's state: limits per service, the values admitted, and the limits hit.

A value of a dimension (endpoint, consumer, node, context) is admitted into
the rollups while its service has fewer admitted values than the limit over
the last day; beyond that it is stored as OTHER in the column the rollups
read, and raw rows keep it in `<dimension>_original` (telemetry/cardinality.py).
"""

from datetime import timedelta

from django.db import models

from malti_site import clock

GUARDED_DIMENSIONS = ("endpoint", "consumer", "node", "context")
OTHER = "(other)"
# Values count against a limit while they were seen this recently.
WINDOW = timedelta(days=1)
ADVICE = (
    "Send route templates (/users/{id}) rather than raw paths, and a consumer per calling application rather "
    "than per end user; or, if the values are real, raise the service's limit in admin (Services, the "
    "service, Cardinality limits)."
)
DEFAULT_LIMITS = {"endpoint": 1_000, "consumer": 10_000, "node": 1_000, "context": 1_000}


def limit_field(dimension: str) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(
        default=DEFAULT_LIMITS[dimension],
        help_text=f"Distinct {dimension}s over a sliding day before new ones are counted under {OTHER}.",
    )


class CardinalityLimits(models.Model):
    """A service's limits and path normalisation; a service without a row has the defaults."""

    service = models.OneToOneField("accounts.Service", on_delete=models.CASCADE, related_name="cardinality")
    endpoint_limit = limit_field("endpoint")
    consumer_limit = limit_field("consumer")
    node_limit = limit_field("node")
    context_limit = limit_field("context")
    normalise_paths = models.BooleanField(
        default=True,
        help_text="Replace path segments that are numbers, UUIDs or long hex/base64 tokens with {id} at ingest. "
        "On by default: such segments are nearly always identifiers sent instead of a route template, and one "
        "endpoint per identifier is the classic way to fill the endpoint limit. Raw rows keep the path as sent.",
    )

    class Meta:
        verbose_name = verbose_name_plural = "cardinality limits"

    def __str__(self):
        return f"cardinality limits of {self.service}"

    def limit(self, dimension: str) -> int:
        return getattr(self, f"{dimension}_limit")


class AdmittedValue(models.Model):
    """A value a service's rollups keep as it is, seen within the last WINDOW."""

    service_key = models.CharField(max_length=500)
    dimension = models.CharField(max_length=16)
    value = models.TextField()
    last_seen = models.DateTimeField()

    class Meta:
        db_table = "malti_admitted_values"
        constraints = [
            models.UniqueConstraint(fields=["service_key", "dimension", "value"], name="admitted_value_unique")
        ]

    def __str__(self):
        return f"{self.dimension} {self.value!r} of {self.service_key}"


class CardinalityOverflowQuerySet(models.QuerySet):
    def current(self):
        """Limits hit within the last WINDOW."""
        return self.filter(last_folded__gte=clock.now() - WINDOW)

    def described(self, keys) -> list[dict]:
        """The limits these services (stored keys) hit in the last day, with each limit and how to fix it."""
        hits = list(self.current().filter(service_key__in=list(keys)).order_by("service_key", "dimension"))
        limits = {
            row.service.telemetry_key: row
            for row in CardinalityLimits.objects.filter(
                service__telemetry_key__in=[hit.service_key for hit in hits]
            ).select_related("service")
        }
        return [
            {
                "service": hit.service_key,
                "dimension": hit.dimension,
                "limit": limits[hit.service_key].limit(hit.dimension)
                if hit.service_key in limits
                else DEFAULT_LIMITS[hit.dimension],
                "since": hit.since,
                "last_folded": hit.last_folded,
                "examples": hit.examples,
                "advice": ADVICE,
            }
            for hit in hits
        ]


class CardinalityOverflow(models.Model):
    """A service's dimension that hit its limit: since when, last when, and a few of the values folded."""

    service_key = models.CharField(max_length=500)
    dimension = models.CharField(max_length=16)
    since = models.DateTimeField()
    last_folded = models.DateTimeField()
    examples = models.JSONField(default=list)

    objects = CardinalityOverflowQuerySet.as_manager()

    class Meta:
        db_table = "malti_cardinality_overflows"
        constraints = [models.UniqueConstraint(fields=["service_key", "dimension"], name="overflow_unique")]

    def __str__(self):
        return f"{self.dimension} of {self.service_key} over its limit since {self.since:%Y-%m-%d %H:%M}"
