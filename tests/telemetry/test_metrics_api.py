from datetime import timedelta

import pytest

from telemetry.api.metrics_serializers import MetricsSerializer
from telemetry.metrics import build_response, filter_values, parse
from telemetry.models import Request
from telemetry.traffic import TrafficModel, as_rows
from tests.conftest import record, refresh_rollups, utc_now
from tests.factories import MembershipFactory, ServiceFactory, TenantFactory, UserFactory, user_key

pytestmark = pytest.mark.django_db

AGGREGATE = "/api/v1/metrics/aggregate"
REALTIME = "/api/v1/metrics/aggregate/realtime"


def stored_as(records, *services):
    """The records as ingest stores them: each named service under its telemetry key."""
    keys = {service.name: service.telemetry_key for service in services}
    return [{**r, "service": keys.get(r["service"], r["service"])} for r in records]


@pytest.fixture
def two_tenants(tenant, user):
    """Acme (alice) owns checkout; Globex (bob) owns billing; both have traffic."""
    globex = TenantFactory(name="Globex")
    services = (ServiceFactory(name="checkout", tenant=tenant), ServiceFactory(name="billing", tenant=globex))
    bob = UserFactory(username="bob")
    MembershipFactory(user=bob, tenant=globex)
    now = utc_now()
    for service, count in zip(services, (300, 500), strict=True):
        model = TrafficModel(services=[service.name], endpoints_per_service=4, consumers=5, seed=len(service.name))
        records = model.records(count, now - timedelta(hours=2), now - timedelta(minutes=1))
        Request.objects.ingest(as_rows(stored_as(records, service)))
    refresh_rollups()
    return bob


def get(api, path, key, **params):
    return api.get(path, params, HTTP_X_API_KEY=key)


def test_the_response_keeps_the_original_shape(api, user_api_key, two_tenants):
    body = get(api, AGGREGATE, user_api_key).json()
    for key in (
        "time_series",
        "metrics_summary",
        "endpoints",
        "status_distribution",
        "consumers",
        "system_overview",
        "distinct_nodes",
        "distinct_contexts",
    ):
        assert key in body
    summary = body["metrics_summary"]
    for key in (
        "avg_latency",
        "min_latency",
        "max_latency",
        "p50_latency",
        "p90_latency",
        "p95_latency",
        "p99_latency",
        "requests_per_minute",
        "client_error_count",
        "server_error_count",
        "error_rate",
    ):
        assert key in summary
    assert summary["error_count"] == summary["client_error_count"] + summary["server_error_count"]


def test_resolution_follows_the_range(api, user_api_key, two_tenants):
    now = utc_now()
    for hours, interval in ((1, "1min"), (24, "5min"), (24 * 7, "1hour"), (24 * 31, "1hour"), (24 * 365, "1day")):
        body = get(
            api,
            AGGREGATE,
            user_api_key,
            start_time=(now - timedelta(hours=hours)).isoformat(),
            end_time=now.isoformat(),
        ).json()
        assert body["interval"] == interval


def test_every_bucket_is_present_with_zero_for_empty_ones(api, user_api_key, two_tenants):
    now = utc_now()
    body = get(
        api,
        AGGREGATE,
        user_api_key,
        start_time=(now - timedelta(hours=12)).isoformat(),
        end_time=now.isoformat(),
        interval="1hour",
    ).json()
    stamps = [point["bucket"] for point in body["time_series"]]
    assert len(stamps) in (12, 13) and len(set(stamps)) == len(stamps)
    empty = [p for p in body["time_series"] if p["total_requests"] == 0]
    assert empty, "hours before the traffic started are present with zero requests"
    assert all(p["avg_latency"] is None and p["p95_latency"] is None for p in empty)
    assert sum(p["total_requests"] for p in body["time_series"]) == 300


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"interval": "2min"}, "Unknown interval"),
        ({"start_time": "2026-01-02T00:00:00Z", "end_time": "2026-01-01T00:00:00Z"}, "before end_time"),
        ({"start_time": "last tuesday"}, "ISO 8601"),
        ({"end_time": "2026-13-45"}, "ISO 8601"),
        ({"start_time": "2020-01-01T00:00:00Z", "interval": "1min"}, "1min buckets over this range would be more than"),
    ],
)
def test_bad_parameters_are_a_clear_422(api, user_api_key, params, fragment):
    response = get(api, AGGREGATE, user_api_key, **params)
    assert response.status_code == 422
    assert fragment in response.json()["detail"]


