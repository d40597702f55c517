"""OTLP/HTTP traces: `POST /v1/traces`, so any OpenTelemetry-instrumented service can report to Malti.

The answers are OTLP's: 200 with an ExportTraceServiceResponse (partial_success
when spans were rejected), and for an error a google.rpc.Status, both in the
request's encoding (protobuf or JSON). Bad data is a 400, which exporters do not
retry; 429 and 503 carry Retry-After. Authentication, rate limits, body limits,
the Idempotency-Key and the all-or-none store are /api/v1/ingest's own.
"""

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from rest_framework.exceptions import ParseError, PermissionDenied
from rest_framework.parsers import BaseParser
from rest_framework.views import APIView

from accounts.authentication import ApiKeyAuthentication
from accounts.permissions import IsServiceKey
from accounts.schema import ApiKeyScheme
from malti_site import clock
from malti_site.api_errors import RETRY_AFTER, PayloadTooLarge
from telemetry import otlp
from telemetry.api.ingest_views import idempotency_key_of, ingest_ratelimit, limits_at, store_once
from telemetry.api.parsers import read_body
from telemetry.ingest import BatchTooLarge, ForeignServiceRecord, InvalidBatch, validate_batch

# Answer headers: what became of the spans that were neither stored nor rejected.
SPANS_STORED = "Malti-Spans-Stored"
SPANS_IGNORED = "Malti-Spans-Ignored"


class BearerOrApiKeyAuthentication(ApiKeyAuthentication):
    """A service key as X-API-Key or `Authorization: Bearer <key>`, the header OTLP exporters are often given."""

    def raw_key(self, request) -> str | None:
        key = super().raw_key(request)
        if key is None:
            scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                return credentials
        return key

    def authenticate_header(self, request):
        return 'Bearer realm="malti"'


class BearerOrApiKeyScheme(OpenApiAuthenticationExtension):
    """In the schema: ApiKeyScheme's X-API-Key (defined by the other key-authenticated views), or a bearer token."""

    target_class = BearerOrApiKeyAuthentication
    name = "BearerKey"

    def get_security_requirement(self, auto_schema):
        return [{ApiKeyScheme.name: []}, {self.name: []}]  # either one

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A service key, as OTLP exporters can send it."}


class TracesParser(BaseParser):
    """An ExportTraceServiceRequest, within the ingest body limits (as sent and decompressed)."""

    decode = None

    def parse(self, stream, media_type=None, parser_context=None):
        body = read_body(stream, parser_context["request"])
        try:
            return type(self).decode(body)
        except otlp.UnreadableTraces as exc:
            raise ParseError(str(exc)) from None


class ProtobufTracesParser(TracesParser):
    media_type = otlp.PROTOBUF
    decode = staticmethod(otlp.decode_protobuf)


class JSONTracesParser(TracesParser):
    media_type = otlp.JSON
    decode = staticmethod(otlp.decode_json)


# --- The schema (OpenAPI cannot describe a protobuf body beyond "binary") ---------------

STATUS_JSON = {
    "type": "object",
    "description": "google.rpc.Status: a gRPC code and what went wrong.",
    "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
}
RESPONSE_JSON = {
    "type": "object",
    "description": "ExportTraceServiceResponse; partialSuccess is present only when spans were rejected.",
    "properties": {
        "partialSuccess": {
            "type": "object",
            "properties": {
                "rejectedSpans": {"type": "string", "pattern": "^[0-9]+$", "description": "int64, as a string"},
                "errorMessage": {"type": "string"},
            },
        }
    },
}
ATTRIBUTES_JSON = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"key": {"type": "string"}, "value": {"type": "object", "description": "AnyValue"}},
    },
}
UNIX_NANO_JSON = {
    "oneOf": [{"type": "string", "pattern": "^[0-9]+$"}, {"type": "integer", "minimum": 0}],
    "description": "Unix time in nanoseconds: a decimal string (as protobuf writes 64-bit integers) or a number",
}
REQUEST_JSON = {
    "type": "object",
    "description": "ExportTraceServiceRequest in OTLP/JSON: protobuf's JSON mapping, trace and span ids in hex, "
    "lowerCamelCase names; unknown fields are ignored.",
    "properties": {
        "resourceSpans": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "resource": {"type": "object", "properties": {"attributes": ATTRIBUTES_JSON}},
                    "scopeSpans": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "spans": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "traceId": {"type": "string", "pattern": "^([0-9a-fA-F]{2})*$"},
                                            "spanId": {"type": "string", "pattern": "^([0-9a-fA-F]{2})*$"},
                                            "name": {"type": "string"},
                                            "kind": {
                                                "oneOf": [
                                                    {"type": "integer"},
                                                    {"type": "string", "enum": list(Span.SpanKind.keys())},
                                                ],
                                                "description": "2 (SPAN_KIND_SERVER) for a request served",
                                            },
                                            "startTimeUnixNano": UNIX_NANO_JSON,
                                            "endTimeUnixNano": UNIX_NANO_JSON,
                                            "attributes": ATTRIBUTES_JSON,
                                        },
                                    },
                                }
                            },
                        },
                    },
                },
            },
        }
    },
}


def _nullable(schema: dict) -> dict:
    """Every property may be null, which protobuf's JSON mapping reads as the field's default."""
    for value in schema.get("properties", {}).values():
        value["nullable"] = True
        _nullable(value)
    if isinstance(schema.get("items"), dict):
        _nullable(schema["items"])
    return schema


