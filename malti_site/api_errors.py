"""One JSON error shape for the whole API: {"detail": "...", ...extra}."""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django_ratelimit.exceptions import Ratelimited
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from telemetry.rollups.query import ReadsBusy

RETRY_AFTER_SECONDS = 60
QUERY_CANCELED = "57014"  # SQLSTATE of a statement stopped by statement_timeout

log = logging.getLogger(__name__)


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "payload_too_large"


class ServiceUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable; retry shortly."
    default_code = "unavailable"


def query_too_long() -> ServiceUnavailable:
    """A metrics statement ran into MALTI_METRICS_STATEMENT_TIMEOUT.

    503, not 4xx: the query is valid, and the same range may answer once the
    server is less busy; narrower ranges and filters read fewer rows.
    """
    return ServiceUnavailable(
        f"The query took longer than {settings.MALTI_METRICS_STATEMENT_TIMEOUT} seconds and was stopped; "
        "narrow the time range or add filters, or retry later."
    )


class ApiError(serializers.Serializer):
    """The body of every error answer."""

    detail = serializers.CharField(help_text="What went wrong, in words.")


RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    response=[429, 503],
    description="Seconds to wait before retrying.",
)


def error_responses(descriptions: dict[int, str]) -> dict:
    """OpenAPI responses for error status codes, each with the {"detail": ...} body."""
    return {code: OpenApiResponse(ApiError, description=text) for code, text in descriptions.items()}


def exception_handler(exc, context):
    if isinstance(exc, Ratelimited):
        return Response(
            {"detail": "Rate limit exceeded; retry later."},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, OperationalError) and getattr(exc.__cause__, "sqlstate", None) == QUERY_CANCELED:
        log.warning("statement stopped: %s", exc)
        exc = query_too_long()
    elif isinstance(exc, OperationalError | InterfaceError):
        # The database is down or restarting (or the pool timed out), wherever it
        # was first needed, e.g. looking up the API key: a retryable 503, never a 500.
        log.warning("database unavailable: %s", exc)
        exc = ServiceUnavailable()
    elif isinstance(exc, ReadsBusy):
        exc = ServiceUnavailable(str(exc))
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        response.data = {"detail": " ".join(str(item) for item in response.data)}
    if response is not None and response.status_code == 503:
        response.headers["Retry-After"] = "5"
    return response


def too_many_requests(wait: int = RETRY_AFTER_SECONDS, detail: str = "Rate limit exceeded; retry later."):
    """429 for non-DRF views (admin login), in the API's error shape."""
    response = JsonResponse({"detail": detail}, status=429)
    response.headers["Retry-After"] = str(wait)
    return response


def ratelimited_view(request, exception):
    """django-ratelimit's view for non-DRF views."""
    return too_many_requests()
