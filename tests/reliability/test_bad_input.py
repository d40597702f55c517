"""The ingest endpoint refuses every kind of bad input with the contract's status and a useful
message, stores nothing, and answers the next good request normally."""

import gzip
import socket
import time
import zlib
from dataclasses import dataclass, field
from datetime import timedelta

import orjson
import pytest
from django.test import Client

from tests.conftest import post_batch, record, utc_now
from tests.factories import ServiceFactory, TenantFactory, service_key
from tests.reliability.conftest import live_server
from tests.telemetry.helpers import raw_count, raw_rows

pytestmark = pytest.mark.django_db

INGEST = "/api/v1/ingest"
STRING_FIELDS = ("service", "method", "endpoint", "consumer", "node", "context")


def body(*records, **top) -> bytes:
    return orjson.dumps({"requests": list(records), **top})


def with_raw_value(field_name: str, raw_json: bytes) -> bytes:
    """A one-record batch whose `field_name` is the literal JSON text `raw_json` (NaN, 1e400, ...)."""
    marker = "__RAW__"
    return body(record(**{field_name: marker})).replace(orjson.dumps(marker), raw_json)


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def ago(**delta) -> str:
    return (utc_now() - timedelta(**delta)).isoformat()


@dataclass
class Case:
    id: str
    status: int
    fragment: str
    body: object = None  # bytes, or a callable returning bytes (for timestamps relative to now)
    key: str = "service"
    content_type: str = "application/json"
    headers: dict = field(default_factory=dict)
    gzip: bool = False

    def payload(self) -> bytes:
        payload = self.body() if callable(self.body) else self.body
        payload = body(record()) if payload is None else payload
        return gzip.compress(payload) if self.gzip else payload


def truncated_gzip() -> bytes:
    return gzip.compress(body(*[record() for _ in range(20)]))[:-40]


def deflate(data: bytes) -> bytes:
    return zlib.compress(data)


