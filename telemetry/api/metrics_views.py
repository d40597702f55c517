from django.utils.decorators import method_decorator
from django_ratelimit.decorators import ratelimit
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Service, visible_services
from accounts.permissions import IsMetricsReader
from malti_site import clock
from malti_site.api_errors import RETRY_AFTER, error_responses
from malti_site.ratelimits import rate_for, user_key
from telemetry.api.metrics_serializers import FilterValuesSerializer, MetricsSerializer
from telemetry.metrics import MAX_FILTER_LENGTH, BadParameter, build_response, filter_values, parse
from telemetry.rollups.catalog import LEVEL_BY_NAME
from telemetry.rollups.query import FILTER_DIMENSIONS

# Filters as the schema states them: what parse_filters() accepts.
FILTER = {"type": "string", "maxLength": MAX_FILTER_LENGTH, "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"}
FILTER_NOTE = (
    f"Exact match, at most {MAX_FILTER_LENGTH} characters; any character a stored value can hold "
    "(no control characters)."
)
METRICS_PARAMETERS = [
    OpenApiParameter(
        "start_time",
        OpenApiTypes.DATETIME,
        description="ISO 8601 (Z, an offset, or none for UTC); default: end_time minus 24 hours "
        "(60 minutes for realtime). Widened down to a whole bucket. Must be before end_time.",
    ),
    OpenApiParameter(
        "end_time", OpenApiTypes.DATETIME, description="ISO 8601; default: now. Widened up to a whole bucket."
    ),
    OpenApiParameter(
        "interval",
        str,
        enum=list(LEVEL_BY_NAME),
        description="Bucket width. Default: up to 1 hour 1min, up to 24 hours 5min, up to 31 days 1hour, "
        "longer 1day. At most 5,000 buckets.",
    ),
    OpenApiParameter(
        "service", FILTER, description=f"A service name (every visible service of that name). {FILTER_NOTE}"
    ),
    *[OpenApiParameter(dim, FILTER, description=FILTER_NOTE) for dim in FILTER_DIMENSIONS if dim != "service"],
    RETRY_AFTER,
]
REALTIME_PARAMETERS = [
    OpenApiParameter(
        "start_time",
        OpenApiTypes.DATETIME,
        description="ISO 8601; default: end_time minus 60 minutes. At most 60 minutes before end_time.",
    ),
    *[p for p in METRICS_PARAMETERS if p.name not in ("start_time", "interval")],
    OpenApiParameter("interval", str, enum=["1min"], description="Always 1min (the only value accepted)."),
]
METRICS_ERRORS = {
    401: "No credentials, or an unknown, revoked or expired key.",
    403: "A service key: service keys may only ingest.",
    422: "A query parameter is invalid: an unknown interval, a bad timestamp, start_time not before end_time, "
    "more than 5,000 buckets, a realtime range over 60 minutes, a filter with control characters or over "
    f"{MAX_FILTER_LENGTH} characters.",
    429: "Rate limited; see Retry-After.",
    503: "The database is unavailable, or too many metrics queries are running at once: retry after Retry-After "
    "seconds. Or a statement ran longer than the server's limit (MALTI_METRICS_STATEMENT_TIMEOUT, 30 seconds by "
    "default) and was stopped: the detail says so; narrow the time range or add filters.",
}
ERROR_RESPONSES = error_responses(METRICS_ERRORS)
DEFINITIONS = (
    " Latencies are in milliseconds over every request (the original Malti measures 2xx responses only); an error "
    "is a response with status >= 400 everywhere (the original does not count 401)."
)

metrics_ratelimit = method_decorator(
    ratelimit(group="metrics", key=user_key, rate=rate_for("MALTI_RATELIMIT_METRICS"), block=True)
)


class InvalidQuery(APIException):
    status_code = 422
    default_detail = "Invalid query parameters."
    default_code = "invalid"


class MetricsView(APIView):
    """Traffic, latency percentiles, errors and consumers over a time range."""

    permission_classes = [IsMetricsReader]
    realtime = False

    def scope_and_services(self, request):
        """The parsed query, and the caller's services as {stored key: display name}."""
        try:
            scope = parse(request.query_params, clock.now(), realtime=self.realtime)
        except BadParameter as exc:
            raise InvalidQuery(str(exc)) from None
        return scope, visible_services(request.user)

    @extend_schema(
        summary="Metrics over a range",
        description="Everything the dashboard shows for a range, in the original Malti's shape." + DEFINITIONS,
        parameters=METRICS_PARAMETERS,
        responses={200: MetricsSerializer, **ERROR_RESPONSES},
    )
    @metrics_ratelimit
    def get(self, request):
        return Response(build_response(*self.scope_and_services(request)))


@extend_schema_view(
    get=extend_schema(
        summary="Metrics over at most 60 minutes, in 1-minute buckets",
        description="The same response as /api/v1/metrics/aggregate for a range of at most 60 minutes "
        "(longer is a 422), always in 1-minute buckets." + DEFINITIONS,
        parameters=REALTIME_PARAMETERS,
        responses={200: MetricsSerializer, **ERROR_RESPONSES},
    )
)
class RealtimeMetricsView(MetricsView):
    """The same, for at most the last 60 minutes in 1-minute buckets."""

    realtime = True


class FilterValuesView(MetricsView):
    """Values each filter can take in the range, given the other filters."""

    @extend_schema(
        summary="Values each filter can take",
        description="For each filter, the values present in the range given the other filters "
        "(a filter does not narrow its own list). Services by name.",
        parameters=METRICS_PARAMETERS,
        responses={200: FilterValuesSerializer, **ERROR_RESPONSES},
    )
    @metrics_ratelimit
    def get(self, request):
        return Response(filter_values(*self.scope_and_services(request)))


class ServicesView(APIView):
    """The services the caller can see."""

    permission_classes = [IsMetricsReader]

    @extend_schema(responses={200: dict})
    def get(self, request):
        services = Service.objects.visible_to(request.user).select_related("tenant").distinct()
        return Response(
            {
                "services": [
                    {"name": s.name, "description": s.description, "tenant": s.tenant.name, "active": s.is_active}
                    for s in services
                ]
            }
        )
