from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import visible_services
from accounts.permissions import IsMetricsReader
from explorer.api.renderers import CsvRenderer
from explorer.api.serializers import RequestsSerializer
from explorer.records import DEFAULT_LIMIT, MAX_LIMIT, SORTS, STATUS_CLASSES, build_response
from malti_site import clock
from malti_site.api_errors import RETRY_AFTER, error_responses
from telemetry.api.metrics_views import FILTER, FILTER_NOTE, METRICS_ERRORS, InvalidQuery, metrics_ratelimit
from telemetry.metrics import BadParameter
from telemetry.models.raw import MAX_RESPONSE_TIME_MS, STATUS_RANGE
from telemetry.rollups.query import FILTER_DIMENSIONS

PARAMETERS = [
    OpenApiParameter(
        "start_time",
        OpenApiTypes.DATETIME,
        description="ISO 8601 (Z, an offset, or none for UTC), inclusive; default: end_time minus 1 hour. "
        "Must be before end_time.",
    ),
    OpenApiParameter("end_time", OpenApiTypes.DATETIME, description="ISO 8601, exclusive; default: now."),
    OpenApiParameter(
        "service", FILTER, description=f"A service name (every visible service of that name). {FILTER_NOTE}"
    ),
    *[OpenApiParameter(dim, FILTER, description=FILTER_NOTE) for dim in FILTER_DIMENSIONS if dim != "service"],
    OpenApiParameter(
        "status",
        {"type": "integer", "minimum": STATUS_RANGE[0], "maximum": STATUS_RANGE[1]},
        description="One status code, e.g. 503.",
    ),
    OpenApiParameter(
        "status_class",
        str,
        enum=list(STATUS_CLASSES),
        description="A class of status codes; error is every status >= 400 (Malti's one definition of an error).",
    ),
    OpenApiParameter(
        "min_latency",
        {"type": "integer", "minimum": 0, "maximum": MAX_RESPONSE_TIME_MS},
        description="Only records with response_time >= this many milliseconds.",
    ),
    OpenApiParameter(
        "sort", str, enum=list(SORTS), description="time: newest first (default); latency: slowest first, then newest."
    ),
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
        description=f"Records per page, default {DEFAULT_LIMIT}.",
    ),
    OpenApiParameter(
        "cursor",
        str,
        description="next_cursor of the previous page (keyset pagination: no record repeats or goes missing when "
        "records arrive between pages). It keeps the first page's range; send the same filters and sort.",
    ),
    OpenApiParameter(
        "format",
        str,
        enum=["json", "csv"],
        description="json (default) or csv (also chosen by Accept: text/csv): a header row, then the page's rows; "
        "the next page's cursor is in the X-Next-Cursor header.",
    ),
    RETRY_AFTER,
]
ERRORS = {
    **METRICS_ERRORS,
    422: "A query parameter is invalid: a bad timestamp, start_time not before end_time, an unknown sort, status "
    "class or format, a number out of range, a filter with control characters or too long, a cursor this API did "
    "not give or given with other filters.",
}


class RequestsView(APIView):
    """The records behind a chart: raw rows where raw retention still holds them, the 14-day sample before that."""

    permission_classes = [IsMetricsReader]
    renderer_classes = [JSONRenderer, CsvRenderer]

    @extend_schema(
        summary="The records matching filters, a page at a time",
        description="Individual requests, newest (or slowest) first, with keyset pagination. Records still within "
        "raw retention (6 hours by default) come from raw rows, with an exact `total`; older ones from the 14-day "
        "sample, which keeps every 5xx, every request slower than its service's threshold and a share of the rest.",
        parameters=PARAMETERS,
        responses={
            (200, "application/json"): RequestsSerializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="A header row, then one row a record."),
            **error_responses(ERRORS),
        },
    )
    @metrics_ratelimit
    def get(self, request):
        try:
            answer = build_response(request.query_params, clock.now(), visible_services(request.user))
        except BadParameter as exc:
            raise InvalidQuery(str(exc)) from None
        headers = {"X-Next-Cursor": answer["next_cursor"]} if answer["next_cursor"] else {}
        return Response(answer, headers=headers)

    def perform_content_negotiation(self, request, force=False):
        try:
            return super().perform_content_negotiation(request, force)
        except Http404:  # DRF's answer to an unknown ?format=
            raise InvalidQuery("format must be json or csv.") from None

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors and OPTIONS' description are JSON whatever the format asked (they have no records to list).
        no_records = response.status_code >= 400 or request.method == "OPTIONS"
        if no_records and isinstance(getattr(request, "accepted_renderer", None), CsvRenderer):
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)