def test_realtime_refuses_more_than_an_hour(api, user_api_key):
    now = utc_now()
    response = get(api, REALTIME, user_api_key, start_time=(now - timedelta(minutes=61)).isoformat())
    assert response.status_code == 422
    assert "60 minutes" in response.json()["detail"]


def test_realtime_defaults_to_the_last_hour_in_minutes(api, user_api_key, two_tenants):
    body = get(api, REALTIME, user_api_key).json()
    assert body["interval"] == "1min"
    assert len(body["time_series"]) in (60, 61)


def test_a_user_sees_only_their_tenants_services(api, user_api_key, two_tenants):
    body = get(api, AGGREGATE, user_api_key).json()
    assert body["metrics_summary"]["total_requests"] == 300
    assert {s["service"] for s in body["system_overview"]["services"]} == {"checkout"}
    assert all(e["service"] == "checkout" for e in body["endpoints"])


@pytest.mark.parametrize("path", [AGGREGATE, REALTIME])
@pytest.mark.parametrize(
    "params",
    [
        {"service": "billing"},
        {"service": "billing", "node": "billing-node-1"},
        {"endpoint": "/api/orders"},
        {"consumer": "consumer-000"},
        {"context": "web"},
        {"method": "GET"},
    ],
)
def test_asking_for_another_tenants_data_returns_none_of_it(api, user_api_key, two_tenants, path, params):
    body = get(api, path, user_api_key, **params).json()
    assert all(e["service"] != "billing" for e in body["endpoints"])
    assert all(s["service"] != "billing" for s in body["system_overview"]["services"])
    assert all(s["service"] != "billing" for s in body["status_distribution"])
    assert not any(node.startswith("billing") for node in body["distinct_nodes"])
    if params.get("service") == "billing":
        assert body["metrics_summary"]["total_requests"] == 0


def test_filter_values_respect_tenants_and_other_filters(api, user_api_key, two_tenants):
    values = get(api, "/api/v1/metrics/filters", user_api_key).json()
    assert values["services"] == ["checkout"]
    assert all(node.startswith("checkout") for node in values["nodes"])
    only_get = get(api, "/api/v1/metrics/filters", user_api_key, method="GET").json()
    assert set(only_get["endpoints"]) <= set(values["endpoints"])
    assert set(only_get["methods"]) == set(values["methods"]), "a filter does not narrow its own list"
    foreign = get(api, "/api/v1/metrics/filters", user_api_key, service="billing").json()
    assert foreign["nodes"] == [] and foreign["endpoints"] == []


def test_services_lists_only_visible_ones(api, user_api_key, two_tenants):
    body = get(api, "/api/v1/services", user_api_key).json()
    assert [s["name"] for s in body["services"]] == ["checkout"]


def test_a_service_key_cannot_read_metrics(api, service_api_key):
    assert get(api, AGGREGATE, service_api_key).status_code == 403


def test_metrics_need_authentication(api):
    assert api.get(AGGREGATE).status_code in (401, 403)
    assert api.get(AGGREGATE, HTTP_X_API_KEY="nope").status_code == 401


def test_a_session_user_can_read_metrics(api, user, two_tenants):
    api.force_login(user)
    assert api.get(AGGREGATE).json()["metrics_summary"]["total_requests"] == 300


def test_the_other_tenant_sees_its_own_data(api, two_tenants):
    body = get(api, AGGREGATE, user_key(two_tenants)).json()
    assert body["metrics_summary"]["total_requests"] == 500


