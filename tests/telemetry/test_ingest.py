import gzip
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from accounts.models import ApiKey
from tests.conftest import post_batch, record, utc_now
from tests.factories import ServiceFactory, TenantFactory
from tests.telemetry.helpers import raw_count, raw_rows

pytestmark = pytest.mark.django_db


def test_it_stores_a_batch_and_answers_200_with_the_seed_shape(api, service_api_key):
    response = post_batch(api, service_api_key, [record(), record(status=500)])
    assert response.status_code == 200
    assert response.json() == {
        "message": "Successfully ingested 2 requests",
        "count": 2,
        "service": "checkout",
        "truncated": 0,
    }
    assert raw_count() == 2


def test_it_stores_every_field_as_sent_and_the_service_as_its_telemetry_key(api, service, service_api_key):
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    with_time = utc_now().replace(microsecond=0)
    post_batch(api, service_api_key, [record(method="post", created_at=with_time.isoformat())])
    stored = (service.telemetry_key, "node-1", "POST", "/api/orders/{id}", "web", 200, 42, "web-app", with_time)
    assert service.telemetry_key != service.name and raw_rows() == [stored]
    assert moment.tzinfo is UTC


def test_it_accepts_gzip_bodies(api, service_api_key):
    response = post_batch(api, service_api_key, [record() for _ in range(50)], gzip_body=True)
    assert response.status_code == 200
    assert raw_count() == 50


@pytest.mark.parametrize("suffix", ["Z", "+00:00", ""])
def test_it_accepts_the_timestamp_forms_clients_send(api, service_api_key, suffix):
    moment = (utc_now() - timedelta(minutes=3)).replace(microsecond=0, tzinfo=None)
    response = post_batch(api, service_api_key, [record(created_at=moment.isoformat() + suffix)])
    assert response.status_code == 200
    assert raw_rows("created_at") == [(moment.replace(tzinfo=UTC),)]


def test_it_converts_offsets_to_utc(api, service_api_key):
    moment = utc_now().replace(microsecond=0)
    local = moment.astimezone(__import__("datetime").timezone(timedelta(hours=2)))
    post_batch(api, service_api_key, [record(created_at=local.isoformat())])
    assert raw_rows("created_at") == [(moment,)]


def test_a_missing_timestamp_means_now(api, service_api_key):
    before = utc_now()
    rec = record()
    del rec["created_at"]
    assert post_batch(api, service_api_key, [rec]).status_code == 200
    (stored,) = raw_rows("created_at")[0]
    assert before <= stored <= utc_now()


def test_the_java_clients_empty_strings_are_accepted(api, service_api_key):
    response = post_batch(api, service_api_key, [record(consumer="", context="", node="")])
    assert response.status_code == 200
    assert raw_rows("consumer, context, node") == [("", None, None)]


def test_null_optional_fields_are_stored_as_null(api, service_api_key):
    assert post_batch(api, service_api_key, [record(context=None, node=None)]).status_code == 200
    assert raw_rows("context, node") == [(None, None)]


def test_control_characters_and_nul_are_stripped(api, service_api_key):
    response = post_batch(api, service_api_key, [record(endpoint="/a\x00b\x07c\x7f", consumer=" web\n")])
    assert response.status_code == 200
    assert raw_rows("endpoint, consumer") == [("/abc", "web")]


def test_python_clients_exact_payload_is_accepted(api, service_api_key):
    # What malti-telemetry's batch sender posts.
    payload = {
        "requests": [
            {
                "service": "checkout",
                "node": "pod-7f9c",
                "method": "GET",
                "endpoint": "/items/{item_id}",
                "status": 200,
                "response_time": 12,
                "consumer": "anonymous",
                "context": None,
                "created_at": "2026-11-28T07:00:00.123456+00:00",
            }
        ]
    }
    payload["requests"][0]["created_at"] = (utc_now() - timedelta(seconds=5)).isoformat()
    response = post_batch(api, service_api_key, None, raw_body=orjson.dumps(payload))
    assert response.status_code == 200


