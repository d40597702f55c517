"""Property tests of the ingest validator and parser, and schema-driven fuzzing of every endpoint."""

import gzip
import json
import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import positive_data_acceptance

from telemetry.ingest import (
    MAX_STRING_LENGTH,
    ForeignServiceRecord,
    InvalidBatch,
    InvalidRecord,
    ingest_limits,
    validate_batch,
)
from telemetry.models.raw import COLUMNS, MAX_RESPONSE_TIME_MS, STATUS_RANGE
from tests.conftest import post_batch, record
from tests.telemetry.helpers import raw_count

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
LIMITS = ingest_limits(NOW, timedelta(hours=6), max_records=50, max_future_seconds=300)
STORED = "key-of-checkout"  # what rows store in the service column


def validate(payload):
    return validate_batch(payload, "checkout", STORED, LIMITS, NOW)


# --- validate_batch: any JSON-like input gives clean rows or InvalidBatch -------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
weird_text = st.text(
    alphabet=st.characters(codec="utf-8") | st.sampled_from("\x00\x01\x1b\x7f\x85\x9b\u2028\ufeff \t\r\n"),
    max_size=40,
)


padding = st.text(alphabet="\x00\x01\x1b\x7f\x85\x9b\u2028 \t\r\n", max_size=3)


def padded(core):
    """A string with control characters and whitespace around it, which validation drops."""
    return st.builds(lambda left, value, right: left + value + right, padding, core, padding)


def cleaned(value: str) -> str:
    return "".join(char for char in value if unicodedata.category(char) != "Cc").strip()


moments = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.none() | st.timezones()
)
BEHIND_UTC = timezone(timedelta(hours=-9, minutes=-30))


def moments_between(low_seconds: int, high_seconds: int):
    """Moments around NOW, written naive (UTC), in UTC, or with an offset."""
    return st.builds(lambda seconds: NOW + timedelta(seconds=seconds), st.integers(low_seconds, high_seconds)).flatmap(
        lambda m: st.sampled_from([m, m.replace(tzinfo=None), m.astimezone(BEHIND_UTC)])
    )


near_moments = moments_between(-7 * 3600, 600)  # across both limits
inside_moments = moments_between(-6 * 3600, 300)  # within them
timestamps = (
    st.none()
    | st.just("")
    | near_moments.map(lambda m: m.isoformat())
    | near_moments.map(lambda m: m.isoformat().replace("+00:00", "Z"))
    | moments.map(lambda m: m.isoformat())
    | st.sampled_from(["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "2026-06-01", "2026-06-01T12:00"])
    | json_values
)
COMMON_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "PROPFIND", "MKCOL", "PURGE"]
methods = padded(st.sampled_from(COMMON_METHODS).flatmap(lambda m: st.sampled_from([m, m.lower(), m.title()])))
long_text = st.text(min_size=495, max_size=700)
near_records = st.fixed_dictionaries(
    {},
    optional={
        "service": st.sampled_from(["checkout", " checkout\x00", "checkout\x9b", "billing", "Checkout"]) | json_values,
        "method": methods | weird_text | json_values,
        "endpoint": padded(st.text(max_size=30)) | st.text(min_size=495, max_size=505) | json_values,
        "status": st.integers(90, 610) | st.integers() | json_values,
        "response_time": st.integers(-2, MAX_RESPONSE_TIME_MS + 2) | st.integers() | json_values,
        "consumer": padded(st.text(max_size=20)) | json_values,
        "node": st.none() | padded(st.text(max_size=20)) | json_values,
        "context": st.none() | padded(st.text(max_size=20)) | st.text(min_size=499, max_size=502) | json_values,
        "created_at": timestamps,
        "extra": json_values,
    },
)
valid_records = st.fixed_dictionaries(
    {
        "service": st.just("checkout"),
        "method": methods | weird_text,
        "endpoint": st.text(max_size=60) | long_text,
        "status": st.integers(*STATUS_RANGE),
        "response_time": st.integers(0, MAX_RESPONSE_TIME_MS),
    },
    optional={
        "consumer": st.none() | st.text(max_size=40) | long_text,
        "node": st.none() | st.text(max_size=40) | long_text,
        "context": st.none() | st.text(max_size=40),
        "created_at": inside_moments.map(lambda m: m.isoformat()),
    },
)
batches = (
    json_values
    | st.fixed_dictionaries({"requests": st.lists(near_records | valid_records | json_values, max_size=6)})
    | st.fixed_dictionaries({"requests": st.lists(valid_records, min_size=1, max_size=6)})
    | st.fixed_dictionaries({"requests": json_values})
)


def has_control_characters(value: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in value)


def check_row(row):
    values = dict(zip(COLUMNS, row, strict=True))
    assert values["service"] == STORED
    assert values["method"] == values["method"].upper()
    assert type(values["status"]) is int and STATUS_RANGE[0] <= values["status"] <= STATUS_RANGE[1]
    assert type(values["response_time"]) is int and 0 <= values["response_time"] <= MAX_RESPONSE_TIME_MS
    for name in ("method", "endpoint", "consumer", "node", "context"):
        value = values[name]
        if value is None:
            assert name in ("node", "context")
            continue
        assert isinstance(value, str)
        assert len(value) <= MAX_STRING_LENGTH
        assert not has_control_characters(value), repr(value)
        assert value == value.strip()
    assert values["node"] != "" and values["context"] != "", "empty optional strings are stored as NULL"
    assert values["created_at"].tzinfo is UTC
    assert LIMITS.oldest <= values["created_at"] <= LIMITS.newest


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches)
def test_validate_batch_returns_clean_rows_or_raises_invalid_batch(payload):
    try:
        batch = validate(payload)
    except ForeignServiceRecord as exc:
        assert exc.field == "service" and 0 <= exc.index < len(payload["requests"])
        assert "may only ingest for 'checkout'" in exc.message
        return
    except InvalidRecord as exc:
        assert 0 <= exc.index < len(payload["requests"])
        assert exc.message.startswith(f"requests[{exc.index}]")
        assert exc.as_dict()["detail"] == exc.message
        assert exc.status_code == 422
        return
    except InvalidBatch as exc:
        assert exc.message and len(exc.message) < 300
        assert exc.status_code in (413, 422)
        return
    assert len(batch.rows) == len(payload["requests"])
    assert 0 <= batch.truncated <= 6 * len(batch.rows)
    for row in batch.rows:
        check_row(row)


