"""One JSON error shape for the whole API: {"detail": "...", ...extra}."""

import logging

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django_ratelimit.exceptions import Ratelimited
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

RETRY_AFTER_SECONDS = 60

log = logging.getLogger(__name__)


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "payload_too_large"


class ServiceUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable; retry shortly."
    default_code = "unavailable"


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
    if isinstance(exc, OperationalError | InterfaceError):
        # The database is down or restarting (or the pool timed out), wherever it
        # was first needed, e.g. looking up the API key: a retryable 503, never a 500.
        log.warning("database unavailable: %s", exc)
        exc = ServiceUnavailable()
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
