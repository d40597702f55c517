"""OpenTelemetry traces (OTLP) as Malti records.

An OTLP/HTTP export (`POST /v1/traces`) carries spans of every kind. Malti
keeps one record per HTTP request a service served, so only SERVER spans with
an HTTP method become records; every other span is ignored (counted, never
refused). A server span Malti cannot store faithfully (no status code, an end
time outside the ingest window) is rejected on its own, and reported through
OTLP's partial success, so the rest of the export is kept. The records are in
the ingest format (telemetry.ingest), so the same validation, limits and
storage apply to them as to /api/v1/ingest.

Attributes are read as the HTTP semantic conventions name them, with the names
of the older conventions (before 1.21) as fallbacks; the README's table lists
the mapping.
"""

import base64
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from telemetry.ingest import IngestLimits
from telemetry.models.raw import STATUS_RANGE

PROTOBUF = "application/x-protobuf"
JSON = "application/json"

# A server span without http.route (a 404, a framework that does not report routes) is
# counted under this endpoint: its raw URL would make one endpoint per id or query string.
NO_ROUTE = "(no route)"
ENDUSER_ID = "enduser.id"
# Attribute names, newest convention first.
METHOD_ATTRIBUTES = ("http.request.method", "http.method")
STATUS_ATTRIBUTES = ("http.response.status_code", "http.status_code")
NODE_ATTRIBUTES = ("service.instance.id", "host.name")
# The current conventions report a method outside the known set as "_OTHER", the method itself beside it.
OTHER_METHOD = "_OTHER"
ORIGINAL_METHOD = "http.request.method_original"

# OTLP/JSON writes trace and span ids as hex; protobuf's JSON mapping reads bytes as base64.
_SPAN_IDS = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")
_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class UnreadableTraces(Exception):
    """The body is not an ExportTraceServiceRequest (a 400: sending it again cannot help)."""


@dataclass
class SpanRecords:
    """What an export's spans become: ingest records, and the spans left out."""

    records: list[dict] = field(default_factory=list)
    ignored: int = 0  # spans of other kinds, or server spans that are not HTTP: not Malti's data, not an error
    rejected: Counter = field(default_factory=Counter)  # why -> how many server spans could not be stored

    @property
    def rejected_spans(self) -> int:
        return sum(self.rejected.values())

    def rejection_message(self) -> str:
        """OTLP's partial_success.error_message: how many spans were rejected and why ("" when none were)."""
        if not self.rejected:
            return ""
        reasons = "; ".join(f"{count} {why}" for why, count in self.rejected.most_common())
        return f"{self.rejected_spans} of the server spans were not stored: {reasons}."


# --- Decoding ---------------------------------------------------------------------------


def decode_protobuf(body: bytes) -> ExportTraceServiceRequest:
    """An OTLP/HTTP protobuf body."""
    try:
        return ExportTraceServiceRequest.FromString(body)
    except DecodeError as exc:
        raise UnreadableTraces(f"The body is not a protobuf ExportTraceServiceRequest: {exc}") from None


def decode_json(body: bytes) -> ExportTraceServiceRequest:
    """An OTLP/HTTP JSON body: protobuf's JSON mapping, with ids in hex and unknown fields ignored (as OTLP says)."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise UnreadableTraces(f"The body is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise UnreadableTraces("The body must be a JSON object, an ExportTraceServiceRequest.")
    _hex_ids_to_base64(payload)
    try:
        return json_format.ParseDict(payload, ExportTraceServiceRequest(), ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise UnreadableTraces(f"The body is not an OTLP ExportTraceServiceRequest: {exc}") from None


def _hex_ids_to_base64(payload: dict) -> None:
    """Rewrite the spans' and links' hex ids, in place, as the base64 protobuf's JSON parser reads."""
    for resource_spans in _objects(payload, "resourceSpans", "resource_spans"):
        for scope_spans in _objects(resource_spans, "scopeSpans", "scope_spans"):
            for span in _objects(scope_spans, "spans"):
                _rewrite_ids(span)
                for link in _objects(span, "links"):
                    _rewrite_ids(link)


def _objects(parent: dict, *names: str):
    """The objects in the list `parent` holds under one of `names`; anything else is json_format's to refuse."""
    for name in names:
        items = parent.get(name)
        if isinstance(items, list):
            yield from (item for item in items if isinstance(item, dict))


def _rewrite_ids(item: dict) -> None:
    for name in _SPAN_IDS:
        value = item.get(name)
        if isinstance(value, str) and value:
            try:
                item[name] = base64.b64encode(bytes.fromhex(value)).decode()
            except ValueError:
                raise UnreadableTraces(f"{name} must be hex, as OTLP/JSON writes ids: {value[:40]!r}") from None


def request_digest(traces: ExportTraceServiceRequest) -> str:
    """A digest of the export, the same whichever encoding carried it (for the Idempotency-Key)."""
    return hashlib.sha256(traces.SerializeToString(deterministic=True)).hexdigest()


# --- Encoding the answers -----------------------------------------------------------------