REQUEST_JSON = _nullable(REQUEST_JSON)
TRACES_ERRORS = {
    400: "Bad data, not to be retried: an unreadable body (not the content type's encoding, broken gzip), or "
    "records that cannot be stored as sent. Nothing was stored.",
    401: "No API key, or an unknown, revoked or expired one.",
    403: "A user key, or spans whose resource's service.name is not the key's service. Nothing was stored.",
    409: "The Idempotency-Key was already used with another body.",
    413: "The body (as sent, or decompressed) is larger than the byte limit, or it has more HTTP server spans "
    "than the record limit.",
    415: "Neither application/x-protobuf nor application/json, or a Content-Encoding other than gzip.",
    429: "Rate limited (the key's ingest budget, shared with /api/v1/ingest); retry after Retry-After seconds.",
    500: "A server fault; details are in the server's log. Nothing was stored.",
    503: "The database is unavailable or busy; nothing was stored, retry after Retry-After seconds.",
}


def _in_both_encodings(code: int, json_schema: dict, description: str) -> dict:
    return {
        (code, otlp.PROTOBUF): OpenApiResponse(OpenApiTypes.BINARY, description=description),
        (code, otlp.JSON): OpenApiResponse(json_schema, description=description),
    }


TRACES_RESPONSES = _in_both_encodings(
    200,
    RESPONSE_JSON,
    "Every HTTP server span stored, or those not rejected: partial_success.rejected_spans counts the rejected "
    "ones and error_message says why. Other spans are ignored and counted in Malti-Spans-Ignored.",
)
for _code, _why in TRACES_ERRORS.items():
    TRACES_RESPONSES.update(_in_both_encodings(_code, STATUS_JSON, f"A google.rpc.Status. {_why}"))


class TracesView(APIView):
    """OTLP/HTTP trace export: HTTP server spans become request records, all of them stored or none."""

    authentication_classes = [BearerOrApiKeyAuthentication]
    permission_classes = [IsServiceKey]
    parser_classes = [ProtobufTracesParser, JSONTracesParser]

    @extend_schema(
        operation_id="otlp_traces_export",
        tags=["otlp"],
        request={otlp.PROTOBUF: OpenApiTypes.BINARY, otlp.JSON: REQUEST_JSON},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="Optional, as for /api/v1/ingest: the same key and body within 24 hours returns the "
                "first answer and stores nothing again; the same key with another body is a 409.",
            ),
            OpenApiParameter(
                SPANS_STORED,
                OpenApiTypes.INT,
                OpenApiParameter.HEADER,
                response=[200],
                description="HTTP server spans stored as records.",
            ),
            OpenApiParameter(
                SPANS_IGNORED,
                OpenApiTypes.INT,
                OpenApiParameter.HEADER,
                response=[200],
                description="Spans that are not HTTP server spans (internal, client, producer, consumer, or server "
                "spans without an HTTP method): not Malti's data, so neither stored nor rejected.",
            ),
            RETRY_AFTER,
        ],
        responses=TRACES_RESPONSES,
    )
    @ingest_ratelimit
    def post(self, request):
        service = request.user.service
        now = clock.now()
        limits = limits_at(now)
        traces = request.data
        if not isinstance(traces, otlp.ExportTraceServiceRequest):  # an empty body, which DRF does not parse
            traces = otlp.ExportTraceServiceRequest()
        spans = otlp.records_from_traces(traces, limits, settings.MALTI_OTLP_CONSUMER_ATTRIBUTE)
        answer = {
            "stored": len(spans.records),
            "ignored": spans.ignored,
            "rejected_spans": spans.rejected_spans,
            "error_message": spans.rejection_message(),
        }
        replayed = False
        if spans.records:
            batch = self.validate(spans.records, service, limits, now)
            try:
                idempotency_key = idempotency_key_of(request)
            except InvalidBatch as exc:
                raise ParseError(exc.message) from None
            answer, replayed = store_once(
                service, batch.rows, answer, idempotency_key, lambda: otlp.request_digest(traces)
            )
        return self.answer(answer, replayed)

    @staticmethod
    def validate(records: list[dict], service, limits, now):
        """The records as rows, through /api/v1/ingest's validation; its refusals in OTLP's terms."""
        try:
            return validate_batch({"requests": records}, service.name, service.telemetry_key, limits, now)
        except ForeignServiceRecord as exc:
            raise PermissionDenied(
                f"The spans' resource has service.name {records[exc.index]['service']!r}, but this key may only "
                f"send for {service.name!r}."
            ) from None
        except BatchTooLarge as exc:
            raise PayloadTooLarge(f"{exc.message} (HTTP server spans; other spans do not count)") from None
        except InvalidBatch as exc:
            raise ParseError(exc.message) from None

    def answer(self, answer: dict, replayed: bool) -> HttpResponse:
        content_type = otlp.answer_content_type(self.request.content_type)
        body = otlp.encode_response(content_type, answer["rejected_spans"], answer["error_message"])
        response = HttpResponse(body, content_type=content_type)
        response[SPANS_STORED] = str(answer["stored"])
        response[SPANS_IGNORED] = str(answer["ignored"])
        if replayed:
            response["Idempotent-Replayed"] = "true"
        return response

    def perform_content_negotiation(self, request, force=False):
        # The answer's encoding follows the request's Content-Type, whatever Accept says.
        return super().perform_content_negotiation(request, force=True)

    def handle_exception(self, exc):
        """Every error as OTLP wants it: a google.rpc.Status in the request's encoding, headers kept."""
        response = super().handle_exception(exc)
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else str(response.data)
        content_type = otlp.answer_content_type(self.request.content_type)
        status = HttpResponse(
            otlp.encode_status(content_type, response.status_code, str(detail)),
            status=response.status_code,
            content_type=content_type,
        )
        for name, value in response.headers.items():
            if name.lower() not in ("content-type", "content-length"):
                status[name] = value
        return status