CASES = [
    # Malformed JSON.
    Case("trailing-comma", 400, "not valid JSON", b'{"requests": [{"service": "checkout"},]}'),
    Case("single-quotes", 400, "not valid JSON", b"{'requests': []}"),
    Case("unterminated", 400, "not valid JSON", b'{"requests": [{"service": "checkout"'),
    Case("trailing-garbage", 400, "not valid JSON", body(record()) + b" {}"),
    Case("two-documents", 400, "not valid JSON", body(record()) + body(record())),
    Case("comment", 400, "not valid JSON", b'{"requests": [] /* no */}'),
    Case("utf8-bom", 400, "not valid JSON", b"\xef\xbb\xbf" + body(record())),
    # NaN and Infinity are not JSON; orjson says where it stopped.
    Case("nan-status", 400, "unexpected character", with_raw_value("status", b"NaN")),
    Case("infinity-response-time", 400, "unexpected character", with_raw_value("response_time", b"Infinity")),
    Case("minus-infinity", 400, "not valid JSON", with_raw_value("response_time", b"-Infinity")),
    Case("overflowing-float", 400, "infinity", with_raw_value("response_time", b"1e400")),
    # Wrong types, each named by field.
    Case("status-list", 422, "requests[0].status: must be a number, not list", body(record(status=[200]))),
    Case("status-object", 422, "requests[0].status: must be a number, not dict", body(record(status={"v": 1}))),
    Case("status-fraction", 422, "requests[0].status: must be a whole number", body(record(status=200.5))),
    Case("status-word", 422, "requests[0].status: must be a number, got 'OK'", body(record(status="OK"))),
    Case("response-time-bool", 422, "response_time: must be a number, not bool", body(record(response_time=False))),
    Case("response-time-units", 422, "response_time: must be a number, got '42ms'", body(record(response_time="42ms"))),
    Case("service-number", 403, "is '7', but this key may only ingest for 'checkout'", body(record(service=7))),
    Case("endpoint-object", 422, "endpoint: must be a string, not dict", body(record(endpoint={"path": "/"}))),
    Case("method-null", 422, "method: is required", body(record(method=None))),
    Case(
        "created-at-object",
        422,
        "created_at: must be an ISO 8601 string or Unix time",
        body(record(created_at={"t": 1})),
    ),
    Case("created-at-bool", 422, "created_at: must be an ISO 8601 string or Unix time", body(record(created_at=True))),
    Case("record-null", 422, "requests[1]: must be an object, not NoneType", body(record(), None)),
    Case("record-list", 422, "requests[0]: must be an object, not list", body([record()])),
    Case("record-string", 422, "requests[0]: must be an object, not str", body("checkout GET /")),
    Case("requests-string", 422, "must be a list, not str", orjson.dumps({"requests": "[]"})),
    Case("requests-null", 422, 'no "requests"', orjson.dumps({"requests": None})),
    # Integers beyond 64 bits arrive as floats; a status must fit the SMALLINT column.
    Case("status-2**64", 422, "status: must be between -32768 and 32767", body(record(status=float(2**64)))),
    Case(
        "status-2**64-1",
        422,
        "status: must be between -32768 and 32767",
        with_raw_value("status", str(2**64 - 1).encode()),
    ),
    Case("status-huge-literal", 400, "number is infinity", with_raw_value("status", b"9" * 400)),
    # Deep nesting: orjson's depth limit, never a RecursionError.
    Case("nested-100k-top", 400, "depth limit exceeded", nested(100_000)),
    Case("nested-100k-field", 400, "depth limit exceeded", with_raw_value("context", nested(100_000))),
    Case("nested-objects", 400, "depth limit exceeded", b'{"a":' * 5000 + b"1" + b"}" * 5000),
    Case("nested-1000-in-field", 422, "context: must be a string, not list", with_raw_value("context", nested(1000))),
    # Sizes.
    Case("body-over-limit", 413, "the limit is 10485760", lambda: body(*[record(endpoint="/" + "e" * 400)] * 25_000)),
    Case(
        "gzip-over-limit-compressed",
        413,
        "the limit is",
        lambda: gzip.compress(
            orjson.dumps({"requests": [record()], "pad": bytes(range(256)).hex() * 60_000}), compresslevel=0
        ),
        headers={"HTTP_CONTENT_ENCODING": "gzip"},
    ),
    Case(
        "gzip-bomb-default-limit",
        413,
        "decompressed body is larger than",
        lambda: gzip.compress(b'{"requests": [' + b"0," * (60 * 1024 * 1024) + b"0]}", compresslevel=9),
        headers={"HTTP_CONTENT_ENCODING": "gzip"},
    ),
    Case("huge-content-length", 413, "the limit is", headers={"CONTENT_LENGTH": str(10**15)}),
    Case("too-many-records", 413, "the limit is 10000", lambda: body(*[record()] * 10_001)),
    # Encodings.
    Case("truncated-gzip", 400, "truncated", truncated_gzip, headers={"HTTP_CONTENT_ENCODING": "gzip"}),
    Case("gzip-header-plain-body", 400, "not valid gzip", headers={"HTTP_CONTENT_ENCODING": "gzip"}),
    Case(
        "deflate",
        415,
        "'deflate' is not supported",
        lambda: deflate(body(record())),
        headers={"HTTP_CONTENT_ENCODING": "deflate"},
    ),
    Case("brotli", 415, "'br' is not supported", headers={"HTTP_CONTENT_ENCODING": "br"}),
    Case(
        "double-gzip-header",
        415,
        "is not supported",
        lambda: gzip.compress(gzip.compress(body(record()))),
        headers={"HTTP_CONTENT_ENCODING": "gzip, gzip"},
    ),
    Case("latin-1-byte", 400, "not valid UTF-8", body(record(endpoint="/caf__")).replace(b"__", b"\xe9")),
    Case("invalid-utf8-ff", 400, "not valid UTF-8", body(record(consumer="a__b")).replace(b"__", b"\xff\xfe")),
    Case("overlong-utf8", 400, "not valid UTF-8", body(record(node="__")).replace(b"__", b"\xc0\xaf")),
    Case("encoded-surrogate", 400, "not valid UTF-8", body(record(context="__")).replace(b"__", b"\xed\xa0\x80")),
    Case("lone-surrogate-escape", 400, "surrogate", body(record(context="__")).replace(b"__", b"\\ud800")),
    Case("utf16-body", 400, "not valid JSON", body(record()).decode().encode("utf-16")),
    # Strings that are empty once control characters are gone.
    Case(
        "service-only-controls",
        403,
        "is '', but this key may only ingest for 'checkout'",
        body(record(service="\x00\x01\x1f")),
    ),
    # Timestamps far away.
    Case("year-9999", 422, "created_at: is in the future", body(record(created_at="9999-12-31T23:59:59Z"))),
    Case("year-1", 422, "created_at: is older than the raw retention", body(record(created_at="0001-01-01T00:00:00Z"))),
    Case(
        "year-9999-behind-utc",
        422,
        "created_at: is in the future",
        body(record(created_at="9999-12-31T23:59:59-23:59")),
    ),
    Case(
        "year-1-ahead-of-utc",
        422,
        "created_at: is older than the raw retention",
        body(record(created_at="0001-01-01T00:00:00+23:59")),
    ),
    Case("ten-minutes-ahead", 422, "in the future", lambda: body(record(created_at=ago(minutes=-10)))),
    Case("naive-far-past", 422, "older than the raw retention", body(record(created_at="1970-01-01T00:00:00"))),
    Case(
        "naive-just-past-retention",
        422,
        "older than the raw retention",
        lambda: body(record(created_at=(utc_now() - timedelta(hours=6, minutes=1)).replace(tzinfo=None).isoformat())),
    ),
    Case("offset-25h", 422, "not an ISO 8601 timestamp", body(record(created_at="2026-01-01T00:00:00+25:00"))),
    Case("epoch-string", 422, "older than the raw retention", body(record(created_at="1700000000"))),
    Case("timestamp-nul", 422, "not an ISO 8601 timestamp", body(record(created_at="2026-01-01\x00T00:00:00Z"))),
    # Batches.
    Case("empty-list-gzip", 422, "is empty", gzip=True, body=orjson.dumps({"requests": []})),
    Case("all-records-foreign", 403, "may only ingest for 'checkout'", body(record(service="billing"))),
    Case("foreign-case-variant", 403, "is 'Checkout'", body(record(service="Checkout"))),
    Case("unknown-service", 403, "is 'nope'", body(record(), record(), record(service="nope"))),
    Case("foreign-in-gzip", 403, "may only ingest", gzip=True, body=body(record(), record(service="billing"))),
    # Keys.
    Case("missing-key", 401, "credentials were not provided", key="none"),
    Case("empty-key", 401, "Unknown API key", key="empty"),
    Case("blank-key", 401, "Unknown API key", key="blank"),
    Case("huge-key", 401, "Unknown API key", key="huge"),
    Case("non-ascii-key", 401, "Unknown API key", key="latin-1"),
    Case("unknown-key", 401, "Unknown API key", key="unknown"),
    Case("revoked-key-gzip", 401, "revoked", key="revoked", gzip=True),
    Case("expired-key", 401, "expired", key="expired"),
    Case("expired-user-key", 401, "expired", key="expired-user"),
    Case("inactive-users-key", 401, "owner is inactive", key="inactive-user"),
    Case("user-key", 403, "needs a service API key", key="user"),
    Case(
        "bearer-instead-of-x-api-key",
        401,
        "credentials were not provided",
        key="none",
        headers={"HTTP_AUTHORIZATION": "Bearer malti_s_whatever"},
    ),
    # Content types and top-level shapes.
    Case("form-urlencoded", 415, "Unsupported media type", content_type="application/x-www-form-urlencoded"),
    Case("multipart", 415, "Unsupported media type", content_type="multipart/form-data; boundary=xyz"),
    Case("no-content-type", 415, "Unsupported media type", content_type=""),
    Case("json-api", 415, "Unsupported media type", content_type="application/vnd.api+json"),
    Case("empty-body", 422, 'no "requests"', b""),
    Case("whitespace-body", 400, "not valid JSON", b"  \n "),
    Case("top-level-string", 422, "must be a JSON object", b'"requests"'),
    Case("top-level-number", 422, "must be a JSON object", b"42"),
    Case("top-level-null", 422, "must be a JSON object", b"null"),
    Case("top-level-true", 422, "must be a JSON object", b"true"),
]


