"""The objectives API's bodies, field by field, for validation and the OpenAPI schema."""

from decimal import Decimal

from rest_framework import serializers

from objectives.models import MAX_MS

RATE_NOTE = (
    "Burn rate per window ending now: the window's share of bad requests over the share the objective allows "
    "(1 spends the budget in exactly 30 days); null without requests."
)


# Window names ("1h") are not identifiers: the fields are declared through a mapping.
BurnRatesSerializer = type(
    "BurnRatesSerializer",
    (serializers.Serializer,),
    {
        window: serializers.FloatField(allow_null=True, min_value=0, help_text=f"Last {label}.")
        for window, label in (("1h", "hour"), ("5m", "5 minutes"), ("6h", "6 hours"), ("30m", "30 minutes"))
    },
)


class ObjectiveSerializer(serializers.Serializer):
    objective = serializers.FloatField(help_text="Percent of requests that should be good over 30 days.")
    compliance = serializers.FloatField(
        allow_null=True, help_text="Percent of the last 30 days' requests that were good; null without requests."
    )
    bad_requests = serializers.IntegerField(allow_null=True, min_value=0, help_text="Over the last 30 days.")
    budget_requests = serializers.IntegerField(
        min_value=0, help_text="Bad requests the objective allows over the last 30 days' traffic."
    )
    budget_left_requests = serializers.IntegerField(
        allow_null=True, help_text="Budget minus bad requests; negative once overspent."
    )
    budget_left = serializers.FloatField(
        allow_null=True, help_text="Budget left as a fraction: 1 untouched, 0 spent, negative overspent."
    )
    burn_rates = BurnRatesSerializer(help_text=RATE_NOTE)


class LatencyObjectiveSerializer(ObjectiveSerializer):
    threshold_ms = serializers.IntegerField(help_text="A request is good when answered within this many ms.")


class BurnAlertSerializer(serializers.Serializer):
    objective = serializers.ChoiceField(choices=["availability", "latency"])
    speed = serializers.ChoiceField(
        choices=["fast", "slow"], help_text="fast: 1 h and 5 min both above 14.4; slow: 6 h and 30 min above 6."
    )
    long_rate = serializers.FloatField()
    short_rate = serializers.FloatField()
    threshold = serializers.FloatField()


class ServiceObjectivesSerializer(serializers.Serializer):
    service = serializers.CharField(help_text="The service's name.")
    tenant = serializers.CharField(help_text="The tenant that owns it (names are unique only within a tenant).")
    apdex_t_ms = serializers.IntegerField(help_text="Apdex target T: satisfied within T, tolerating within 4T.")
    window_days = serializers.IntegerField(help_text="The objectives' window: 30.")
    total_requests = serializers.IntegerField(min_value=0, help_text="Over the last 30 days.")
    apdex = serializers.FloatField(allow_null=True, min_value=0, max_value=1, help_text="Over the last 30 days.")
    availability = ObjectiveSerializer(help_text="Good: status < 500.")
    latency = LatencyObjectiveSerializer(help_text="Good: answered within threshold_ms.")
    alerts = BurnAlertSerializer(many=True, help_text="Multi-window burn-rate conditions holding now.")


class ObjectivesListSerializer(serializers.Serializer):
    objectives = ServiceObjectivesSerializer(many=True, help_text="One per service the caller can see, by name.")


def objective_field() -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=6,
        decimal_places=3,
        min_value=Decimal("0.001"),
        max_value=Decimal("99.999"),
        required=False,
        help_text="Percent, above 0 and below 100 (100 % would leave no error budget).",
    )


class ObjectivesUpdateSerializer(serializers.Serializer):
    apdex_t_ms = serializers.IntegerField(min_value=1, max_value=MAX_MS, required=False)
    availability_objective = objective_field()
    latency_objective = objective_field()
    latency_threshold_ms = serializers.IntegerField(min_value=1, max_value=MAX_MS, required=False)
