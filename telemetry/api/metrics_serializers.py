"""The metrics responses, field by field, for the OpenAPI schema (the views build plain dicts).

Field names are the original Malti's (muzy/malti); additions use the same vocabulary.
"""

from rest_framework import serializers

from telemetry.metrics import MAX_FILTER_LENGTH
from telemetry.models.cardinality import GUARDED_DIMENSIONS
from telemetry.rollups.catalog import LEVEL_BY_NAME

LATENCY_NOTE = (
    "Milliseconds, a number (float) or null when there were no requests. Unlike the original Malti, which "
    "measures 2xx responses only, latencies cover every request."
)
ERROR_NOTE = "Requests with status >= 400 (the original Malti does not count 401 as an error)."
RATE_NOTE = "Percent of requests with status >= 400, 0-100, rounded to 2 decimals."


def latency(name: str) -> serializers.FloatField:
    return serializers.FloatField(allow_null=True, help_text=f"{name}. {LATENCY_NOTE}")


def apdex() -> serializers.FloatField:
    return serializers.FloatField(
        allow_null=True,
        min_value=0,
        max_value=1,
        help_text="Apdex, 0-1 (4 decimals): (satisfied + tolerating / 2) / requests, satisfied within the "
        "service's target T (default 500 ms), tolerating within 4T; every request counts by its response time. "
        "Services with different targets combine by their request counts. Estimated from the latency histogram: "
        "off by at most half the share of requests within about 9 % of T or 4T. Null without requests.",
    )


# History imported from an original Malti (import_malti_data) kept one p95 per bucket, not a histogram.
ESTIMATED_NOTE = (
    "True where the range holds history imported from an original Malti's 5-minute or 1-hour aggregates: "
    "its percentiles are estimated from each bucket's count, min, max, mean and p95 (counts, errors, min, max "
    "and mean stay exact)."
)


# Requests and errors of one group (endpoint, consumer, service); no docstring, or every subclass's
# schema would carry it as its description.
class CountsSerializer(serializers.Serializer):
    total_requests = serializers.IntegerField(min_value=0)
    error_count = serializers.IntegerField(min_value=0, help_text=ERROR_NOTE)
    error_rate = serializers.FloatField(min_value=0, max_value=100, help_text=RATE_NOTE)


# Every latency measure; no docstring, for the same reason as above.
class LatenciesSerializer(serializers.Serializer):
    min_latency = latency("Fastest request")
    avg_latency = latency("Mean")
    p50_latency = latency("Median (histogram estimate, within 4.4 %)")
    p90_latency = latency("90th percentile (histogram estimate)")
    p95_latency = latency("95th percentile (histogram estimate)")
    p99_latency = latency("99th percentile (histogram estimate)")
    max_latency = latency("Slowest request")


class TimeSeriesPointSerializer(LatenciesSerializer):
    bucket = serializers.DateTimeField(help_text="Start of the bucket, ISO 8601 in UTC with Z.")
    total_requests = serializers.IntegerField(min_value=0, help_text="0 for a bucket without requests.")
    error_count = serializers.IntegerField(min_value=0, help_text=ERROR_NOTE)
    apdex = apdex()
    percentiles_estimated = serializers.BooleanField(help_text=ESTIMATED_NOTE)


class MetricsSummarySerializer(LatenciesSerializer):
    total_requests = serializers.IntegerField(min_value=0)
    requests_per_minute = serializers.FloatField(min_value=0, help_text="Over the whole (bucket-aligned) range.")
    error_count = serializers.IntegerField(min_value=0, help_text=ERROR_NOTE)
    error_rate = serializers.FloatField(min_value=0, max_value=100, help_text=RATE_NOTE)
    client_error_count = serializers.IntegerField(min_value=0, help_text="Status 400-499.")
    server_error_count = serializers.IntegerField(min_value=0, help_text="Status 500-599.")
    apdex = apdex()


class EndpointSerializer(CountsSerializer):
    endpoint = serializers.CharField()
    method = serializers.CharField()
    service = serializers.CharField(help_text="The service's name.")
    avg_latency = latency("Mean")
    p95_latency = latency("95th percentile (histogram estimate)")
    apdex = apdex()