def send(api, keys, case: Case):
    headers = dict(case.headers)
    if case.gzip:
        headers["HTTP_CONTENT_ENCODING"] = "gzip"
    if not case.content_type:
        # DRF's test client always sends a content type; Django's sends what it is given.
        if keys[case.key] is not None:
            headers["HTTP_X_API_KEY"] = keys[case.key]
        return Client().generic("POST", INGEST, case.payload(), content_type=case.content_type, **headers)
    return post_batch(api, keys[case.key], None, raw_body=case.payload(), content_type=case.content_type, **headers)


@pytest.fixture
def other_tenant_service(db):
    return ServiceFactory(name="billing", tenant=TenantFactory(name="Globex"))


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_refused_clearly_and_stores_nothing(api, keys, other_tenant_service, case):
    response = send(api, keys, case)
    assert response.status_code == case.status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    detail = response.json()["detail"]
    assert case.fragment in detail, detail
    assert len(detail) < 2000, "the message names the problem without echoing the body"
    assert raw_count() == 0
    good = post_batch(api, keys["service"], [record()])
    assert good.status_code == 200, good.content
    assert raw_count() == 1


# Refused before, stored now: the original accepts them, and refusing one loses the whole batch.
ACCEPTED = [
    # (id, record changes, stored (column: value), values cut)
    ("response-time-float", {"response_time": 42.0}, {"response_time": 42}, 0),
    ("response-time-string", {"response_time": "42"}, {"response_time": 42}, 0),
    ("response-time-2**64", {"response_time": float(2**64)}, {"response_time": 2**31 - 1}, 1),
    ("response-time-2**63", {"response_time": 2**63 - 1}, {"response_time": 2**31 - 1}, 1),
    ("response-time--2**63", {"response_time": -(2**63)}, {"response_time": 0}, 1),
    ("consumer-bool", {"consumer": True}, {"consumer": "True"}, 0),
    ("context-number", {"context": 1.5}, {"context": "1.5"}, 0),
    ("method-only-controls", {"method": "\x00\x7f"}, {"method": ""}, 0),
    ("endpoint-only-controls", {"endpoint": "\x00\t\n "}, {"endpoint": ""}, 0),
    ("endpoint-control-padding-over-limit", {"endpoint": "\x00" + "e" * 501}, {"endpoint": "e" * 500}, 1),
    ("html-method", {"method": "<script>"}, {"method": "<SCRIPT>"}, 0),
    ("status-1xx-and-beyond-599", {"status": 999}, {"status": 999}, 0),
]