@settings(max_examples=300, deadline=None)
@given(st.lists(valid_records, min_size=1, max_size=6))
def test_batches_of_valid_records_are_always_accepted_with_long_strings_cut_and_counted(records):
    batch = validate({"requests": records})
    for row, sent in zip(batch.rows, records, strict=True):
        check_row(row)
        values = dict(zip(COLUMNS, row, strict=True))
        assert (values["status"], values["response_time"]) == (sent["status"], sent["response_time"])
        assert values["endpoint"] == cleaned(sent["endpoint"])[:MAX_STRING_LENGTH].rstrip()
    fields = ("method", "endpoint", "consumer", "node", "context")
    too_long = sum(
        len(cleaned(sent[name].upper() if name == "method" else sent[name])) > MAX_STRING_LENGTH
        for sent in records
        for name in fields
        if isinstance(sent.get(name), str)
    )
    assert batch.truncated == too_long


@settings(max_examples=300, deadline=None)
@given(moments)
def test_any_representable_moment_is_placed_or_refused_never_crashes(moment):
    try:
        (row,) = validate({"requests": [record(created_at=moment.isoformat())]}).rows
    except InvalidRecord as exc:
        assert exc.field == "created_at"
        assert "future" in exc.message or "older than the raw retention" in exc.message
        return
    check_row(row)


# --- the parser and view: any body gets an answer in the contract, never a 500 --------


def as_json(value) -> bytes:
    # The standard library writes what orjson refuses: integers past 64 bits, NaN, Infinity.
    return json.dumps(value, default=str).encode()


body_bytes = (
    st.binary(max_size=300)
    | json_values.map(as_json)
    | batches.map(as_json)
    | st.lists(valid_records, min_size=1, max_size=3).map(lambda records: orjson.dumps({"requests": records}))
)