def test_one_bad_record_in_a_thousand_stores_nothing(api, service_api_key):
    records = [record() for _ in range(1000)]
    records[617]["status"] = "OK"
    response = post_batch(api, service_api_key, records)
    assert response.status_code == 422
    assert response.json()["index"] == 617
    assert response.json()["field"] == "status"
    assert raw_count() == 0


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"status": 32768}, "status", "between -32768 and 32767"),
        ({"status": -32769}, "status", "between -32768 and 32767"),
        ({"status": True}, "status", "number, not bool"),
        ({"status": 200.5}, "status", "whole number"),
        ({"status": "OK"}, "status", "must be a number"),
        ({"response_time": None}, "response_time", "required"),
        ({"response_time": "12 ms"}, "response_time", "must be a number"),
        ({"method": None}, "method", "required"),
        ({"method": ["GET"]}, "method", "string, not list"),
        ({"endpoint": None}, "endpoint", "required"),
        ({"node": ["a"]}, "node", "string, not list"),
        ({"created_at": "yesterday"}, "created_at", "ISO 8601"),
        ({"created_at": True}, "created_at", "ISO 8601"),
        ({"created_at": "2999-01-01T00:00:00Z"}, "created_at", "future"),
        ({"created_at": "2001-01-01T00:00:00Z"}, "created_at", "retention"),
        ({"created_at": 1_000_000_000}, "created_at", "retention"),
    ],
)
def test_it_rejects_an_invalid_record_with_422_saying_where_and_why(api, service_api_key, change, field, fragment):
    response = post_batch(api, service_api_key, [record(), record(**change)])
    assert response.status_code == 422
    body = response.json()
    assert (body["index"], body["field"]) == (1, field)
    assert fragment in body["detail"]
    assert raw_count() == 0


@pytest.mark.parametrize("name", ["service", "method", "endpoint", "status", "response_time"])
def test_a_missing_required_field_is_named(api, service_api_key, name):
    rec = record()
    del rec[name]
    response = post_batch(api, service_api_key, [rec])
    assert response.status_code == 422
    assert (response.json()["field"], raw_count()) == (name, 0)


# What the original Malti's pydantic model accepts, or what shows up now and then in
# production (a long URL, a WebDAV method, a clock step): stored, never a lost batch.
@pytest.mark.parametrize(
    ("change", "stored"),
    [
        ({"method": "propfind"}, {"method": "PROPFIND"}),
        ({"method": ""}, {"method": ""}),
        ({"endpoint": ""}, {"endpoint": ""}),
        ({"status": 0}, {"status": 0}),
        ({"status": 999}, {"status": 999}),
        ({"status": "404"}, {"status": 404}),
        ({"status": 201.0}, {"status": 201}),
        ({"response_time": 12.7}, {"response_time": 13}),
        ({"response_time": "42"}, {"response_time": 42}),
        ({"response_time": 5_000_000}, {"response_time": 5_000_000}),
        ({"consumer": None}, {"consumer": ""}),
        ({"node": 7, "context": 1.5}, {"node": "7", "context": "1.5"}),
        ({"consumer": True}, {"consumer": "True"}),
        ({"endpoint": 404}, {"endpoint": "404"}),
        ({"unknown": {"nested": [1, 2]}}, {}),
    ],
)
def test_values_the_original_accepts_are_stored(api, service, service_api_key, change, stored):
    response = post_batch(api, service_api_key, [record(**change)])
    assert response.status_code == 200, response.content
    assert response.json()["truncated"] == 0
    assert raw_rows(", ".join(stored or ["service"])) == [tuple(stored.values()) or (service.telemetry_key,)]


def test_a_missing_consumer_is_stored_as_empty(api, service_api_key):
    rec = record()
    del rec["consumer"]
    assert post_batch(api, service_api_key, [rec]).status_code == 200
    assert raw_rows("consumer") == [("",)]


