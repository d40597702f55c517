"""The alerts API's bodies: what a client may send (validated) and what it gets back (as the schema says)."""

from rest_framework import serializers

from alerts.models import Channel, Metric, Severity
from alerts.models.rules import AlertStateValue

NAME = 500
STATES = [AlertStateValue.OK, AlertStateValue.PENDING, AlertStateValue.FIRING]


class Text(serializers.CharField):
    """A JSON string and nothing else: DRF's CharField would take 0 or 1.5 and store "0" (the schema says string)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def optional_text(max_length=NAME, **kwargs):
    return Text(max_length=max_length, allow_null=True, required=False, **kwargs)


class RuleInput(serializers.Serializer):
    tenant = Text(max_length=100, required=False, help_text="Tenant name; optional when you administer only one.")
    name = Text(max_length=200)
    metric = serializers.ChoiceField(Metric.values)
    service = optional_text(help_text="A service name; null: every service of the tenant, one alert per service.")
    endpoint = optional_text()
    method = optional_text(max_length=20)
    consumer = optional_text()
    node = optional_text(help_text="For silence rules, '*' watches each node of the service.")
    window_minutes = serializers.IntegerField(min_value=1, max_value=60, default=5)
    threshold = serializers.FloatField(
        min_value=0,
        max_value=1e9,
        default=0,
        help_text="Percent for error rates, ms for latency, requests/min for request rates, 0..1 for Apdex; "
        "ignored for silence (the window is the silence).",
    )
    for_minutes = serializers.IntegerField(min_value=0, max_value=10080, default=0)
    min_requests = serializers.IntegerField(min_value=0, max_value=1_000_000_000, default=0)
    severity = serializers.ChoiceField(Severity.values, default=Severity.WARNING)
    channels = serializers.ListField(child=serializers.IntegerField(min_value=1), default=list, max_length=50)
    enabled = serializers.BooleanField(default=True)
    muted_until = serializers.DateTimeField(allow_null=True, required=False)
    mute_reason = optional_text()


class RuleOutput(serializers.Serializer):
    id = serializers.IntegerField()
    tenant = serializers.CharField()
    name = serializers.CharField()
    metric = serializers.ChoiceField(Metric.values)
    service = serializers.CharField(allow_null=True)
    endpoint = serializers.CharField(allow_null=True)
    method = serializers.CharField(allow_null=True)
    consumer = serializers.CharField(allow_null=True)
    node = serializers.CharField(allow_null=True)
    window_minutes = serializers.IntegerField()
    threshold = serializers.FloatField()
    for_minutes = serializers.IntegerField()
    min_requests = serializers.IntegerField()
    severity = serializers.ChoiceField(Severity.values)
    channels = serializers.ListField(child=serializers.IntegerField())
    enabled = serializers.BooleanField()
    muted_until = serializers.DateTimeField(allow_null=True)
    mute_reason = serializers.CharField(allow_null=True)
    state = serializers.ChoiceField(STATES, help_text="The worst of its services' (or nodes') states.")
    state_since = serializers.DateTimeField(allow_null=True)
    last_value = serializers.FloatField(allow_null=True)


class RuleListOutput(serializers.Serializer):
    rules = RuleOutput(many=True)


class MuteInput(serializers.Serializer):
    until = serializers.DateTimeField()
    reason = Text(max_length=500, allow_blank=True, default="")


class SilenceInput(serializers.Serializer):
    tenant = Text(max_length=100, required=False)
    service = Text(max_length=NAME)
    until = serializers.DateTimeField()
    reason = Text(max_length=500, allow_blank=True, default="")


class SilenceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    tenant = serializers.CharField()
    service = serializers.CharField()
    until = serializers.DateTimeField()
    reason = serializers.CharField()


class SilenceListOutput(serializers.Serializer):
    silences = SilenceOutput(many=True)


class FiringAlert(serializers.Serializer):
    rule = serializers.IntegerField()
    name = serializers.CharField()
    service = serializers.CharField()
    node = serializers.CharField(allow_null=True)
    severity = serializers.ChoiceField(Severity.values)
    state = serializers.ChoiceField([AlertStateValue.PENDING, AlertStateValue.FIRING])
    since = serializers.DateTimeField()
    value = serializers.FloatField(allow_null=True)
    threshold = serializers.FloatField()


class FiringOutput(serializers.Serializer):
    alerts = FiringAlert(many=True)


class HistoryEvent(serializers.Serializer):
    at = serializers.DateTimeField()
    service = serializers.CharField()
    node = serializers.CharField(allow_null=True)
    from_state = serializers.ChoiceField(AlertStateValue.values)
    to_state = serializers.ChoiceField(AlertStateValue.values)
    value = serializers.FloatField(allow_null=True)
    notified = serializers.BooleanField()
    suppressed = serializers.CharField(help_text="Why nothing was sent, if nothing was.")


class HistoryOutput(serializers.Serializer):
    events = HistoryEvent(many=True)


class Span(serializers.Serializer):
    rule = serializers.IntegerField()
    name = serializers.CharField()
    service = serializers.CharField()
    severity = serializers.ChoiceField(Severity.values)
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(allow_null=True, help_text="null: still firing.")


class SpansOutput(serializers.Serializer):
    spans = Span(many=True)


class ChannelInput(serializers.Serializer):
    tenant = Text(max_length=100, required=False)
    name = Text(max_length=100)
    kind = serializers.ChoiceField(Channel.Kind.values)
    target = Text(max_length=2000, help_text="Email addresses (comma-separated), or a URL.")
    secret = Text(
        max_length=500,
        allow_blank=True,
        required=False,
        write_only=True,
        help_text="HMAC key the webhook's deliveries are signed with; never returned. Empty removes it.",
    )


class ChannelOutput(serializers.Serializer):
    id = serializers.IntegerField()
    tenant = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(Channel.Kind.values)
    target = serializers.CharField()
    has_secret = serializers.BooleanField()


class ChannelListOutput(serializers.Serializer):
    channels = ChannelOutput(many=True)


class TestOutput(serializers.Serializer):
    delivered = serializers.BooleanField()
    detail = serializers.CharField()


class DeliveryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    rule = serializers.IntegerField()
    channel = serializers.CharField()
    event = serializers.CharField(help_text="firing or resolved, and the service.")
    attempts = serializers.IntegerField()
    status = serializers.ChoiceField(["pending", "delivered", "failed"])
    answer = serializers.CharField()
    next_try = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)


class DeliveryListOutput(serializers.Serializer):
    deliveries = DeliveryOutput(many=True)
