"""Alert rules and service silences, owned by a tenant."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.models import Service, Tenant
from malti_site import clock

EVERY_NODE = "*"  # a silence rule's node: each node of the service, one alert per node


class Metric(models.TextChoices):
    ERROR_RATE = "error_rate", "Error rate above (%, status >= 400)"
    SERVER_ERROR_RATE = "server_error_rate", "5xx rate above (%)"
    P95_LATENCY = "p95_latency", "p95 latency above (ms)"
    P99_LATENCY = "p99_latency", "p99 latency above (ms)"
    REQUEST_RATE_ABOVE = "request_rate_above", "Request rate above (requests/min)"
    REQUEST_RATE_BELOW = "request_rate_below", "Request rate below (requests/min)"
    APDEX_BELOW = "apdex_below", "Apdex below (0..1)"
    SILENCE = "silence", "Silence: no requests for the window"
    BURN_RATE = "burn_rate", "Error-budget burn rate above"


# Rules whose value means little on a handful of requests: min_requests applies to them.
GATED_METRICS = {
    Metric.ERROR_RATE,
    Metric.SERVER_ERROR_RATE,
    Metric.P95_LATENCY,
    Metric.P99_LATENCY,
    Metric.APDEX_BELOW,
}
# Rules that watch for missing traffic: they watch only services (or nodes) that have sent some.
ABSENCE_METRICS = {Metric.SILENCE, Metric.REQUEST_RATE_BELOW}
LATENCY_METRICS = {Metric.P95_LATENCY, Metric.P99_LATENCY, Metric.APDEX_BELOW}
# Value below the threshold is the alert; for every other metric, above it.
BELOW_METRICS = {Metric.REQUEST_RATE_BELOW, Metric.APDEX_BELOW}


class Severity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class AlertRuleQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(tenant__memberships__user=user).distinct()

    def to_evaluate(self):
        return self.filter(enabled=True).select_related("tenant", "service")


class AlertRule(models.Model):
    """A condition on a tenant's telemetry that notifies its channels when it holds for long enough."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="alert_rules")
    name = models.CharField(max_length=200)
    metric = models.CharField(max_length=24, choices=Metric.choices)
    service = models.ForeignKey(
        Service,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alert_rules",
        help_text="Empty: every service of the tenant, one alert per service.",
    )
    endpoint = models.CharField(max_length=500, null=True, blank=True)
    method = models.CharField(max_length=20, null=True, blank=True)
    consumer = models.CharField(max_length=500, null=True, blank=True)
    node = models.CharField(
        max_length=500, null=True, blank=True, help_text=f"For silence rules, {EVERY_NODE!r} watches each node."
    )
    window_minutes = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    threshold = models.FloatField(
        default=0, help_text="Percent for error rates, ms for latency, requests/min, 0..1 for Apdex."
    )
    for_minutes = models.PositiveIntegerField(default=0, help_text="How long the condition must hold before firing.")
    min_requests = models.PositiveIntegerField(
        default=0, help_text="Rates, latency and Apdex need at least this many requests in the window."
    )
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.WARNING)
    channels = models.ManyToManyField("alerts.Channel", blank=True, related_name="rules")
    enabled = models.BooleanField(default=True)
    muted_until = models.DateTimeField(null=True, blank=True)
    mute_reason = models.CharField(max_length=500, null=True, blank=True)
    # When a worker last evaluated it: a second worker skips a rule evaluated moments ago.
    evaluated_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AlertRuleQuerySet.as_manager()

    class Meta:
        ordering = ["tenant__name", "name", "id"]
        constraints = [
            models.CheckConstraint(
                name="alert_rule_window_1_to_60", condition=Q(window_minutes__gte=1, window_minutes__lte=60)
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.tenant.name})"

    def clean(self):
        if self.service_id is not None and self.service.tenant_id != self.tenant_id:
            raise ValidationError({"service": "The service belongs to another tenant."})
        if self.node == EVERY_NODE and self.metric != Metric.SILENCE:
            raise ValidationError({"node": f"{EVERY_NODE!r} (each node) is for silence rules only."})
        if self.metric == Metric.APDEX_BELOW and not 0 <= self.threshold <= 1:
            raise ValidationError({"threshold": "An Apdex threshold lies between 0 and 1."})
        if self.threshold < 0:
            raise ValidationError({"threshold": "The threshold cannot be negative."})

    def is_muted(self, now=None) -> bool:
        return self.muted_until is not None and self.muted_until > (now or clock.now())

    def mute(self, until, reason: str):
        self.muted_until, self.mute_reason = until, reason
        self.save(update_fields=["muted_until", "mute_reason"])

    def unmute(self):
        self.muted_until, self.mute_reason = None, None
        self.save(update_fields=["muted_until", "mute_reason"])

    @property
    def per_node(self) -> bool:
        return self.metric == Metric.SILENCE and self.node == EVERY_NODE

    def filters(self) -> dict:
        """The row filters of its scope, besides the service (node '*' is a grouping, not a filter)."""
        wanted = {"endpoint": self.endpoint, "method": self.method, "consumer": self.consumer, "node": self.node}
        if self.per_node:
            wanted.pop("node")
        return {dim: value for dim, value in wanted.items() if value not in (None, "")}

    def breaches(self, value: float) -> bool:
        if self.metric == Metric.SILENCE:
            return value == 0
        if self.metric in BELOW_METRICS:
            return value < self.threshold
        return value > self.threshold

    def overall_state(self):
        """The rule's state as one: the worst of its subjects' (firing, then pending, then ok)."""
        states = list(self.states.all())
        for wanted in (AlertStateValue.FIRING, AlertStateValue.PENDING):
            matching = [state for state in states if state.state == wanted]
            if matching:
                return min(matching, key=lambda state: state.since)
        return max(states, key=lambda state: state.since) if states else None


class AlertStateValue(models.TextChoices):
    OK = "ok", "OK"
    PENDING = "pending", "Pending"
    FIRING = "firing", "Firing"
    RESOLVED = "resolved", "Resolved"  # only in events: firing -> ok


class SilenceQuerySet(models.QuerySet):
    def active(self, now=None):
        return self.filter(until__gt=now or clock.now())

    def visible_to(self, user):
        return self.filter(service__tenant__memberships__user=user).distinct()


class Silence(models.Model):
    """Mute every rule's notifications about one service until a time."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="alert_silences")
    until = models.DateTimeField()
    reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SilenceQuerySet.as_manager()

    class Meta:
        ordering = ["-until"]

    def __str__(self):
        return f"{self.service} silenced until {self.until:%Y-%m-%d %H:%M} UTC"
