"""Which spans become records, and how their attributes map to the record's fields (telemetry.otlp)."""

import time
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from telemetry import otlp
from telemetry.ingest import ingest_limits
from tests.otlp.spans import export, http_span, merged

NOW = datetime.now(UTC)
NOW_NS = int(NOW.timestamp()) * 1_000_000_000


def limits():
    """Ingest's limits as of now: a suite can reach this module long after it imported it (spans end now)."""
    return ingest_limits(datetime.now(UTC), timedelta(hours=6), max_records=10_000, max_future_seconds=300)


def records(*spans, consumer_attribute="malti.consumer", **resource):
    return otlp.records_from_traces(export(*spans, **resource), limits(), consumer_attribute)


def test_a_server_span_becomes_a_record_of_its_route_method_status_duration_node_and_end_time():
    end_ns = NOW_NS + 123_456_789  # nanoseconds past the microsecond are dropped, as the column keeps microseconds
    span = http_span({"malti.consumer": "web-app"}, duration_ms=12.6, end_ns=end_ns)
    result = records(span, **{"service.instance.id": "pod-7", "host.name": "host-1"})
    assert result.records == [
        {
            "service": "checkout",
            "method": "GET",
            "endpoint": "/api/orders/{id}",
            "status": 200,
            "response_time": 13,
            "consumer": "web-app",
            "node": "pod-7",
            "created_at": (NOW.replace(microsecond=0) + timedelta(microseconds=123_456)).isoformat(),
        }
    ]
    assert (result.ignored, result.rejected_spans, result.rejection_message()) == (0, 0, "")


def test_the_older_http_conventions_are_read_too():
    span = http_span(
        {"http.request.method": None, "http.response.status_code": None, "http.method": "POST", "http.status_code": 503}
    )
    (record,) = records(span, **{"host.name": "host-1"}).records
    assert (record["method"], record["status"], record["node"]) == ("POST", 503, "host-1")


def test_a_span_without_a_route_is_counted_under_a_placeholder_never_its_url():
    span = http_span({"http.route": None, "url.path": "/api/orders/8812", "http.target": "/api/orders/8812?x=1"})
    (record,) = records(span).records
    assert record["endpoint"] == otlp.NO_ROUTE == "(no route)"


def test_a_method_outside_the_known_set_is_stored_as_the_original_method():
    span = http_span({"http.request.method": "_OTHER", "http.request.method_original": "PURGE"})
    assert records(span).records[0]["method"] == "PURGE"


@pytest.mark.parametrize(
    "attributes, setting, consumer",
    [
        ({"malti.consumer": "billing", "enduser.id": "alice"}, "malti.consumer", "billing"),
        ({"enduser.id": "alice"}, "malti.consumer", "alice"),
        ({"app.client": "ios", "malti.consumer": "billing"}, "app.client", "ios"),
        ({"malti.consumer": "billing", "enduser.id": "alice"}, "app.client", "alice"),  # then enduser.id
        ({}, "malti.consumer", None),  # stored as "" by ingest
    ],
)
def test_the_consumer_comes_from_the_configured_attribute_then_enduser_id(attributes, setting, consumer):
    (record,) = records(http_span(attributes), consumer_attribute=setting).records
    assert record["consumer"] == consumer


def test_a_status_code_written_as_text_or_a_whole_double_is_read_as_a_number():
    result = records(http_span({"http.response.status_code": "404"}), http_span({"http.response.status_code": 502.0}))
    assert [r["status"] for r in result.records] == [404, 502]


@pytest.mark.parametrize("kind", [0, 1, 3, 4, 5])  # unspecified, internal, client, producer, consumer
def test_spans_of_other_kinds_are_ignored_not_rejected(kind):
    result = records(http_span(kind=kind), http_span())
    assert (len(result.records), result.ignored, result.rejected_spans) == (1, 1, 0)


def test_a_server_span_without_an_http_method_is_not_an_http_request_and_is_ignored():
    grpc = http_span({"http.request.method": None, "http.route": None, "rpc.system": "grpc"})
    result = records(grpc)
    assert (result.records, result.ignored, result.rejected_spans) == ([], 1, 0)


def test_server_spans_that_cannot_be_stored_are_rejected_each_with_its_reason():
    result = records(
        http_span(),
        http_span({"http.response.status_code": None}),
        http_span({"http.response.status_code": "teapot"}),
        http_span({"http.response.status_code": 70_000}),
        http_span(end_ns=NOW_NS - 7 * 3600 * 10**9),  # before the raw retention window
        http_span(end_ns=NOW_NS + 3600 * 10**9),  # an hour ahead
    )
    assert len(result.records) == 1
    assert result.rejected_spans == 5
    assert result.rejected == {
        "without an HTTP status code (http.response.status_code)": 2,
        "with a status code outside -32768..32767": 1,
        "ending before the raw retention window (too old to be rolled up)": 1,
        "ending in the future (clocks may be off)": 1,
    }
    message = result.rejection_message()
    assert message.startswith("5 of the server spans were not stored: 2 without an HTTP status code")