@pytest.mark.parametrize(("change", "stored", "cut"), [case[1:] for case in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_values_refused_before_are_stored_and_cuts_counted(api, keys, change, stored, cut):
    response = post_batch(api, keys["service"], [record(), record(**change)])
    assert response.status_code == 200, response.content
    assert (response.json()["count"], response.json()["truncated"]) == (2, cut)
    assert tuple(stored.values()) in raw_rows(", ".join(stored))


def test_the_deepest_json_orjson_accepts_in_an_unknown_field_is_stored_with_an_idempotency_key(api, keys):
    # Unknown fields are ignored; the Idempotency-Key digest must not choke on them
    # (orjson.dumps has a lower depth limit than orjson.loads).
    payload = with_raw_value("extra", nested(1000))[:-1] + b', "meta": ' + nested(500) + b"}"
    response = post_batch(api, keys["service"], None, raw_body=payload, HTTP_IDEMPOTENCY_KEY="deep-1")
    assert response.status_code == 200, response.content
    again = post_batch(api, keys["service"], None, raw_body=payload, HTTP_IDEMPOTENCY_KEY="deep-1")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert raw_count() == 1


def test_a_batch_exactly_at_the_record_limit_is_accepted(api, keys):
    assert post_batch(api, keys["service"], [record()] * 10_000).status_code == 200
    assert raw_count() == 10_000


def test_a_multi_member_gzip_body_is_read_whole(api, keys):
    # RFC 1952 allows several members; `cat a.gz b.gz` and some streaming compressors make them.
    payload = body(*[record(consumer=f"c{i}") for i in range(30)])
    half = len(payload) // 2
    members = gzip.compress(payload[:half]) + gzip.compress(payload[half:])
    response = post_batch(api, keys["service"], None, raw_body=members, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 200, response.content
    assert raw_count() == 30


def test_bytes_after_the_gzip_stream_are_refused(api, keys):
    response = post_batch(
        api, keys["service"], None, raw_body=gzip.compress(body(record())) + b"garbage", HTTP_CONTENT_ENCODING="gzip"
    )
    assert response.status_code == 400
    assert "gzip" in response.json()["detail"]
    assert raw_count() == 0


@pytest.mark.parametrize("name", STRING_FIELDS)
def test_nul_and_control_characters_are_stripped_from_every_string_field(api, keys, service, name):
    dirty = {
        "service": "\x00check\x1bout\x7f",
        "method": "\x00p\x08ost\x1f",
        "endpoint": "/a\x00b\x07c/\x9b{id}",
        "consumer": "web\x00-\x1b[31mapp\r\n",
        "node": "\tnode\x00-1\x85",
        "context": "ctx\x00\x1f\x7f\x80\x9f",
    }
    clean = {
        "service": service.telemetry_key,  # the cleaned name matches the key's service, stored by its key
        "method": "POST",
        "endpoint": "/abc/{id}",
        "consumer": "web-[31mapp",
        "node": "node-1",
        "context": "ctx",
    }
    response = post_batch(api, keys["service"], [record(**{name: dirty[name]})])
    assert response.status_code == 200, response.content
    (stored,) = raw_rows(name)[0]
    assert stored == clean[name]


MARKUP = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(document.cookie)>',
    "javascript:alert('x')",
    "{{7*7}}${7*7}<%= 7*7 %>",
    "'; DROP TABLE requests; --",
    "<svg/onload=fetch('//evil')>&amp;&#x3C;",
]


@pytest.mark.parametrize("markup", MARKUP)
def test_markup_in_every_free_text_field_is_stored_and_served_back_verbatim(api, markup):
    service = ServiceFactory(name=markup, tenant=TenantFactory(name="Markup"))
    from tests.factories import MembershipFactory, UserFactory, user_key

    reader = UserFactory(username="reader")
    MembershipFactory(user=reader, tenant=service.tenant)
    rec = record(
        service=markup,
        endpoint="/" + markup,
        consumer=markup,
        node=markup,
        context=markup,
        created_at=(utc_now() - timedelta(minutes=2)).isoformat(),
    )
    response = post_batch(api, service_key(service), [rec])
    assert response.status_code == 200, response.content
    assert response.json()["service"] == markup
    stored = (service.telemetry_key, "/" + markup, markup, markup, markup)
    assert raw_rows("service, endpoint, consumer, node, context") == [stored]
    values = api.get(
        "/api/v1/metrics/filters",
        {"start_time": (utc_now() - timedelta(minutes=30)).isoformat()},
        HTTP_X_API_KEY=user_key(reader),
    )
    assert values["Content-Type"] == "application/json"
    data = values.json()
    assert (data["services"], data["endpoints"], data["consumers"], data["nodes"], data["contexts"]) == (
        [markup],
        ["/" + markup],
        [markup],
        [markup],
        [markup],
    )


@pytest.mark.parametrize(
    "stamp",
    [
        lambda: (utc_now() - timedelta(minutes=5)).replace(tzinfo=None).isoformat(),
        lambda: (utc_now() - timedelta(minutes=5)).replace(tzinfo=None, microsecond=0).isoformat(timespec="seconds"),
        lambda: (utc_now() - timedelta(minutes=5)).replace(tzinfo=None).isoformat(sep=" ", timespec="milliseconds"),
    ],
    ids=["micro", "seconds", "space-millis"],
)
def test_naive_timestamps_are_taken_as_utc(api, keys, stamp):
    value = stamp()
    assert post_batch(api, keys["service"], [record(created_at=value)]).status_code == 200
    (stored,) = raw_rows("created_at")[0]
    from datetime import UTC, datetime

    assert stored == datetime.fromisoformat(value).replace(tzinfo=UTC)


def test_a_timestamp_just_inside_the_future_allowance_is_accepted(api, keys):
    assert post_batch(api, keys["service"], [record(created_at=ago(minutes=-4))]).status_code == 200
    assert raw_count() == 1


# --- limits before authentication, through gunicorn + uvicorn as in production ----------

LIVE_LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory, django_db_setup):
    with live_server(tmp_path_factory.mktemp("limits"), workers=1, MALTI_INGEST_MAX_BYTES=str(LIVE_LIMIT)) as server:
        yield server


def exchange(server, head: str, *parts: bytes, wait: float = 10.0) -> tuple[bytes, float]:
    """Send a request's head and some body bytes on a raw socket; the answer and how long it took."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait) as sock:
        started = time.monotonic()
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n")
        for part in parts:
            sock.sendall(part)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except TimeoutError:
            pass  # no answer, or one that left the connection open
        return answer, time.monotonic() - started


def request_head(path: str, *headers: str) -> str:
    return "\n".join([f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", *headers, ""])


@pytest.mark.slow
@pytest.mark.parametrize("path", [INGEST, "/api/v1/auth/login", "/health", "/no/such/route"])
def test_a_huge_declared_body_without_a_key_is_413_before_a_byte_of_it_is_read(limited_server, path):
    # 300 MB declared, 1 KB sent: an answer within seconds means the server read none of the rest.
    answer, seconds = exchange(limited_server, request_head(path, f"Content-Length: {300 * 1024 * 1024}"), b" " * 1024)
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 413 Request Entity Too Large", answer[:300]
    assert seconds < 5
    assert orjson.loads(rest.partition(b"\r\n\r\n")[2]) == {
        "detail": f"The request body is {300 * 1024 * 1024} bytes; the limit is {LIVE_LIMIT}."
    }


@pytest.mark.slow
def test_a_chunked_body_is_cut_off_with_413_as_soon_as_it_passes_the_limit(limited_server):
    chunk = b"4000\r\n" + b" " * 0x4000 + b"\r\n"  # 16 KB per chunk, and the body never ends
    answer, seconds = exchange(limited_server, request_head(INGEST, "Transfer-Encoding: chunked"), *[chunk] * 5)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:300]
    assert f"larger than {LIVE_LIMIT} bytes".encode() in answer
    assert seconds < 5


@pytest.mark.slow
def test_a_body_within_the_limit_still_reaches_authentication(limited_server):
    payload = body(record())
    answer, _ = exchange(
        limited_server, request_head(INGEST, f"Content-Length: {len(payload)}", "Connection: close"), payload
    )
    assert answer.startswith(b"HTTP/1.1 401 "), answer[:300]
