"""The original Malti's HTTP contract (muzy/malti), field by field and type by type, from a live server.

Each response is compared with a schema written down here: every field of the original
must be there with its JSON type; our additions (issue 13) must be there too; a few more
of ours may be; any other key is a failure, so no second vocabulary creeps back in.
The original's shapes are its pydantic models (app/models/telemetry.py), its auth test
(app/api/auth.py) and FastAPI's status codes.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.django_db

# --- a small schema language -------------------------------------------------------------

INT, NUMBER, STRING, BOOL = "integer", "number", "string", "boolean"
DATETIME = "UTC ISO 8601 string"
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|\+00:00)$")


@dataclass(frozen=True)
class Nullable:
    kind: object


@dataclass(frozen=True)
class ListOf:
    item: object


@dataclass(frozen=True)
class MapOf:
    """A JSON object with free keys matching `key`, each value of type `value` (status_breakdown)."""

    key: str
    value: object


@dataclass(frozen=True)
class Obj:
    original: dict  # the original's fields: all required
    additions: dict = field(default_factory=dict)  # ours, named by issue 13: required
    allowed: dict = field(default_factory=dict)  # ours, kept from before: optional


def _scalar_ok(value, kind) -> bool:
    if kind == INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == NUMBER:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == STRING:
        return isinstance(value, str)
    if kind == BOOL:
        return isinstance(value, bool)
    if kind == DATETIME:
        return isinstance(value, str) and bool(ISO_UTC.match(value))
    raise AssertionError(f"unknown kind {kind!r}")


def problems(value, spec, path="$") -> list[str]:
    """Every way `value` departs from `spec`, as 'path: what' lines."""
    if isinstance(spec, Nullable):
        return [] if value is None else problems(value, spec.kind, path)
    if value is None:
        return [f"{path}: null, expected {describe(spec)}"]
    if isinstance(spec, ListOf):
        if not isinstance(value, list):
            return [f"{path}: {type(value).__name__}, expected a list"]
        # Every item the same way wrong says it once.
        return list(dict.fromkeys(p for item in value for p in problems(item, spec.item, f"{path}[*]")))
    if isinstance(spec, MapOf):
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__}, expected an object"]
        found = [f"{path}: key {k!r} does not match {spec.key}" for k in value if not re.fullmatch(spec.key, k)]
        return found + [p for k, v in value.items() for p in problems(v, spec.value, f"{path}.{k}")]
    if isinstance(spec, Obj):
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__}, expected an object"]
        found = []
        required = {**spec.original, **spec.additions}
        for name in required:
            if name not in value:
                whose = "the original's" if name in spec.original else "issue 13's addition"
                found.append(f"{path}.{name}: missing ({whose})")
        for name, item in value.items():
            item_spec = required.get(name, spec.allowed.get(name))
            if item_spec is None:
                found.append(f"{path}.{name}: unexpected key (neither the original's nor a listed addition)")
            else:
                found += problems(item, item_spec, f"{path}.{name}")
        return found
    if not _scalar_ok(value, spec):
        return [f"{path}: {value!r} ({type(value).__name__}), expected {describe(spec)}"]
    return []


def describe(spec) -> str:
    return spec if isinstance(spec, str) else type(spec).__name__


def assert_matches(body, spec):
    found = problems(body, spec)
    assert not found, f"{len(found)} departures from the contract:\n" + "\n".join(found)


LATENCY = Nullable(NUMBER)  # milliseconds; null without requests
APDEX = Nullable(NUMBER)  # issue 16: 0..1 under each service's own target; null without requests

# --- the contract (issue 13, "What changes" 1 and 4) -----------------------------------------

TIME_POINT = Obj(
    original={
        "bucket": DATETIME,
        "total_requests": INT,
        "min_latency": LATENCY,
        "avg_latency": LATENCY,
        "p95_latency": LATENCY,
        "max_latency": LATENCY,
    },
    additions={
        "error_count": INT,
        "p50_latency": LATENCY,
        "p90_latency": LATENCY,
        "p99_latency": LATENCY,
        "percentiles_estimated": BOOL,  # issue 15: history imported from an original Malti's aggregates
    },
    allowed={"apdex": APDEX},
)
METRICS_SUMMARY = Obj(
    original={
        "total_requests": INT,
        "avg_latency": LATENCY,
        "min_latency": LATENCY,
        "p95_latency": LATENCY,
        "max_latency": LATENCY,
    },
    additions={
        "requests_per_minute": NUMBER,
        "p50_latency": LATENCY,
        "p90_latency": LATENCY,
        "p99_latency": LATENCY,
        "error_count": INT,
        "error_rate": NUMBER,
        "client_error_count": INT,
        "server_error_count": INT,
    },
    allowed={"apdex": APDEX},
)
ENDPOINT = Obj(
    original={
        "endpoint": STRING,
        "method": STRING,
        "service": STRING,
        "total_requests": INT,
        "error_count": INT,
        "error_rate": NUMBER,
    },
    additions={"avg_latency": LATENCY, "p95_latency": LATENCY},
    allowed={"apdex": APDEX},
)
STATUS_DISTRIBUTION = Obj(
    original={
        "service": STRING,
        "total_requests": INT,
        "success_2xx": INT,
        "warning_3xx": INT,
        "error_4xx_5xx": INT,
        "status_breakdown": MapOf(r"[1-5]\d\d", INT),
    }
)
CONSUMER = Obj(
    original={"consumer": STRING, "total_requests": INT, "error_count": INT, "error_rate": NUMBER},
    allowed={"success_count": INT, "avg_latency": LATENCY},
)
SERVICE_OVERVIEW = Obj(
    original={},
    additions={"service": STRING, "total_requests": INT, "error_count": INT, "error_rate": NUMBER},
    allowed={"avg_latency": LATENCY, "p95_latency": LATENCY, "apdex": APDEX},
)
SYSTEM_OVERVIEW = Obj(
    original={"total_requests": INT, "total_errors": INT, "error_rate": NUMBER, "avg_latency": LATENCY},
    additions={"services": ListOf(SERVICE_OVERVIEW)},
    allowed={"total_services": INT},
)
# Issue 19: the services' dimensions past their cardinality limit (empty unless one is).
CARDINALITY_LIMIT = Obj(
    original={},
    additions={
        "service": STRING,
        "dimension": STRING,
        "limit": INT,
        "since": DATETIME,
        "last_folded": DATETIME,
        "examples": ListOf(STRING),
        "advice": STRING,
    },
)
METRICS = Obj(
    original={
        "time_series": ListOf(TIME_POINT),
        "metrics_summary": METRICS_SUMMARY,
        "endpoints": ListOf(ENDPOINT),
        "status_distribution": ListOf(STATUS_DISTRIBUTION),
        "consumers": ListOf(CONSUMER),
        "system_overview": SYSTEM_OVERVIEW,
        "distinct_nodes": ListOf(STRING),
        "distinct_contexts": ListOf(STRING),
    },
    additions={"percentiles_estimated": BOOL, "cardinality_limits": ListOf(CARDINALITY_LIMIT)},
    allowed={"start_time": DATETIME, "end_time": DATETIME, "interval": STRING},
)
THRESHOLDS = Obj(
    original={
        # app/services/auth_service.py
        "error_rate_success_threshold": NUMBER,
        "error_rate_warning_threshold": NUMBER,
        "latency_success_threshold": NUMBER,
        "latency_warning_threshold": NUMBER,
        # the names the original's own suite (test/test_auth_test.py) reads
        "error_success_threshold": NUMBER,
        "error_warning_threshold": NUMBER,
    }
)
AUTH_TEST = Obj(
    original={
        "authenticated": BOOL,
        "user": Obj(
            original={"name": STRING, "type": STRING, "permissions": ListOf(STRING)},
            allowed={"auth": STRING, "tenants": ListOf(STRING), "roles": MapOf(r".+", STRING)},
        ),
        "thresholds": THRESHOLDS,
        "timestamp": STRING,
        "rate_limit_info": Obj(original={"endpoint": STRING, "limit": STRING, "description": STRING}),
    }
)
# The one place to change if the 200's count of cut values gets another name.
TRUNCATED = "truncated"
INGEST_OK = Obj(original={"message": STRING, "count": INT, "service": STRING}, additions={TRUNCATED: INT})
ERROR = Obj(original={"detail": STRING})
RECORD_ERROR = Obj(original={"detail": STRING}, additions={"index": INT, "field": Nullable(STRING)})

# --- what is sent ------------------------------------------------------------------------------

AGGREGATE, REALTIME, AUTH = "/api/v1/metrics/aggregate", "/api/v1/metrics/aggregate/realtime", "/api/v1/auth/test"
INGEST = "/api/v1/ingest"
ORDER, ORDERS = "/api/orders/{id}", "/api/orders"
# (method, endpoint, status, response_time, consumer, node, context), for compat-checkout.
CHECKOUT = [
    *[("GET", ORDER, 200, ms, "web-app", "node-1", "web") for ms in (10, 20, 30, 40)],
    ("GET", ORDER, 404, 5, "web-app", "node-2", None),
    ("GET", ORDER, 500, 100, "web-app", "node-2", None),
    ("POST", ORDERS, 201, 50, "mobile", "node-1", "app"),
    ("POST", ORDERS, 201, 60, "mobile", "node-1", "app"),
    ("POST", ORDERS, 301, 15, "mobile", "node-1", "app"),
    ("POST", ORDERS, 422, 8, "mobile", "node-1", "app"),
]
PAYMENTS = [("GET", "/pay", 200, 25, "web-app", "node-9", None)] * 2


def records(service, rows, at):
    keys = ("method", "endpoint", "status", "response_time", "consumer", "node", "context")
    return [{"service": service, **dict(zip(keys, row, strict=True)), "created_at": at.isoformat()} for row in rows]


@pytest.fixture(scope="module")
def sent(http, accounts, rollups_refreshed):
    """Twelve requests two minutes ago: ten for compat-checkout, two for compat-payments."""
    at = datetime.now(UTC) - timedelta(minutes=2)
    for service, rows, key in (
        ("compat-checkout", CHECKOUT, accounts.keys.checkout),
        ("compat-payments", PAYMENTS, accounts.keys.payments),
    ):
        response = http.post(INGEST, json={"requests": records(service, rows, at)}, headers={"X-API-Key": key})
        assert response.status_code == 200, response.text
    rollups_refreshed()
    return at


def last_hour(at):
    return {"start_time": (at - timedelta(minutes=50)).isoformat(), "end_time": (at + timedelta(minutes=5)).isoformat()}


def read(http, accounts, path, **params):
    response = http.get(path, params=params, headers={"X-API-Key": accounts.keys.user})
    assert response.status_code == 200, response.text
    return response.json()


# --- metrics -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [AGGREGATE, REALTIME])
def test_metrics_answer_every_field_of_the_original_with_its_type(http, accounts, sent, path):
    assert_matches(read(http, accounts, path, **last_hour(sent)), METRICS)


@pytest.mark.parametrize("path", [AGGREGATE, REALTIME])
def test_metrics_with_default_parameters_answer_the_same_shape(http, accounts, sent, path):
    assert_matches(read(http, accounts, path), METRICS)


@pytest.mark.parametrize("path", [AGGREGATE, REALTIME])
def test_a_range_without_traffic_answers_zeros_and_null_latencies_in_the_same_shape(http, accounts, sent, path):
    body = read(http, accounts, path, start_time="2026-01-01T00:00:00Z", end_time="2026-01-01T00:30:00Z")
    assert_matches(body, METRICS)
    assert body["metrics_summary"]["total_requests"] == 0
    assert body["metrics_summary"]["p95_latency"] is None
    assert body["endpoints"] == body["consumers"] == body["status_distribution"] == []
    assert all(point["total_requests"] == 0 and point["avg_latency"] is None for point in body["time_series"])


def test_time_series_buckets_are_utc_and_count_every_request(http, accounts, sent):
    body = read(http, accounts, AGGREGATE, interval="5min", **last_hour(sent))
    buckets = [datetime.fromisoformat(point["bucket"].replace("Z", "+00:00")) for point in body["time_series"]]
    assert buckets == sorted(buckets) and all(b.utcoffset() == timedelta(0) for b in buckets)
    assert all(b2 - b1 == timedelta(minutes=5) for b1, b2 in zip(buckets, buckets[1:], strict=False))
    assert sum(point["total_requests"] for point in body["time_series"]) == 12
    assert sum(point["error_count"] for point in body["time_series"]) == 3


@pytest.mark.parametrize("path", [AGGREGATE, REALTIME])
def test_the_figures_under_the_originals_names_are_what_was_sent(http, accounts, sent, path):
    body = read(http, accounts, path, service="compat-checkout", **last_hour(sent))
    summary = body["metrics_summary"]
    assert (summary["total_requests"], summary["min_latency"], summary["max_latency"]) == (10, 5, 100)
    assert summary["avg_latency"] == pytest.approx(33.8)
    assert (summary["error_count"], summary["client_error_count"], summary["server_error_count"]) == (3, 2, 1)
    assert summary["error_rate"] == pytest.approx(30.0)
    endpoints = {(e["method"], e["endpoint"]): e for e in body["endpoints"]}
    assert {k: (e["service"], e["total_requests"], e["error_count"]) for k, e in endpoints.items()} == {
        ("GET", ORDER): ("compat-checkout", 6, 2),
        ("POST", ORDERS): ("compat-checkout", 4, 1),
    }
    assert endpoints[("GET", ORDER)]["error_rate"] == pytest.approx(33.33, abs=0.01)
    consumers = {c["consumer"]: (c["total_requests"], c["error_count"], c["error_rate"]) for c in body["consumers"]}
    assert consumers == {"web-app": (6, 2, pytest.approx(33.33, abs=0.01)), "mobile": (4, 1, pytest.approx(25.0))}
    (checkout,) = body["status_distribution"]
    assert checkout == {
        "service": "compat-checkout",
        "total_requests": 10,
        "success_2xx": 6,
        "warning_3xx": 1,
        "error_4xx_5xx": 3,
        "status_breakdown": {"200": 4, "201": 2, "301": 1, "404": 1, "422": 1, "500": 1},
    }
    overview = body["system_overview"]
    assert (overview["total_requests"], overview["total_errors"]) == (10, 3)
    assert overview["error_rate"] == pytest.approx(30.0)
    assert body["distinct_nodes"] == ["node-1", "node-2"]
    assert body["distinct_contexts"] == ["app", "web"]


def test_status_distribution_has_one_object_per_service(http, accounts, sent):
    body = read(http, accounts, AGGREGATE, **last_hour(sent))
    by_service = {row["service"]: row for row in body["status_distribution"]}
    assert sorted(by_service) == ["compat-checkout", "compat-payments"]
    for row in by_service.values():
        assert sum(row["status_breakdown"].values()) == row["total_requests"]
        assert row["success_2xx"] + row["warning_3xx"] + row["error_4xx_5xx"] == row["total_requests"]
    assert by_service["compat-payments"]["status_breakdown"] == {"200": 2}
    assert sorted(s["service"] for s in body["system_overview"]["services"]) == ["compat-checkout", "compat-payments"]


# --- metrics: refusals, as the original's FastAPI answers them --------------------------------


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (AGGREGATE, {"interval": "invalid"}),
        (AGGREGATE, {"start_time": "yesterday"}),
        (AGGREGATE, {"end_time": "2026-13-45T00:00:00Z"}),
        (REALTIME, {"start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-01T01:30:00Z"}),
        (REALTIME, {"start_time": "not a time"}),
    ],
)
def test_parameters_that_fail_validation_are_a_422_with_a_detail(http, accounts, path, params):
    response = http.get(path, params=params, headers={"X-API-Key": accounts.keys.user})
    assert response.status_code == 422, response.text
    assert_matches(response.json(), Obj(original={"detail": STRING}, allowed={"index": INT, "field": Nullable(STRING)}))


# The rules between parameters that OpenAPI cannot express, and so schemathesis.toml lets the fuzzer
# see as a 422 for schema-valid requests: every such 422 must be one of these, and nothing else.
CROSS_PARAMETER_RULES = re.compile(
    r"start_time must be before end_time"
    r"|The realtime endpoint covers at most 60 minutes"
    r"|buckets over this range would be more than 5000 points"
)
FILTERS = "/api/v1/metrics/filters"
RECENTLY = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
ALONE = [
    *({"interval": level} for level in ("1min", "5min", "1hour", "1day")),
    {"start_time": (datetime.now(UTC) - timedelta(days=3)).isoformat()},
    {"start_time": RECENTLY},
    *({"end_time": end} for end in ("1970-01-01T00:00:00Z", "2026-01-01T12:00:00+05:30", "9999-12-31T23:59:59Z")),
    {"service": "compat-checkout"},
    {"service": "nobody's"},
    {"method": "get"},
    {"endpoint": "/a\u00a0b\u200b\u202e"},  # stored values may hold NBSP, zero-width and bidi characters
    {"consumer": "c" * 500},
    {"node": " "},
    {"context": "x"},
]


def ask(http, accounts, path, params):
    return http.get(path, params=params, headers={"X-API-Key": accounts.keys.user})


@pytest.mark.parametrize("path", [AGGREGATE, FILTERS])
@pytest.mark.parametrize("params", ALONE, ids=lambda p: "-".join(p))
def test_one_valid_parameter_alone_is_never_a_422(http, accounts, path, params):
    response = ask(http, accounts, path, params)
    assert response.status_code == 200, response.text


# Realtime takes only 1-minute buckets over at most the last hour.
REALTIME_ALONE = [p for p in ALONE if p.get("interval", "1min") == "1min" and p.get("start_time", RECENTLY) == RECENTLY]


@pytest.mark.parametrize("params", REALTIME_ALONE, ids=lambda p: "-".join(p))
def test_one_valid_parameter_alone_is_never_a_422_in_realtime(http, accounts, params):
    response = ask(http, accounts, REALTIME, params)
    assert response.status_code == 200, response.text


MIDNIGHT = datetime(2026, 1, 1, tzinfo=UTC)


def span(minutes, start=MIDNIGHT, **params):
    return {"start_time": start.isoformat(), "end_time": (start + timedelta(minutes=minutes)).isoformat(), **params}


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        # start_time not before end_time
        (AGGREGATE, span(1), 200),
        (AGGREGATE, span(0), 422),
        (FILTERS, span(-5), 422),
        (REALTIME, span(0), 422),
        # a realtime range over 60 minutes
        (REALTIME, span(60), 200),
        (REALTIME, span(61), 422),
        # more than 5,000 buckets for the interval (a whole-bucket range, so no widening)
        (AGGREGATE, span(5000, interval="1min"), 200),
        (AGGREGATE, span(5001, interval="1min"), 422),
        (FILTERS, span(5001, interval="1min"), 422),
        (AGGREGATE, span(5000 * 24 * 60, interval="1day"), 200),
        (AGGREGATE, span(5001 * 24 * 60, interval="1day"), 422),
    ],
)
def test_a_cross_parameter_422_is_given_exactly_at_its_documented_boundary(http, accounts, path, params, status):
    response = ask(http, accounts, path, params)
    assert response.status_code == status, response.text
    if status == 422:
        assert CROSS_PARAMETER_RULES.search(response.json()["detail"]), response.text


@pytest.mark.parametrize("path", [AGGREGATE, REALTIME, FILTERS])
@pytest.mark.parametrize("params", [{"interval": "2min"}, {"start_time": "soon"}, {"service": "a\x07b"}])
def test_a_schema_invalid_parameter_is_a_422_that_is_not_a_cross_parameter_rule(http, accounts, path, params):
    response = ask(http, accounts, path, params)
    assert response.status_code == 422, response.text
    assert not CROSS_PARAMETER_RULES.search(response.json()["detail"]), response.text


@pytest.mark.parametrize("path", [AGGREGATE, REALTIME, AUTH])
@pytest.mark.parametrize("key", [None, "", "invalid-key-12345"])
def test_reads_without_a_known_key_are_a_401(http, path, key):
    headers = {} if key is None else {"X-API-Key": key}
    response = http.get(path, headers=headers)
    assert response.status_code == 401, response.text
    assert_matches(response.json(), ERROR)


@pytest.mark.parametrize("path", [AGGREGATE, REALTIME, AUTH])
def test_reads_with_a_service_key_are_a_403(http, accounts, path):
    response = http.get(path, headers={"X-API-Key": accounts.keys.checkout})
    assert response.status_code == 403, response.text
    assert_matches(response.json(), ERROR)


# --- auth/test --------------------------------------------------------------------------------


def test_auth_test_answers_every_field_of_the_original_with_its_type(http, accounts):
    body = read(http, accounts, AUTH)
    assert_matches(body, AUTH_TEST)
    assert body["authenticated"] is True
    assert (body["user"]["name"], body["user"]["type"]) == ("compat-viewer", "user")
    # The original's user keys carry the "metrics" permission, and its suite checks for it.
    assert "metrics" in body["user"]["permissions"]
    assert body["rate_limit_info"]["endpoint"] == "auth_test"
    stamp = datetime.fromisoformat(body["timestamp"].replace("Z", "+00:00").replace("+00:00+00:00", "+00:00"))
    assert abs(stamp - datetime.now(UTC)) < timedelta(minutes=5)


def test_auth_test_thresholds_agree_under_both_names(http, accounts):
    thresholds = read(http, accounts, AUTH)["thresholds"]
    assert thresholds["error_success_threshold"] == thresholds["error_rate_success_threshold"]
    assert thresholds["error_warning_threshold"] == thresholds["error_rate_warning_threshold"]
    assert thresholds["error_rate_success_threshold"] <= thresholds["error_rate_warning_threshold"]
    assert thresholds["latency_success_threshold"] <= thresholds["latency_warning_threshold"]


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/auth/login/key", "/api/v1/auth/logout"])
def test_an_undeclared_method_on_the_login_routes_is_a_405(http, path):
    # Found by schemathesis over the whole schema: it was "403 CSRF Failed" for QUERY.
    response = http.request("QUERY", path, cookies={"sessionid": "x"})
    assert response.status_code == 405, response.text
    assert_matches(response.json(), ERROR)


# --- ingest -----------------------------------------------------------------------------------


def one_record(**overrides):
    record = {
        "service": "compat-payments",
        "method": "GET",
        "endpoint": "/ingest-contract",
        "status": 200,
        "response_time": 7,
        "consumer": "contract",
    }
    return {**record, **overrides}


def ingest(http, key, records):
    headers = {} if key is None else {"X-API-Key": key}
    return http.post(INGEST, json={"requests": records}, headers=headers)


def test_ingest_answers_200_with_message_count_and_service(http, accounts):
    response = ingest(http, accounts.keys.payments, [one_record(), one_record(status=503, node=None, context=None)])
    assert response.status_code == 200, response.text
    body = response.json()
    assert_matches(body, INGEST_OK)
    assert (body["count"], body["service"], body[TRUNCATED]) == (2, "compat-payments", 0)


def test_ingest_cuts_over_long_strings_to_500_characters_and_says_how_many(http, accounts, rollups_refreshed):
    long_endpoint = "/cut/" + "e" * 700
    long_context = "Very long context with lots of content that should be truncated. " * 60  # 3,900 characters
    batch = [
        one_record(endpoint=long_endpoint, context=long_context),
        one_record(endpoint="/cut/short", consumer="c" * 501, node="n" * 500),  # 500 is not cut
        one_record(endpoint="/cut/short"),
    ]
    response = ingest(http, accounts.keys.payments, batch)
    assert response.status_code == 200, "one long value must never cost the batch: " + response.text
    body = response.json()
    assert_matches(body, INGEST_OK)
    assert (body["count"], body[TRUNCATED]) == (3, 3)

    rollups_refreshed()
    read_back = read(http, accounts, AGGREGATE, service="compat-payments", endpoint=long_endpoint[:500])
    assert read_back["metrics_summary"]["total_requests"] == 1
    assert [e["endpoint"] for e in read_back["endpoints"]] == [long_endpoint[:500]]
    assert read_back["distinct_contexts"] == [long_context[:500].strip()] or read_back["distinct_contexts"] == [
        long_context[:500]
    ]
    consumers = read(http, accounts, AGGREGATE, service="compat-payments", endpoint="/cut/short")["consumers"]
    assert sorted(c["consumer"] for c in consumers) == ["c" * 500, "contract"]


@pytest.mark.parametrize(
    ("bad", "index", "field"),
    [
        ({"method": None}, 1, "method"),
        ({"status": "two hundred"}, 1, "status"),
        ({"response_time": True}, 1, "response_time"),
        ({"created_at": "not a time"}, 1, "created_at"),
        ({"endpoint": None}, 1, "endpoint"),
    ],
)
def test_an_invalid_record_is_a_422_naming_the_record_and_its_field(http, accounts, bad, index, field):
    record = {key: value for key, value in one_record(**bad).items() if value is not None}
    response = ingest(http, accounts.keys.payments, [one_record(), record])
    assert response.status_code == 422, response.text
    body = response.json()
    assert_matches(body, RECORD_ERROR)
    assert (body["index"], body["field"]) == (index, field)


@pytest.mark.parametrize("key", [None, "", "invalid-key-12345"])
def test_ingest_without_a_known_key_is_a_401(http, key):
    response = ingest(http, key, [one_record()])
    assert response.status_code == 401, response.text
    assert_matches(response.json(), ERROR)


def test_ingest_with_a_user_key_is_a_403(http, accounts):
    response = ingest(http, accounts.keys.user, [one_record()])
    assert response.status_code == 403, response.text
    assert_matches(response.json(), ERROR)


def test_a_record_for_another_service_is_a_403(http, accounts):
    response = ingest(http, accounts.keys.payments, [one_record(), one_record(service="compat-checkout")])
    assert response.status_code == 403, response.text
    assert_matches(response.json(), Obj(original={"detail": STRING}, allowed={"index": INT, "field": Nullable(STRING)}))
