import hashlib
import logging

import orjson
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.utils.decorators import method_decorator
from django_ratelimit.decorators import ratelimit
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ApiKeyAuthentication
from accounts.permissions import IsServiceKey
from malti_site import clock
from malti_site.api_errors import ServiceUnavailable
from malti_site.ratelimits import ingest_key, rate_for
from telemetry.api.parsers import IngestJSONParser
from telemetry.ingest import (
    KNOWN_FIELDS,
    MAX_STRING_LENGTH,
    NUMERIC_STRING,
    IngestLimits,
    InvalidBatch,
    ingest_limits,
    validate_batch,
)
from telemetry.models import IngestReceipt, Request
from telemetry.models.raw import MAX_RESPONSE_TIME_MS, STATUS_RANGE
from telemetry.retention_cache import ingest_max_age

log = logging.getLogger(__name__)

STORE_FAILED = "The batch could not be stored because of a server error; nothing was stored."
INGEST_ERROR = inline_serializer(
    "IngestError",
    {
        "detail": serializers.CharField(),
        "index": serializers.IntegerField(required=False, help_text="The offending record, when one is."),
        "field": serializers.CharField(required=False, allow_null=True, help_text="Its offending field."),
    },
)
INGEST_ERRORS = {
    400: "The body is unreadable: not JSON, or broken gzip. Nothing was stored.",
    401: "No API key, or an unknown, revoked or expired one.",
    403: "A user key, or a record for another service than the key's.",
    409: "The Idempotency-Key was already used with another body.",
    413: "The body (as sent, or decompressed) is larger than the byte limit, or the batch has more records "
    "than the record limit.",
    415: "Not JSON, or a Content-Encoding other than gzip.",
    422: "The batch was read but cannot be stored as sent: which record and field, and why. Nothing was stored.",
    429: "Rate limited; see Retry-After.",
    500: "A server fault; details are in the server's log. Nothing was stored.",
    503: "The database is unavailable or busy; nothing was stored, retry after Retry-After seconds.",
}
NUMBER_OR_NUMERIC_STRING = [{"type": "number"}, {"type": "string", "pattern": NUMERIC_STRING}]
MAX_IDEMPOTENCY_KEY_LENGTH = 200

# One budget per service key, whichever route it sends through (these batches or OTLP traces).
ingest_ratelimit = method_decorator(
    ratelimit(group="ingest", key=ingest_key, rate=rate_for("MALTI_RATELIMIT_INGEST"), block=True)
)


class IdempotencyConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This Idempotency-Key was already used with a different body."
    default_code = "idempotency_conflict"


class StoreFailed(APIException):
    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    default_detail = STORE_FAILED
    default_code = "store_failed"


# The record's fields as ingest reads them (telemetry.ingest), for the schema only:
# what the original's pydantic model accepts, with no maxLength (long strings are cut, not refused).
@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]})
class TextField(serializers.Field):
    def __init__(self, *, help_text: str = "", **kwargs):
        cut = (
            f"Control characters dropped, surrounding space stripped; cut to {MAX_STRING_LENGTH} characters when "
            "longer (counted in `truncated`), never refused. Numbers and booleans are stored as their text "
            '(42 -> "42", true -> "True"), as the original does.'
        )
        super().__init__(help_text=f"{help_text} {cut}".strip(), **kwargs)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": STATUS_RANGE[0], "maximum": STATUS_RANGE[1]},
            {"type": "string", "pattern": NUMERIC_STRING},
        ],
        "description": "The HTTP status code: any whole number the SMALLINT column holds, also as a numeric string "
        "or a whole float (200.0).",
    }
)
class StatusField(serializers.Field):
    pass


@extend_schema_field(
    {
        "oneOf": NUMBER_OR_NUMERIC_STRING,
        "description": "Milliseconds; fractions are rounded, values outside 0…"
        f"{MAX_RESPONSE_TIME_MS} are brought to the nearest end (counted in `truncated`).",
    }
)
class ResponseTimeField(serializers.Field):
    pass