def test_a_range_without_data_is_empty_not_an_error(api, user_api_key, two_tenants):
    response = get(api, AGGREGATE, user_api_key, start_time="2026-01-01T00:00:00Z", end_time="2026-01-02T00:00:00Z")
    assert response.status_code == 200
    body = response.json()
    assert body["metrics_summary"]["total_requests"] == 0
    assert body["metrics_summary"]["p95_latency"] is None
    assert len(body["time_series"]) == 288 and all(p["total_requests"] == 0 for p in body["time_series"])
    assert body["endpoints"] == [] and body["consumers"] == []


def store(*records, services=()):
    """Records straight into the raw table (no ingest validation), `services` under their telemetry keys."""
    minute_ago = utc_now() - timedelta(minutes=2)
    records = [{**record(), **r, "created_at": minute_ago} for r in records]
    Request.objects.ingest(as_rows(stored_as(records, *services)))
    refresh_rollups()


def fields(serializer) -> set[str]:
    return set(serializer.fields)


def test_every_part_has_exactly_the_documented_fields(api, user_api_key, two_tenants):
    body = get(api, AGGREGATE, user_api_key).json()
    declared = MetricsSerializer()
    assert set(body) == fields(declared)
    parts = {
        "time_series": body["time_series"][0],
        "metrics_summary": body["metrics_summary"],
        "endpoints": body["endpoints"][0],
        "status_distribution": body["status_distribution"][0],
        "consumers": body["consumers"][0],
        "system_overview": body["system_overview"],
    }
    for name, part in parts.items():
        serializer = declared.fields[name]
        assert set(part) == fields(getattr(serializer, "child", serializer)), name
    assert set(body["system_overview"]["services"][0]) == fields(
        declared.fields["system_overview"].fields["services"].child
    )
    assert body["time_series"][0]["bucket"].endswith("Z")
    busy = next(p for p in body["time_series"] if p["total_requests"])
    assert all(isinstance(busy[f"{k}_latency"], float) for k in ("min", "avg", "p50", "p90", "p95", "p99", "max"))


def test_status_distribution_is_one_object_per_service_with_a_breakdown_summing_to_its_total(api, user_api_key, tenant):
    services = ServiceFactory(name="checkout", tenant=tenant), ServiceFactory(name="payments", tenant=tenant)
    statuses = {"checkout": [200, 200, 200, 301, 404, 404, 500, 101], "payments": [200, 401, 503]}
    store(
        *[{"service": name, "status": status} for name, codes in statuses.items() for status in codes],
        services=services,
    )
    body = get(api, AGGREGATE, user_api_key).json()
    assert body["status_distribution"] == [
        {
            "service": "checkout",
            "total_requests": 8,
            "success_2xx": 3,
            "warning_3xx": 1,
            "error_4xx_5xx": 3,
            "status_breakdown": {"101": 1, "200": 3, "301": 1, "404": 2, "500": 1},
        },
        {
            "service": "payments",
            "total_requests": 3,
            "success_2xx": 1,
            "warning_3xx": 0,
            "error_4xx_5xx": 2,
            "status_breakdown": {"200": 1, "401": 1, "503": 1},
        },
    ]
    assert body["system_overview"]["total_errors"] == 5, "401 is an error here (not in the original)"


INVISIBLE = {
    "consumer": "web\u00a0app",  # no-break space
    "endpoint": "/api/\u200borders",  # zero-width space
    "context": "\u202etxt.exe",  # right-to-left override
    "node": "node\u2066-1\u2069",  # bidi isolates
}


@pytest.mark.parametrize("path", [AGGREGATE, REALTIME])
def test_filters_with_invisible_and_bidi_characters_are_accepted_and_matched(api, user_api_key, service, path):
    store(record(**INVISIBLE), record(**INVISIBLE), record(), services=[service])
    values = get(api, "/api/v1/metrics/filters", user_api_key).json()
    for dim, value in INVISIBLE.items():
        assert value in values[f"{dim}s"]
        response = get(api, path, user_api_key, **{dim: value})
        assert response.status_code == 200, response.content
        assert response.json()["metrics_summary"]["total_requests"] == 2, dim
    assert get(api, path, user_api_key, **INVISIBLE).json()["metrics_summary"]["total_requests"] == 2