class StatusDistributionSerializer(serializers.Serializer):
    service = serializers.CharField(help_text="The service's name.")
    total_requests = serializers.IntegerField(min_value=0)
    success_2xx = serializers.IntegerField(min_value=0)
    warning_3xx = serializers.IntegerField(min_value=0)
    error_4xx_5xx = serializers.IntegerField(min_value=0)
    status_breakdown = serializers.DictField(
        child=serializers.IntegerField(min_value=1),
        help_text='Status code (as a string key, e.g. "200") -> requests; the counts sum to total_requests.',
    )


class ConsumerSerializer(CountsSerializer):
    consumer = serializers.CharField(allow_blank=True)
    success_count = serializers.IntegerField(min_value=0, help_text="Requests with status < 400.")
    avg_latency = latency("Mean")


class ServiceOverviewSerializer(CountsSerializer):
    service = serializers.CharField(help_text="The service's name.")
    avg_latency = latency("Mean")
    p95_latency = latency("95th percentile (histogram estimate)")
    apdex = apdex()


class SystemOverviewSerializer(serializers.Serializer):
    total_requests = serializers.IntegerField(min_value=0)
    total_errors = serializers.IntegerField(min_value=0, help_text=ERROR_NOTE)
    error_rate = serializers.FloatField(min_value=0, max_value=100, help_text=RATE_NOTE)
    avg_latency = latency("Mean")
    total_services = serializers.IntegerField(min_value=0, help_text="Services with requests in the range.")
    services = ServiceOverviewSerializer(many=True, help_text="Busiest first.")


class CardinalityLimitSerializer(serializers.Serializer):
    service = serializers.CharField(help_text="The service's name.")
    dimension = serializers.ChoiceField(choices=list(GUARDED_DIMENSIONS))
    limit = serializers.IntegerField(min_value=0, help_text="Distinct values a sliding day keeps apart.")
    since = serializers.DateTimeField(help_text="When values were first counted under (other) (UTC, Z).")
    last_folded = serializers.DateTimeField(help_text="The latest time they were (UTC, Z).")
    examples = serializers.ListField(child=serializers.CharField(), help_text="A few of the values folded.")
    advice = serializers.CharField(help_text="How to fix it.")


class MetricsSerializer(serializers.Serializer):
    start_time = serializers.DateTimeField(help_text="The range's start, widened to a whole bucket (UTC, Z).")
    end_time = serializers.DateTimeField(help_text="The range's end, widened to a whole bucket (UTC, Z).")
    interval = serializers.ChoiceField(choices=list(LEVEL_BY_NAME))
    percentiles_estimated = serializers.BooleanField(help_text=ESTIMATED_NOTE)
    time_series = TimeSeriesPointSerializer(many=True, help_text="Every bucket of the range, oldest first.")
    metrics_summary = MetricsSummarySerializer()
    endpoints = EndpointSerializer(many=True, help_text="The 50 busiest endpoints, busiest first.")
    status_distribution = StatusDistributionSerializer(many=True, help_text="One per service, busiest first.")
    consumers = ConsumerSerializer(many=True, help_text="The 50 busiest consumers, busiest first.")
    system_overview = SystemOverviewSerializer()
    distinct_nodes = serializers.ListField(child=serializers.CharField(), help_text="Sorted, at most 500.")
    distinct_contexts = serializers.ListField(child=serializers.CharField(), help_text="Sorted, at most 500.")
    cardinality_limits = CardinalityLimitSerializer(
        many=True,
        help_text="The services' dimensions past their cardinality limit in the last day: their new values are "
        "rolled up as (other) (the counts stay exact, the breakdown is coarser); raw rows keep them.",
    )


def value_list(what: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=MAX_FILTER_LENGTH),
        help_text=f"{what} in the range, given the other filters; sorted, at most 500.",
    )


class FilterValuesSerializer(serializers.Serializer):
    services = value_list("Service names")
    nodes = value_list("Nodes")
    methods = value_list("Methods")
    endpoints = value_list("Endpoints")
    consumers = value_list("Consumers")
    contexts = value_list("Contexts")