@pytest.mark.parametrize("stamp", ["unix-seconds", "unix-milliseconds", "numeric-string", "lowercase-z"])
def test_unix_times_and_lowercase_z_are_read_as_the_original_reads_them(api, service_api_key, stamp):
    moment = (utc_now() - timedelta(minutes=3)).replace(microsecond=0)
    value = {
        "unix-seconds": moment.timestamp(),
        "unix-milliseconds": int(moment.timestamp() * 1000),
        "numeric-string": str(int(moment.timestamp())),
        "lowercase-z": moment.replace(tzinfo=None).isoformat() + "z",
    }[stamp]
    assert post_batch(api, service_api_key, [record(created_at=value)]).status_code == 200
    assert raw_rows("created_at") == [(moment,)]


def test_over_long_strings_are_cut_to_500_characters_and_counted(api, service_api_key):
    long_url = "/search?q=" + "x" * 2000
    records = [record(endpoint=long_url) for _ in range(499)] + [record(context="c" * 501, node="n" * 500)]
    response = post_batch(api, service_api_key, records)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "message": "Successfully ingested 500 requests",
        "count": 500,
        "service": "checkout",
        "truncated": 500,
    }
    lengths = raw_rows("length(endpoint), length(context), length(node)")
    assert sorted(lengths) == [(16, 500, 500)] + [(500, 3, 6)] * 499


def test_out_of_range_response_times_are_brought_into_range_and_counted(api, service_api_key):
    response = post_batch(api, service_api_key, [record(response_time=-3), record(response_time=2**40)])
    assert response.status_code == 200
    assert response.json()["truncated"] == 2
    assert sorted(raw_rows("response_time")) == [(0,), (2**31 - 1,)]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"[]", "JSON object"),
        (b'{"records": []}', 'no "requests"'),
        (b'{"requests": {}}', "must be a list"),
        (b'{"requests": []}', "empty"),
        (b'{"requests": [1]}', "must be an object"),
    ],
)
def test_a_readable_body_that_is_not_a_batch_is_422(api, service_api_key, body, fragment):
    response = post_batch(api, service_api_key, None, raw_body=body)
    assert response.status_code == 422
    assert fragment in response.json()["detail"]


def test_an_unreadable_body_is_400(api, service_api_key):
    response = post_batch(api, service_api_key, None, raw_body=b"{not json")
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["detail"]


def test_more_records_than_the_limit_is_413(api, service_api_key, settings):
    settings.MALTI_INGEST_MAX_RECORDS = 10
    response = post_batch(api, service_api_key, [record() for _ in range(11)])
    assert response.status_code == 413
    assert "limit is 10" in response.json()["detail"]


def test_a_body_over_the_limit_is_413(api, service_api_key, settings):
    settings.MALTI_INGEST_MAX_BYTES = 2048
    response = post_batch(api, service_api_key, [record() for _ in range(50)])
    assert response.status_code == 413
    assert raw_count() == 0