@pytest.mark.parametrize("path", [AGGREGATE, REALTIME, "/api/v1/metrics/filters"])
@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"consumer": "web\x00app"}, "control characters"),
        ({"endpoint": "/a\nb"}, "control characters"),
        ({"node": "node\x9b1"}, "control characters"),
        ({"context": "c" * 501}, "longer than 500"),
        ({"start_time": "yesterday"}, "ISO 8601"),
        ({"end_time": ""}, "ISO 8601"),
        ({"interval": "1year"}, "interval"),
    ],
)
def test_invalid_query_parameters_are_a_422_with_a_detail(api, user_api_key, path, params, fragment):
    response = get(api, path, user_api_key, **params)
    assert response.status_code == 422
    assert fragment in response.json()["detail"] and set(response.json()) == {"detail"}


def test_a_valid_timestamp_before_1970_asks_for_the_data_from_1970(api, user_api_key):
    response = get(api, AGGREGATE, user_api_key, start_time="1900-01-01T00:00:00Z", interval="1week")
    assert response.status_code == 200, response.content
    assert response.json()["start_time"] < "1970-01-08"


def test_a_filter_of_500_characters_is_accepted(api, user_api_key, service):
    assert get(api, AGGREGATE, user_api_key, context="c" * 500).status_code == 200


def test_the_service_filter_selects_every_stored_key_of_that_name_and_shows_names(tenant):
    """The seam for immutable service keys: rows carry a key, responses show its name."""
    store(
        *[{"service": "svc-1", "endpoint": "/a", "status": 200}] * 3,
        *[{"service": "svc-2", "endpoint": "/a", "status": 500}] * 2,
        *[{"service": "svc-3", "endpoint": "/b"}] * 4,
        {"service": "svc-foreign"},
    )
    visible = {"svc-1": "checkout", "svc-2": "checkout", "svc-3": "billing"}
    now = utc_now()
    body = build_response(parse({}, now), visible)
    assert body["metrics_summary"]["total_requests"] == 9
    assert [(s["service"], s["total_requests"], s["error_count"]) for s in body["system_overview"]["services"]] == [
        ("checkout", 5, 2),
        ("billing", 4, 0),
    ]
    assert [(e["service"], e["endpoint"], e["total_requests"]) for e in body["endpoints"]] == [
        ("checkout", "/a", 5),
        ("billing", "/b", 4),
    ]
    assert [(s["service"], s["status_breakdown"]) for s in body["status_distribution"]] == [
        ("checkout", {"200": 3, "500": 2}),
        ("billing", {"200": 4}),
    ]
    checkout = build_response(parse({"service": "checkout"}, now), visible)
    assert checkout["metrics_summary"]["total_requests"] == 5
    for name in ("svc-1", "svc-foreign", "nobody"):
        assert build_response(parse({"service": name}, now), visible)["metrics_summary"]["total_requests"] == 0
    assert filter_values(parse({}, now), visible)["services"] == ["billing", "checkout"]
    assert filter_values(parse({"service": "billing"}, now), visible)["endpoints"] == ["/b"]


@pytest.mark.parametrize("path", [AGGREGATE, REALTIME, "/api/v1/metrics/filters"])
def test_the_schema_declares_the_fields_the_interval_enum_and_every_error_answer(client, path):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"][path]["get"]
    assert set(operation["responses"]) == {"200", "401", "403", "422", "429", "503"}
    for code in ("401", "403", "422", "429", "503"):
        body = operation["responses"][code]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert schema["components"]["schemas"][body]["properties"].keys() == {"detail"}
    interval = next(p for p in operation["parameters"] if p["name"] == "interval")["schema"]
    levels = {"1min"} if path == REALTIME else {"1min", "5min", "1hour", "6hour", "1day", "1week"}
    assert set(interval["enum"]) == levels
    if path != "/api/v1/metrics/filters":
        assert "every request" in operation["description"]
        assert ("at most 60 minutes" in operation["description"]) == (path == REALTIME)
        point = schema["components"]["schemas"]["TimeSeriesPoint"]["properties"]
        assert point["bucket"]["format"] == "date-time"
        assert point["p95_latency"] == {**point["p95_latency"], "type": "number", "nullable": True}