def test_a_span_without_start_or_end_time_is_rejected():
    span = http_span()
    span.start_time_unix_nano = 0
    assert records(span).rejected == {"without a start or end time": 1}


def test_each_resource_names_its_records_service_and_node():
    traces = merged(
        export(http_span(), service="checkout", **{"host.name": "a"}),
        export(http_span(), service=None, **{"host.name": "b"}),
    )
    result = otlp.records_from_traces(traces, limits(), "malti.consumer")
    assert [(r["service"], r["node"]) for r in result.records] == [("checkout", "a"), ("", "b")]


def test_the_json_encoding_reads_hex_ids_camel_or_original_names_and_int64_strings():
    from tests.otlp.spans import as_json

    traces = export(http_span({"malti.consumer": "web"}, end_ns=time.time_ns()))
    for body in (as_json(traces), as_json(traces, original_names=True)):
        decoded = otlp.decode_json(body)
        assert decoded == traces
        assert (
            decoded.resource_spans[0].scope_spans[0].spans[0].trace_id
            == traces.resource_spans[0].scope_spans[0].spans[0].trace_id
        )


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"resourceSpans": "nope"}',
        b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "not-hex"}]}]}]}',
        b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"kind": {"a": 1}}]}]}]}',
    ],
)
def test_a_body_that_is_not_an_otlp_json_export_is_unreadable(body):
    with pytest.raises(otlp.UnreadableTraces):
        otlp.decode_json(body)


def test_the_json_encoding_takes_enum_names_int64_numbers_base64_bytes_and_nulls_as_protobufs_mapping_does():
    body = orjson.dumps(
        {
            "resourceSpans": [
                {
                    "resource": None,
                    "scopeSpans": [
                        {
                            "spans": [
                                {
                                    "traceId": "5b8efff798038103d269b633813fc60c",
                                    "spanId": "EEE19B7EC3C1B174",
                                    "kind": "SPAN_KIND_SERVER",
                                    "startTimeUnixNano": 1_700_000_000_000_000_000,
                                    "endTimeUnixNano": "1700000000042000000",
                                    "attributes": [
                                        {"key": "http.response.status_code", "value": {"intValue": "200"}},
                                        {"key": "blob", "value": {"bytesValue": "AAEC"}},
                                        {"key": "ratio", "value": {"doubleValue": "NaN"}},
                                    ],
                                    "status": {"code": "STATUS_CODE_ERROR"},
                                }
                            ]
                        }
                    ],
                }
            ]
        }
    )
    (span,) = otlp.decode_json(body).resource_spans[0].scope_spans[0].spans
    assert span.trace_id.hex() == "5b8efff798038103d269b633813fc60c" and span.span_id.hex() == "eee19b7ec3c1b174"
    assert (span.kind, span.end_time_unix_nano - span.start_time_unix_nano) == (2, 42_000_000)
    assert [a.value.WhichOneof("value") for a in span.attributes] == ["int_value", "bytes_value", "double_value"]
    assert span.attributes[1].value.bytes_value == b"\x00\x01\x02"
    assert span.status.code == 2


@pytest.mark.parametrize(
    "span",
    [
        {"kind": "SPAN_KIND_NOPE"},
        {"kind": True},
        {"startTimeUnixNano": "soon"},
        {"startTimeUnixNano": -1},
        {"startTimeUnixNano": 1.5},
        {"startTimeUnixNano": " 12"},
        {"startTimeUnixNano": "1_000"},
        {"name": 42},
        {"attributes": {"key": "x"}},
        {"attributes": [{"key": "x", "value": {"boolValue": "yes"}}]},
        {"attributes": [{"key": "x", "value": {"bytesValue": "%%%"}}]},
    ],
)
def test_a_span_field_of_the_wrong_type_makes_the_json_unreadable(span):
    body = orjson.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]})
    with pytest.raises(otlp.UnreadableTraces):
        otlp.decode_json(body)


def test_unknown_json_fields_are_ignored_as_otlp_requires():
    body = b'{"resourceSpans": [], "futureField": {"x": 1}}'
    assert otlp.decode_json(body) == otlp.decode_protobuf(b"")


def test_a_body_that_is_not_protobuf_is_unreadable():
    with pytest.raises(otlp.UnreadableTraces):
        otlp.decode_protobuf(b"\xff\xff\xff\xff not protobuf")
