import hashlib

import orjson
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.utils.decorators import method_decorator
from django_ratelimit.decorators import ratelimit
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ApiKeyAuthentication
from accounts.permissions import IsServiceKey
from malti_site.api_errors import ServiceUnavailable
from malti_site.ratelimits import ingest_key, rate_for
from telemetry.api.parsers import IngestJSONParser
from telemetry.ingest import KNOWN_FIELDS, ForeignServiceRecord, InvalidBatch, ingest_limits, validate_batch
from telemetry.models import IngestReceipt, Request
from telemetry.models.raw import utcnow
from telemetry.retention_cache import raw_retention

INGEST_ERROR = inline_serializer(
    "IngestError",
    {
        "detail": serializers.CharField(),
        "index": serializers.IntegerField(required=False, help_text="The offending record, when one is."),
        "field": serializers.CharField(required=False, allow_null=True, help_text="Its offending field."),
    },
)
INGEST_ERRORS = {
    400: "The batch is invalid: which record and why.",
    401: "No API key, or an unknown, revoked or expired one.",
    403: "A user key, or a record for another service than the key's.",
    409: "The Idempotency-Key was already used with another body.",
    413: "The body, or its decompressed form, is larger than the limit.",
    415: "Not JSON, or a Content-Encoding other than gzip.",
    429: "Rate limited; see Retry-After.",
    503: "The database is unavailable; retry after Retry-After seconds.",
}


class IngestView(APIView):
    """Store a batch of request records for the key's service: all of them, or none."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [IsServiceKey]
    parser_classes = [IngestJSONParser]

    @extend_schema(
        request=inline_serializer(
            "IngestBatch",
            {
                "requests": serializers.ListField(
                    min_length=1,
                    child=inline_serializer(
                        "IngestRecord",
                        {
                            "service": serializers.CharField(max_length=500),
                            "method": serializers.CharField(help_text="An HTTP method, in any case."),
                            "endpoint": serializers.CharField(max_length=500),
                            "status": serializers.IntegerField(min_value=100, max_value=599),
                            "response_time": serializers.IntegerField(min_value=0, max_value=3_600_000),
                            "consumer": serializers.CharField(allow_blank=True, max_length=500),
                            "node": serializers.CharField(
                                required=False, allow_null=True, allow_blank=True, max_length=500
                            ),
                            "context": serializers.CharField(
                                required=False, allow_null=True, allow_blank=True, max_length=500
                            ),
                            "created_at": serializers.DateTimeField(required=False, allow_null=True),
                        },
                    ),
                )
            },
        ),
        parameters=[
            OpenApiParameter("X-API-Key", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="Optional. The same key and body within 24 hours returns the first answer and stores "
                "nothing again; the same key with another body is a 409.",
            ),
        ],
        responses={
            200: inline_serializer(
                "IngestResult",
                {
                    "message": serializers.CharField(),
                    "count": serializers.IntegerField(),
                    "service": serializers.CharField(),
                },
            ),
            **{code: OpenApiResponse(INGEST_ERROR, description=why) for code, why in INGEST_ERRORS.items()},
        },
    )
    @method_decorator(ratelimit(key=ingest_key, rate=rate_for("MALTI_RATELIMIT_INGEST"), block=True))
    def post(self, request):
        service = request.user.service
        now = utcnow()
        limits = ingest_limits(
            now, raw_retention(), settings.MALTI_INGEST_MAX_RECORDS, settings.MALTI_INGEST_MAX_FUTURE_SECONDS
        )
        try:
            rows = validate_batch(request.data, service.name, limits, now)
        except ForeignServiceRecord as exc:
            return Response(exc.as_dict(), status=status.HTTP_403_FORBIDDEN)
        except InvalidBatch as exc:
            return Response(exc.as_dict(), status=status.HTTP_400_BAD_REQUEST)
        idempotency_key = request.META.get("HTTP_IDEMPOTENCY_KEY", "").strip()
        if len(idempotency_key) > 200:
            return Response({"detail": "Idempotency-Key is longer than 200 characters."}, status=400)
        try:
            with transaction.atomic():
                if idempotency_key:
                    receipt, is_new = IngestReceipt.objects.claim(service, idempotency_key, body_digest(request.data))
                    if not is_new:
                        return replay(receipt, body_digest(request.data))
                count = Request.objects.ingest(rows)
                answer = {"message": f"Successfully ingested {count} requests", "count": count, "service": service.name}
                if idempotency_key:
                    receipt.response = answer
                    receipt.save(update_fields=["response"])
        except (OperationalError, InterfaceError) as exc:
            raise ServiceUnavailable() from exc
        except DatabaseError as exc:
            # e.g. a NUL byte that slipped past validation: refuse, never 500.
            return Response({"detail": f"The batch could not be stored: {exc}"}, status=status.HTTP_400_BAD_REQUEST)
        return Response(answer)


def body_digest(data) -> str:
    """A digest of what the batch stores (validated: plain strings, numbers, nulls).

    Unknown fields are left out: they are not stored, and orjson.dumps refuses
    nesting deeper than 255 levels that orjson.loads (1024) let through.
    """
    records = [{name: record.get(name) for name in KNOWN_FIELDS} for record in data["requests"]]
    return hashlib.sha256(orjson.dumps(records, option=orjson.OPT_SORT_KEYS)).hexdigest()


def replay(receipt, digest):
    """The first answer for this key, or 409 when the key is reused for another body."""
    if receipt.body_digest != digest:
        return Response(
            {"detail": "This Idempotency-Key was already used with a different body."}, status=status.HTTP_409_CONFLICT
        )
    return Response(receipt.response, headers={"Idempotent-Replayed": "true"})