def test_a_gzip_bomb_is_cut_off_at_the_limit(api, service_api_key, settings):
    settings.MALTI_INGEST_MAX_BYTES = 1024 * 1024
    bomb = gzip.compress(b'{"requests": [' + b" " * (200 * 1024 * 1024) + b"]}")
    assert len(bomb) < settings.MALTI_INGEST_MAX_BYTES
    response = post_batch(api, service_api_key, None, raw_body=bomb, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 413
    assert "decompressed" in response.json()["detail"]


def test_a_corrupt_gzip_body_is_400(api, service_api_key):
    response = post_batch(api, service_api_key, None, raw_body=b"\x1f\x8bnot gzip", HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 400


def test_a_wrong_content_type_is_415(api, service_api_key):
    response = post_batch(api, service_api_key, [record()], content_type="text/plain")
    assert response.status_code == 415


def test_a_missing_key_is_401(api, service):
    response = post_batch(api, None, [record()])
    assert response.status_code == 401
    assert "detail" in response.json()


def test_an_unknown_key_is_401(api, service):
    assert post_batch(api, "malti_s_nope", [record()]).status_code == 401


def test_a_revoked_key_is_401(api, service):
    key, raw = ApiKey.issue(service=service)
    key.revoke()
    response = post_batch(api, raw, [record()])
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_an_expired_key_is_401(api, service):
    _, raw = ApiKey.issue(service=service, expires_at=utc_now() - timedelta(seconds=1))
    response = post_batch(api, raw, [record()])
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_an_inactive_service_cannot_ingest(api, service, service_api_key):
    service.is_active = False
    service.save()
    assert post_batch(api, service_api_key, [record()]).status_code == 401


def test_a_user_key_cannot_ingest(api, service, user_api_key):
    response = post_batch(api, user_api_key, [record()])
    assert response.status_code == 403
    assert raw_count() == 0


def test_a_service_key_cannot_ingest_for_another_service(api, service_api_key):
    ServiceFactory(name="billing", tenant=TenantFactory(name="Other"))
    response = post_batch(api, service_api_key, [record(), record(service="billing")])
    assert response.status_code == 403
    assert response.json()["index"] == 1
    assert raw_count() == 0


def test_the_next_good_request_succeeds_after_a_rejection(api, service_api_key):
    assert post_batch(api, service_api_key, [record(status=1.5)]).status_code == 422
    assert post_batch(api, service_api_key, [record()]).status_code == 200
    assert raw_count() == 1


def test_use_is_recorded_at_most_once_a_minute(api, service, service_api_key):
    post_batch(api, service_api_key, [record()])
    key = ApiKey.objects.get(service=service)
    first = key.last_used
    assert first is not None
    post_batch(api, service_api_key, [record()])
    key.refresh_from_db()
    assert key.last_used == first


def test_the_same_idempotency_key_and_body_is_stored_once(api, service_api_key):
    records = [record(), record()]
    first = post_batch(api, service_api_key, records, HTTP_IDEMPOTENCY_KEY="batch-1")
    again = post_batch(api, service_api_key, records, HTTP_IDEMPOTENCY_KEY="batch-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert raw_count() == 2


def test_an_idempotency_key_reused_for_another_body_is_409(api, service_api_key):
    post_batch(api, service_api_key, [record()], HTTP_IDEMPOTENCY_KEY="batch-1")
    response = post_batch(api, service_api_key, [record(status=500)], HTTP_IDEMPOTENCY_KEY="batch-1")
    assert response.status_code == 409
    assert raw_count() == 1


def test_a_rejected_batch_does_not_use_up_its_idempotency_key(api, service_api_key):
    assert post_batch(api, service_api_key, [record(status=7.5)], HTTP_IDEMPOTENCY_KEY="k").status_code == 422
    assert post_batch(api, service_api_key, [record()], HTTP_IDEMPOTENCY_KEY="k").status_code == 200
    assert raw_count() == 1


def test_idempotency_keys_expire_after_a_day(api, service_api_key):
    from telemetry.models import IngestReceipt

    post_batch(api, service_api_key, [record()], HTTP_IDEMPOTENCY_KEY="old")
    IngestReceipt.objects.update(created_at=utc_now() - timedelta(hours=25))
    assert post_batch(api, service_api_key, [record()], HTTP_IDEMPOTENCY_KEY="old").status_code == 200
    assert raw_count() == 2


def test_ingest_is_rate_limited_per_key_with_retry_after(api, service_api_key, settings):
    settings.MALTI_RATELIMIT_INGEST = "2/h"  # per hour: the burst never straddles a window
    codes = [post_batch(api, service_api_key, [record()]).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    response = post_batch(api, service_api_key, [record()])
    assert response.headers["Retry-After"].isdigit()
    assert "Rate limit" in response.json()["detail"]
    assert raw_count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_lost_database_connection_during_copy_is_a_django_operational_error():
    # The view answers 503 for django.db's OperationalError; the COPY must raise that, not the driver's error.
    from django.db import OperationalError, connection

    from telemetry.ingest import ingest_limits, validate_batch
    from telemetry.models import Request

    now = utc_now()
    limits = ingest_limits(now, timedelta(hours=6), 10, 300)
    rows = validate_batch({"requests": [record()]}, "checkout", "checkout", limits, now).rows
    connection.ensure_connection()
    backend = connection.connection.info.backend_pid
    with psycopg_connect() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [backend])
    try:
        with pytest.raises(OperationalError):
            Request.objects.ingest(rows)
    finally:
        connection.close()
    assert raw_count() == 0


def psycopg_connect():
    import psycopg
    from django.db import connection

    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        dbname=settings["NAME"],
        autocommit=True,
    )
