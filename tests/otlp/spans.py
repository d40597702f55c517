"""Building OTLP exports for the tests with opentelemetry-proto's own classes."""

import base64
import gzip
import os
import time

import orjson
from google.protobuf import json_format
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

SERVER = Span.SPAN_KIND_SERVER
PROTOBUF = "application/x-protobuf"
JSON = "application/json"
HTTP = {"http.request.method": "GET", "http.route": "/api/orders/{id}", "http.response.status_code": 200}


def attribute(key: str, value) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=value))


def http_span(attributes: dict | None = None, *, kind=SERVER, duration_ms: float = 42, end_ns: int | None = None):
    """A span of the current HTTP conventions (GET /api/orders/{id}, 200) ending at `end_ns` (default now);
    `attributes` add to or replace those (a value of None drops one)."""
    end_ns = time.time_ns() if end_ns is None else end_ns
    values = {**HTTP, **(attributes or {})}
    return Span(
        trace_id=os.urandom(16),
        span_id=os.urandom(8),
        name="GET /api/orders/{id}",
        kind=kind,
        start_time_unix_nano=end_ns - round(duration_ms * 1_000_000),
        end_time_unix_nano=end_ns,
        attributes=[attribute(key, value) for key, value in values.items() if value is not None],
    )


def export(*spans: Span, service: str | None = "checkout", **resource_attributes) -> ExportTraceServiceRequest:
    """One resource (service.name `service`, None for none) holding the spans."""
    values = {"service.name": service, **resource_attributes}
    resource = Resource(attributes=[attribute(k, v) for k, v in values.items() if v is not None])
    return ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=resource, scope_spans=[ScopeSpans(spans=list(spans))])]
    )


def merged(*exports: ExportTraceServiceRequest) -> ExportTraceServiceRequest:
    """Several resources in one export, as a collector batches them."""
    return ExportTraceServiceRequest(resource_spans=[rs for e in exports for rs in e.resource_spans])


def as_json(traces: ExportTraceServiceRequest, *, original_names: bool = False) -> bytes:
    """OTLP/JSON: protobuf's JSON mapping (lowerCamelCase, int64 as strings) with hex trace and span ids."""
    payload = json_format.MessageToDict(traces, preserving_proto_field_name=original_names)
    for resource_spans in payload.get("resourceSpans", payload.get("resource_spans", [])):
        for scope_spans in resource_spans.get("scopeSpans", resource_spans.get("scope_spans", [])):
            for item in scope_spans.get("spans", []):
                for name in ("traceId", "spanId", "trace_id", "span_id"):
                    if name in item:
                        item[name] = base64.b64decode(item[name]).hex()
    return orjson.dumps(payload)


def post_traces(api, traces, *, key=None, bearer=None, content_type=PROTOBUF, gzip_body=False, body=None, **headers):
    """POST /v1/traces through Django's test client; `traces` encoded as `content_type` unless `body` is given."""
    if body is None:
        body = traces.SerializeToString() if content_type == PROTOBUF else as_json(traces)
    if gzip_body:
        body = gzip.compress(body)
        headers["HTTP_CONTENT_ENCODING"] = "gzip"
    if key is not None:
        headers["HTTP_X_API_KEY"] = key
    if bearer is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {bearer}"
    return api.generic("POST", "/v1/traces", body, content_type=content_type, **headers)


def export_response(response) -> ExportTraceServiceResponse:
    """The 200 answer, decoded from the encoding it declares."""
    if response["Content-Type"] == PROTOBUF:
        return ExportTraceServiceResponse.FromString(response.content)
    return json_format.Parse(response.content, ExportTraceServiceResponse())


def error_status(response) -> status_pb2.Status:
    """An error answer's google.rpc.Status, decoded from the encoding it declares."""
    if response["Content-Type"] == PROTOBUF:
        return status_pb2.Status.FromString(response.content)
    return json_format.Parse(response.content, status_pb2.Status())