def encode_response(content_type: str, rejected_spans: int = 0, error_message: str = "") -> bytes:
    """ExportTraceServiceResponse, with partial_success set only when spans were rejected."""
    response = ExportTraceServiceResponse()
    if rejected_spans or error_message:
        response.partial_success.rejected_spans = rejected_spans
        response.partial_success.error_message = error_message
    return _encode(response, content_type)


# google.rpc.Code for the HTTP statuses Malti answers, as gRPC maps them.
GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 409: 6, 413: 8, 415: 3, 429: 8, 500: 13, 503: 14}
GRPC_UNKNOWN = 2


def encode_status(content_type: str, http_status: int, message: str) -> bytes:
    """The google.rpc.Status body OTLP/HTTP sends with an error."""
    status = status_pb2.Status(code=GRPC_CODES.get(http_status, GRPC_UNKNOWN), message=message)
    return _encode(status, content_type)


def _encode(message, content_type: str) -> bytes:
    if content_type == PROTOBUF:
        return message.SerializeToString()
    return json_format.MessageToJson(message, indent=None).encode()


def answer_content_type(request_content_type: str) -> str:
    """OTLP answers in the encoding of the request: protobuf for protobuf, JSON otherwise."""
    media_type = request_content_type.partition(";")[0].strip().lower()
    return PROTOBUF if media_type == PROTOBUF else JSON


# --- Spans to records -------------------------------------------------------------------


def records_from_traces(
    traces: ExportTraceServiceRequest, limits: IngestLimits, consumer_attribute: str
) -> SpanRecords:
    """The export's HTTP server spans as ingest records; the other spans counted.

    A record's service is its resource's service.name: validation refuses the whole
    export (403) when it is not the key's service, as /api/v1/ingest does.
    """
    result = SpanRecords()
    consumer_attributes = tuple(dict.fromkeys((consumer_attribute, ENDUSER_ID)))
    for resource_spans in traces.resource_spans:
        resource = _attributes(resource_spans.resource.attributes)
        service = _first(resource, ("service.name",))
        node = _first(resource, NODE_ATTRIBUTES)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                if span.kind != Span.SPAN_KIND_SERVER:
                    result.ignored += 1
                    continue
                attributes = _attributes(span.attributes)
                method = _method(attributes)
                if method is None:  # a gRPC or messaging server span: not an HTTP request
                    result.ignored += 1
                    continue
                status = _status(attributes)
                why_not = _reason_to_reject(span, status, limits)
                if why_not:
                    result.rejected[why_not] += 1
                    continue
                result.records.append(
                    {
                        "service": "" if service is None else service,
                        "method": method,
                        "endpoint": _first(attributes, ("http.route",)) or NO_ROUTE,
                        "status": status,
                        "response_time": round((span.end_time_unix_nano - span.start_time_unix_nano) / 1_000_000),
                        "consumer": _first(attributes, consumer_attributes),
                        "node": node,
                        "created_at": moment(span.end_time_unix_nano).isoformat(),
                    }
                )
    return result


def moment(unix_nano: int) -> datetime:
    """A span's time, to the microsecond the column keeps (by integer arithmetic: a float loses nanoseconds)."""
    return _UNIX_EPOCH + timedelta(microseconds=unix_nano // 1000)


def _reason_to_reject(span: Span, status: int | None, limits: IngestLimits) -> str | None:
    """Why a server span cannot be stored as a record, or None when it can."""
    if not span.start_time_unix_nano or not span.end_time_unix_nano:
        return "without a start or end time"
    if status is None:
        return "without an HTTP status code (http.response.status_code)"
    if not STATUS_RANGE[0] <= status <= STATUS_RANGE[1]:
        return f"with a status code outside {STATUS_RANGE[0]}..{STATUS_RANGE[1]}"
    end = moment(span.end_time_unix_nano)
    if end > limits.newest:
        return "ending in the future (clocks may be off)"
    if end < limits.oldest:
        return "ending before the raw retention window (too old to be rolled up)"
    return None


def _attributes(key_values) -> dict:
    """Attribute name -> plain value: strings, numbers and booleans; arrays, maps and bytes are None."""
    values = {}
    for key_value in key_values:
        value = key_value.value
        kind = value.WhichOneof("value")
        values[key_value.key] = getattr(value, kind) if kind in _SCALARS else None
    return values


_SCALARS = frozenset({"string_value", "int_value", "double_value", "bool_value"})


def _first(attributes: dict, names: tuple[str, ...]):
    """The first of `names` the attributes hold with a value, or None."""
    for name in names:
        value = attributes.get(name)
        if value is not None and value != "":
            return value
    return None


def _method(attributes: dict):
    method = _first(attributes, METHOD_ATTRIBUTES)
    if method == OTHER_METHOD:
        return _first(attributes, (ORIGINAL_METHOD,)) or method
    return method


def _status(attributes: dict) -> int | None:
    """The status code, an integer attribute or a whole number written as text or a double; None otherwise."""
    value = _first(attributes, STATUS_ATTRIBUTES)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None