@pytest.mark.django_db
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    body=body_bytes,
    compress=st.sampled_from(["none", "gzip", "gzip-truncated", "gzip-claimed"]),
    idempotency=st.none() | st.text(alphabet="abc", min_size=1, max_size=3),
)
def test_any_body_gets_an_answer_in_the_contract(api, service_api_key, body, compress, idempotency):
    headers = {}
    sent = body
    if compress != "none":
        headers["HTTP_CONTENT_ENCODING"] = "gzip"
        if compress == "gzip":
            body = gzip.compress(body)
        elif compress == "gzip-truncated":
            body = gzip.compress(body)[: max(1, len(body) // 2)]
    if idempotency:
        headers["HTTP_IDEMPOTENCY_KEY"] = idempotency
    before = raw_count()
    response = post_batch(api, service_api_key, None, raw_body=body, **headers)
    assert response.status_code in (200, 400, 403, 409, 413, 415, 422), response.content[:300]
    answer = response.json()
    if response.status_code == 200:
        # A 200 means every record of the batch is stored (a replay stored them the first time).
        stored = 0 if response.headers.get("Idempotent-Replayed") == "true" else len(orjson.loads(sent)["requests"])
        assert answer["count"] == len(orjson.loads(sent)["requests"])
        assert raw_count() - before == stored
    else:
        assert isinstance(answer["detail"], str) and answer["detail"]
        assert raw_count() == before


# --- schemathesis: every operation of the served schema, with real keys ----------------


def served_schema():
    """The schema as /api/schema/ serves it (loaded once, at collection: no database needed)."""
    from django.core.wsgi import get_wsgi_application

    return schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


# (schemathesis.pytest.from_fixture would load it per test, but 4.32 reads a
# pytest node attribute that pytest 9 no longer has.)
schema = served_schema()


@pytest.fixture
def through_the_wsgi_handler(settings):
    settings.RATELIMIT_ENABLE = False  # fuzzing is not a rate-limit test
    # The WSGI handler closes the test's connection at each request's end; the
    # test client does not, and the schema's cases go through the raw handler.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def credentials(through_the_wsgi_handler, service_api_key, user_api_key):
    return {"service": service_api_key, "user": user_api_key}


def headers_for(case, credentials) -> dict:
    key = credentials["service"] if case.path == "/api/v1/ingest" else credentials["user"]
    return {"X-API-Key": key}


METRICS = r"^/api/v1/metrics/"
AGGREGATE, REALTIME = "/api/v1/metrics/aggregate", "/api/v1/metrics/aggregate/realtime"
FILTERS = "/api/v1/metrics/filters"


@schema.exclude(path_regex=METRICS).parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_5xx(case, credentials):
    case.headers = {**(case.headers or {}), **headers_for(case, credentials)}
    case.call_and_validate(checks=[not_a_server_error])


@schema.include(path_regex=METRICS).parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_metrics_operation_answers_5xx(case, credentials):
    case.headers = {**(case.headers or {}), **headers_for(case, credentials)}
    case.call_and_validate(checks=[not_a_server_error])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "params"),
    [
        *[
            (path, params)
            for path in (AGGREGATE, REALTIME, FILTERS)
            for params in (
                {"node": "a\x00b"},
                {"end_time": "9999-12-31T23:59:59-23:00"},
                {"start_time": "0001-01-01T00:00:00+23:00"},
            )
        ],
    ],
)
def test_control_characters_and_extreme_times_in_metrics_are_a_422(service_api_key, user_api_key, path, params):
    from rest_framework.test import APIClient

    client = APIClient(raise_request_exception=False)
    post_batch(client, service_api_key, [record()])
    response = client.get(path, params, HTTP_X_API_KEY=user_api_key)
    assert response.status_code == 422, response.content
    assert response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", [AGGREGATE, REALTIME])
def test_a_range_without_traffic_answers_zeros(service_api_key, user_api_key, path):
    # Found by schemathesis: the totals row of an empty range was all NULL (500); fixed in c1c08be.
    from rest_framework.test import APIClient

    client = APIClient(raise_request_exception=False)
    response = client.get(
        path, {"start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-01T00:30:00Z"}, HTTP_X_API_KEY=user_api_key
    )
    assert response.status_code == 200
    assert response.json()["metrics_summary"]["total_requests"] == 0


@schema.include(path="/api/v1/ingest").parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_ingest_answers_as_its_schema_says(case, credentials):
    case.headers = {**(case.headers or {}), **headers_for(case, credentials)}
    # Whether a schema-valid record is accepted depends on the key's service and
    # the clock (retention window), which OpenAPI cannot express.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
