from django.utils.decorators import method_decorator
from django_ratelimit.decorators import ratelimit
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Service, visible_service_names
from accounts.permissions import IsMetricsReader
from malti_site.ratelimits import rate_for, user_key
from telemetry.metrics import BadParameter, MetricsRequest, build_response, filter_values
from telemetry.models.raw import utcnow

METRICS_PARAMETERS = [
    OpenApiParameter(
        "start_time", str, description="ISO 8601; default: end_time minus 24 hours (60 minutes for realtime)."
    ),
    OpenApiParameter("end_time", str, description="ISO 8601; default: now."),
    OpenApiParameter(
        "interval",
        str,
        enum=["1min", "5min", "1hour", "6hour", "1day", "1week"],
        description="Default follows the range.",
    ),
    *[OpenApiParameter(dim, str) for dim in ("service", "node", "method", "endpoint", "consumer", "context")],
]

metrics_ratelimit = method_decorator(
    ratelimit(group="metrics", key=user_key, rate=rate_for("MALTI_RATELIMIT_METRICS"), block=True)
)


class MetricsView(APIView):
    """Traffic, latency percentiles, errors and consumers over a time range."""

    permission_classes = [IsMetricsReader]
    realtime = False

    def parse(self, request) -> MetricsRequest:
        try:
            return MetricsRequest.from_query(request.query_params, utcnow(), realtime=self.realtime)
        except BadParameter as exc:
            raise ValidationError({"detail": str(exc)}) from None

    @extend_schema(parameters=METRICS_PARAMETERS, responses={200: dict})
    @metrics_ratelimit
    def get(self, request):
        metrics_request = self.parse(request)
        return Response(build_response(metrics_request, visible_service_names(request.user)))


class RealtimeMetricsView(MetricsView):
    """The same, for at most the last 60 minutes in 1-minute buckets."""

    realtime = True


class FilterValuesView(MetricsView):
    """Values each filter can take in the range, given the other filters."""

    @extend_schema(parameters=METRICS_PARAMETERS, responses={200: dict})
    @metrics_ratelimit
    def get(self, request):
        return Response(filter_values(self.parse(request), visible_service_names(request.user)))


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
