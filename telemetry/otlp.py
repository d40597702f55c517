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
import binascii
import functools
import hashlib
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import orjson
from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import DecodeError
from google.protobuf.message_factory import GetMessageClass
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
    """An OTLP/HTTP JSON body: protobuf's JSON mapping, with trace and span ids in hex.

    Built straight into the generated classes (see _fill): protobuf's own json_format took
    about 180 µs of CPU per span here, four times as long, so a 10 MB body took seconds.
    """
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise UnreadableTraces(f"The body is not valid JSON: {exc}") from None
    return _message(ExportTraceServiceRequest, payload, "body")


# Bytes fields written in hex in OTLP/JSON; any other bytes field (AnyValue.bytesValue) is base64.
_HEX_FIELDS = frozenset({"trace_id", "span_id", "parent_span_id"})
_INTEGER_TYPES = frozenset(
    {
        FieldDescriptor.TYPE_INT64,
        FieldDescriptor.TYPE_UINT64,
        FieldDescriptor.TYPE_FIXED64,
        FieldDescriptor.TYPE_SFIXED64,
        FieldDescriptor.TYPE_SINT64,
        FieldDescriptor.TYPE_INT32,
        FieldDescriptor.TYPE_UINT32,
        FieldDescriptor.TYPE_FIXED32,
        FieldDescriptor.TYPE_SFIXED32,
        FieldDescriptor.TYPE_SINT32,
    }
)
_WHOLE_NUMBER_TYPES = _INTEGER_TYPES | {FieldDescriptor.TYPE_ENUM}
_FLOAT_TYPES = frozenset({FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT})
_SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


@dataclass(frozen=True)
class _Field:
    """What decoding needs of a field, read once: descriptors are slow to query."""

    name: str
    repeated: bool
    kind: int
    message: type | None  # the generated class of a message field
    enum_numbers: dict | None  # name -> number of an enum field
    hexadecimal: bool


@functools.cache
def _fields_by_json_key(descriptor) -> dict[str, _Field]:
    """A message's fields by both names protobuf's JSON mapping accepts: lowerCamelCase and the original."""
    fields = {}
    for f in descriptor.fields:
        field = _Field(
            name=f.name,
            repeated=f.is_repeated,
            kind=f.type,
            message=GetMessageClass(f.message_type) if f.type == FieldDescriptor.TYPE_MESSAGE else None,
            enum_numbers={v.name: v.number for v in f.enum_type.values} if f.enum_type else None,
            hexadecimal=f.name in _HEX_FIELDS,
        )
        fields[f.name] = fields[f.json_name] = field
    return fields


def _message(cls, value, path: str):
    """`value` (parsed JSON) as a message of `cls`; see _fill."""
    message = cls()
    _fill(message, value, path)
    return message


def _fill(message, value, path: str) -> None:
    """Set `message`'s fields from `value` (parsed JSON) as protobuf's JSON mapping reads it: unknown
    fields and nulls ignored (OTLP requires the former), int64 as strings or numbers, enums as
    numbers or names. Filled in place: building sub-messages apart and passing them in copies each
    level again. The generated class checks the values' types and ranges."""
    if not isinstance(value, dict):
        raise UnreadableTraces(f"{path} must be a JSON object, not {type(value).__name__}")
    fields = _fields_by_json_key(message.DESCRIPTOR)
    for key, item in value.items():
        field = fields.get(key)
        if field is None or item is None:
            continue
        try:
            if field.repeated:
                if not isinstance(item, list):
                    raise UnreadableTraces(f"{path}.{key} must be a list")
                target = getattr(message, field.name)
                if field.message is not None:
                    for index, element in enumerate(item):
                        _fill(target.add(), element, f"{path}.{key}[{index}]")
                else:
                    target.extend(_scalar(field, element, path, key) for element in item)
            elif field.message is not None:
                _fill(getattr(message, field.name), item, f"{path}.{key}")
            else:
                setattr(message, field.name, _scalar(field, item, path, key))
        except (TypeError, ValueError) as exc:
            raise UnreadableTraces(f"{path}.{key} is not valid: {exc}") from None


def _scalar(field: _Field, item, path: str, key: str):
    kind = field.kind
    if item.__class__ is str and kind != FieldDescriptor.TYPE_STRING:
        return _from_string(field, item, f"{path}.{key}")
    if isinstance(item, bool) != (kind == FieldDescriptor.TYPE_BOOL):
        raise UnreadableTraces(f"{path}.{key} has the wrong type: {item!r:.40}")
    if item.__class__ is float and kind in _WHOLE_NUMBER_TYPES:
        return _integer(item, f"{path}.{key}")
    return item  # the generated class checks the type and range of the rest


def _from_string(field: _Field, item: str, where: str):
    """A non-string field written as a string: int64 numbers, enum names, bytes, special doubles."""
    if field.kind == FieldDescriptor.TYPE_BYTES:
        return _bytes(item, field.hexadecimal, where)
    if field.enum_numbers is not None:
        if item not in field.enum_numbers:
            raise UnreadableTraces(f"{where} is not one of the enum's names: {item!r:.40}")
        return field.enum_numbers[item]
    if field.kind in _INTEGER_TYPES:
        return _integer(item, where)
    if field.kind in _FLOAT_TYPES:
        try:
            return _SPECIAL_FLOATS[item] if item in _SPECIAL_FLOATS else float(item)
        except ValueError:
            raise UnreadableTraces(f"{where} is not a number: {item!r:.40}") from None
    raise UnreadableTraces(f"{where} has the wrong type: {item!r:.40}")


def _integer(item, where: str) -> int:
    """A JSON number or a decimal string (int64 values), whole: "12", not " 12", "1_2" or "1.5"."""
    if isinstance(item, int):
        return item
    if isinstance(item, str) and _DECIMAL(item):
        return int(item)
    if isinstance(item, float) and item.is_integer():
        return int(item)
    raise UnreadableTraces(f"{where} is not a whole number: {item!r:.40}")


_DECIMAL = re.compile(r"-?[0-9]+", re.ASCII).fullmatch


def _bytes(item, hexadecimal: bool, where: str) -> bytes:
    if not isinstance(item, str):
        raise UnreadableTraces(f"{where} must be a string")
    try:
        if hexadecimal:
            return bytes.fromhex(item)
        padded = item + "=" * (-len(item) % 4)  # protobuf's JSON mapping takes base64 with or without padding
        return base64.b64decode(padded, altchars=b"-_" if "-" in item or "_" in item else None, validate=True)
    except (ValueError, binascii.Error):
        what = "hex, as OTLP/JSON writes ids" if hexadecimal else "base64"
        raise UnreadableTraces(f"{where} must be {what}: {item!r:.40}") from None


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
