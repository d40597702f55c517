"""POST /v1/traces: OTLP/HTTP answers, authentication, partial success and the guarantees of /api/v1/ingest."""

import gzip

import pytest
from django.db import connection

from tests.conftest import post_batch, record
from tests.factories import ServiceFactory, service_key
from tests.otlp.spans import (
    JSON,
    PROTOBUF,
    error_status,
    export,
    export_response,
    http_span,
    merged,
    post_traces,
)
from tests.telemetry.helpers import raw_count, raw_rows

pytestmark = pytest.mark.django_db

INVALID_ARGUMENT, PERMISSION_DENIED, UNAUTHENTICATED, RESOURCE_EXHAUSTED, INTERNAL = 3, 7, 16, 8, 13


def stored(columns="method, endpoint, status, response_time, consumer, node"):
    return raw_rows(columns)


@pytest.mark.parametrize("content_type", [PROTOBUF, JSON])
def test_server_spans_are_stored_and_answered_in_the_requests_encoding(api, service_api_key, service, content_type):
    traces = export(
        http_span({"malti.consumer": "web-app"}, duration_ms=20),
        http_span({"http.request.method": "POST", "http.route": "/api/orders", "http.response.status_code": 201}),
        **{"service.instance.id": "pod-1"},
    )
    response = post_traces(api, traces, key=service_api_key, content_type=content_type)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == content_type
    assert not export_response(response).HasField("partial_success")
    assert (response["Malti-Spans-Stored"], response["Malti-Spans-Ignored"]) == ("2", "0")
    assert sorted(stored()) == [
        ("GET", "/api/orders/{id}", 200, 20, "web-app", "pod-1"),
        ("POST", "/api/orders", 201, 42, "", "pod-1"),
    ]
    assert {row[0] for row in raw_rows("service")} == {service.telemetry_key}


def test_the_json_answer_is_otlp_json(api, service_api_key):
    response = post_traces(api, export(http_span()), key=service_api_key, content_type=JSON)
    assert response.content == b"{}"


def test_a_gzip_body_is_read(api, service_api_key):
    response = post_traces(api, export(http_span(), http_span()), key=service_api_key, gzip_body=True)
    assert response.status_code == 200
    assert raw_count() == 2


def test_json_with_the_original_field_names_is_read(api, service_api_key):
    from tests.otlp.spans import as_json

    body = as_json(export(http_span()), original_names=True)
    assert b"resource_spans" in body and b"start_time_unix_nano" in body
    response = post_traces(api, None, key=service_api_key, content_type=JSON, body=body)
    assert response.status_code == 200
    assert raw_count() == 1


def test_the_key_may_come_as_a_bearer_token(api, service_api_key):
    response = post_traces(api, export(http_span()), bearer=service_api_key)
    assert response.status_code == 200
    assert raw_count() == 1


@pytest.mark.parametrize("content_type", [PROTOBUF, JSON])
def test_no_key_is_a_401_with_a_status_in_the_requests_encoding(api, content_type):
    response = post_traces(api, export(http_span()), content_type=content_type)
    assert response.status_code == 401
    assert response["Content-Type"] == content_type
    assert error_status(response).code == UNAUTHENTICATED
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_bearer_token_is_a_401(api):
    response = post_traces(api, export(http_span()), bearer="malti_not-a-key")
    assert response.status_code == 401
    assert "Unknown API key" in error_status(response).message


def test_a_user_key_is_a_403(api, user_api_key):
    response = post_traces(api, export(http_span()), key=user_api_key)
    assert response.status_code == 403
    assert error_status(response).code == PERMISSION_DENIED


@pytest.mark.parametrize("content_type", [PROTOBUF, JSON])
def test_spans_of_another_service_are_a_403_and_nothing_is_stored(api, service_api_key, content_type):
    traces = merged(export(http_span()), export(http_span(), service="payments"))
    response = post_traces(api, traces, key=service_api_key, content_type=content_type)
    assert response.status_code == 403
    status = error_status(response)
    assert status.code == PERMISSION_DENIED
    assert "'payments'" in status.message and "'checkout'" in status.message
    assert raw_count() == 0


def test_a_resource_without_a_service_name_is_not_the_keys_service(api, service_api_key):
    response = post_traces(api, export(http_span(), service=None), key=service_api_key)
    assert response.status_code == 403
    assert raw_count() == 0


def test_a_namesake_in_another_tenant_cannot_send_for_this_tenants_service(api, service_api_key, service):
    other = ServiceFactory(name="checkout")  # same name, its own tenant
    response = post_traces(api, export(http_span()), key=service_key(other))
    assert response.status_code == 200
    assert raw_rows("service") == [(other.telemetry_key,)]
    assert other.telemetry_key != service.telemetry_key


def test_other_span_kinds_are_ignored_counted_in_a_header_and_not_rejected(api, service_api_key):
    internal, client = http_span(kind=1), http_span(kind=3)
    grpc = http_span({"http.request.method": None, "rpc.system": "grpc"})
    response = post_traces(api, export(http_span(), internal, client, grpc), key=service_api_key)
    assert response.status_code == 200
    assert not export_response(response).HasField("partial_success")
    assert (response["Malti-Spans-Stored"], response["Malti-Spans-Ignored"]) == ("1", "3")
    assert raw_count() == 1


def test_an_export_with_no_server_span_or_no_span_at_all_is_a_success(api, service_api_key):
    for traces in (export(http_span(kind=1)), export(), merged()):
        response = post_traces(api, traces, key=service_api_key)
        assert response.status_code == 200
        assert not export_response(response).HasField("partial_success")
    assert raw_count() == 0