@extend_schema_field(
    {
        "anyOf": [{"type": "string", "format": "date-time"}, *NUMBER_OR_NUMERIC_STRING],
        "description": "ISO 8601 with Z, an offset or none (UTC), or Unix time in seconds (milliseconds above "
        '2e10); missing, null or "" means now. At most MALTI_INGEST_MAX_FUTURE_SECONDS ahead and no older than the raw '
        "retention less 10 minutes (time for the rollups to take it before its chunk may be dropped), else a 422.",
    }
)
class CreatedAtField(serializers.Field):
    pass


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
                    help_text="At most MALTI_INGEST_MAX_RECORDS records (10,000 by default); more is a 413.",
                    child=inline_serializer(
                        "IngestRecord",
                        {
                            "service": TextField(help_text="The key's own service name; another is a 403."),
                            "method": TextField(help_text="Any HTTP method, upper-cased on the way in."),
                            "endpoint": TextField(help_text="A route template, not a raw URL."),
                            "status": StatusField(),
                            "response_time": ResponseTimeField(),
                            "consumer": TextField(required=False, allow_null=True, help_text='Missing or null: "".'),
                            "node": TextField(required=False, allow_null=True, help_text='"" or null: stored as null.'),
                            "context": TextField(
                                required=False, allow_null=True, help_text='"" or null: stored as null.'
                            ),
                            "created_at": CreatedAtField(required=False, allow_null=True),
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
                    "count": serializers.IntegerField(help_text="Records stored: every record of the batch."),
                    "service": serializers.CharField(),
                    "truncated": serializers.IntegerField(
                        help_text="Values cut to fit, always present (0 when none): strings cut to "
                        f"{MAX_STRING_LENGTH} characters, response times brought into 0…{MAX_RESPONSE_TIME_MS} ms."
                    ),
                },
            ),
            **{code: OpenApiResponse(INGEST_ERROR, description=why) for code, why in INGEST_ERRORS.items()},
        },
    )
    @ingest_ratelimit
    def post(self, request):
        service = request.user.service
        now = clock.now()
        limits = limits_at(now)
        try:
            # Records carry the service's name; rows store its immutable telemetry_key,
            # so a rename keeps the history and a namesake elsewhere never reads it.
            batch = validate_batch(request.data, service.name, service.telemetry_key, limits, now)
        except InvalidBatch as exc:
            return Response(exc.as_dict(), status=exc.status_code)
        try:
            idempotency_key = idempotency_key_of(request)
        except InvalidBatch as exc:
            return Response(exc.as_dict(), status=exc.status_code)
        answer = {
            "message": f"Successfully ingested {len(batch.rows)} requests",
            "count": len(batch.rows),
            "service": service.name,
            "truncated": batch.truncated,
        }
        answer, replayed = store_once(service, batch.rows, answer, idempotency_key, lambda: body_digest(request.data))
        return Response(answer, headers={"Idempotent-Replayed": "true"} if replayed else None)


def limits_at(now) -> IngestLimits:
    """The ingest limits in force: the settings', and the raw retention as configured now."""
    return ingest_limits(
        now, ingest_max_age(), settings.MALTI_INGEST_MAX_RECORDS, settings.MALTI_INGEST_MAX_FUTURE_SECONDS
    )


def idempotency_key_of(request) -> str:
    """The Idempotency-Key header ("" when none); InvalidBatch when it is too long to store."""
    key = request.META.get("HTTP_IDEMPOTENCY_KEY", "").strip()
    if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise InvalidBatch(f"Idempotency-Key is longer than {MAX_IDEMPOTENCY_KEY_LENGTH} characters.")
    return key


def store_once(service, rows: list[tuple], answer: dict, idempotency_key: str, digest) -> tuple[dict, bool]:
    """Store the rows, all or none, and remember `answer` under the Idempotency-Key, in one transaction.

    Returns (answer, replayed): with a key already used for this body (`digest()`, computed only when
    a key is given) nothing is stored and the first answer comes back. Raises IdempotencyConflict for
    the key reused with another body, ServiceUnavailable when a retry can succeed, StoreFailed otherwise.
    """
    try:
        with transaction.atomic():
            if idempotency_key:
                body = digest()
                receipt, is_new = IngestReceipt.objects.claim(service, idempotency_key, body)
                if not is_new:
                    if receipt.body_digest != body:
                        raise IdempotencyConflict()
                    return receipt.response, True
            Request.objects.ingest(rows)
            if idempotency_key:
                receipt.response = answer
                receipt.save(update_fields=["response"])
    except (OperationalError, InterfaceError) as exc:
        # Lost connection, pool timeout, lock or statement timeout: a retry can succeed.
        raise ServiceUnavailable() from exc
    except DatabaseError as exc:
        # A server fault (a privilege, a trigger, a bug): the details go to the log, never to the client.
        log.exception("ingest of %d records for service %r failed", len(rows), service.name)
        raise StoreFailed() from exc
    return answer, False


def body_digest(data) -> str:
    """A digest of what the batch stores (validated: plain strings, numbers, nulls).

    Unknown fields are left out: they are not stored, and orjson.dumps refuses
    nesting deeper than 255 levels that orjson.loads (1024) let through.
    """
    records = [{name: record.get(name) for name in KNOWN_FIELDS} for record in data["requests"]]
    return hashlib.sha256(orjson.dumps(records, option=orjson.OPT_SORT_KEYS)).hexdigest()