@pytest.mark.parametrize("content_type", [PROTOBUF, JSON])
def test_spans_that_cannot_be_stored_are_a_partial_success_and_the_rest_is_stored(api, service_api_key, content_type):
    traces = export(
        http_span(),
        http_span({"http.response.status_code": None}),
        http_span(end_ns=1_000_000_000_000_000_000),  # 2001: long past the raw retention
        http_span({"http.route": "/api/carts"}),
    )
    response = post_traces(api, traces, key=service_api_key, content_type=content_type)
    assert response.status_code == 200
    partial = export_response(response).partial_success
    assert partial.rejected_spans == 2
    assert "2 of the server spans were not stored" in partial.error_message
    assert "without an HTTP status code" in partial.error_message
    assert response["Malti-Spans-Stored"] == "2"
    assert sorted(row[0] for row in stored("endpoint")) == ["/api/carts", "/api/orders/{id}"]


@pytest.mark.parametrize(
    "content_type, body",
    [
        (PROTOBUF, b"\xff\xff\xff\xff not protobuf"),
        (JSON, b"{not json"),
        (JSON, b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"spanId": "zz"}]}]}]}'),
    ],
)
def test_an_unreadable_body_is_a_400_with_a_status_that_exporters_do_not_retry(
    api, service_api_key, content_type, body
):
    response = post_traces(api, None, key=service_api_key, content_type=content_type, body=body)
    assert response.status_code == 400
    assert response["Content-Type"] == content_type
    status = error_status(response)
    assert status.code == INVALID_ARGUMENT and status.message
    assert raw_count() == 0


def test_broken_gzip_is_a_400(api, service_api_key):
    body = gzip.compress(export(http_span()).SerializeToString())[:-6]
    response = post_traces(api, None, key=service_api_key, body=body, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 400
    assert "gzip" in error_status(response).message


def test_another_content_type_is_a_415(api, service_api_key):
    response = post_traces(api, None, key=service_api_key, content_type="text/plain", body=b"hello")
    assert response.status_code == 415
    assert response["Content-Type"] == JSON
    assert error_status(response).message


def test_the_answer_follows_the_request_whatever_accept_says(api, service_api_key):
    response = post_traces(api, export(http_span()), key=service_api_key, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"] == PROTOBUF


def test_more_server_spans_than_the_record_limit_is_a_413(api, service_api_key, settings):
    settings.MALTI_INGEST_MAX_RECORDS = 2
    internal = [http_span(kind=1) for _ in range(5)]  # only server spans count
    assert post_traces(api, export(http_span(), http_span(), *internal), key=service_api_key).status_code == 200
    response = post_traces(api, export(http_span(), http_span(), http_span()), key=service_api_key)
    assert response.status_code == 413
    assert error_status(response).code == RESOURCE_EXHAUSTED
    assert raw_count() == 2


def test_a_decompressed_body_over_the_byte_limit_is_a_413(api, service_api_key, settings):
    settings.MALTI_INGEST_MAX_BYTES = 2048
    traces = export(*[http_span() for _ in range(100)])
    response = post_traces(api, traces, key=service_api_key, gzip_body=True)
    assert response.status_code == 413
    assert raw_count() == 0


def test_traces_share_the_keys_ingest_rate_limit_and_429_carries_retry_after(api, service_api_key, settings):
    settings.MALTI_RATELIMIT_INGEST = "2/h"  # per hour: the burst never straddles a window
    assert post_batch(api, service_api_key, [record()]).status_code == 200
    assert post_traces(api, export(http_span()), key=service_api_key).status_code == 200
    response = post_traces(api, export(http_span()), key=service_api_key)
    assert response.status_code == 429
    assert response["Retry-After"].isdigit()
    assert error_status(response).code == RESOURCE_EXHAUSTED
    assert raw_count() == 2


def test_the_same_idempotency_key_and_export_is_stored_once(api, service_api_key):
    traces = export(http_span(), http_span({"http.response.status_code": None}))
    first = post_traces(api, traces, key=service_api_key, HTTP_IDEMPOTENCY_KEY="export-1")
    again = post_traces(api, traces, key=service_api_key, content_type=JSON, HTTP_IDEMPOTENCY_KEY="export-1")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again["Idempotent-Replayed"] == "true"
    assert export_response(again) == export_response(first)
    assert export_response(again).partial_success.rejected_spans == 1
    assert raw_count() == 1
    other = post_traces(api, export(http_span()), key=service_api_key, HTTP_IDEMPOTENCY_KEY="export-1")
    assert other.status_code == 409
    assert raw_count() == 1


# A database fault while storing, provoked in the real database: one record of the export is refused.
REFUSE_ONE_ENDPOINT_SQL = """
CREATE FUNCTION malti_test_refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN IF NEW.endpoint = '/boom' THEN RAISE EXCEPTION 'refused by a test trigger'; END IF; RETURN NEW; END $$;
CREATE TRIGGER malti_test_refuse_boom BEFORE INSERT ON requests FOR EACH ROW EXECUTE FUNCTION malti_test_refuse_boom();
"""


def test_all_records_of_an_export_are_stored_or_none(api, service_api_key):
    with connection.cursor() as cursor:
        cursor.execute(REFUSE_ONE_ENDPOINT_SQL)  # undone with the test's transaction
    traces = export(http_span(), http_span(), http_span({"http.route": "/boom"}), http_span())
    response = post_traces(api, traces, key=service_api_key)
    assert response.status_code == 500
    status = error_status(response)
    assert status.code == INTERNAL and "nothing was stored" in status.message
    assert "trigger" not in status.message
    assert raw_count() == 0
    assert post_traces(api, export(http_span(), http_span()), key=service_api_key).status_code == 200
    assert raw_count() == 2
