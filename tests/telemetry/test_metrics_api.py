from datetime import timedelta

import pytest

from telemetry.models import Request
from telemetry.traffic import TrafficModel, as_rows
from tests.conftest import refresh_rollups, utc_now
from tests.factories import MembershipFactory, ServiceFactory, TenantFactory, UserFactory, user_key

pytestmark = pytest.mark.django_db

AGGREGATE = "/api/v1/metrics/aggregate"
REALTIME = "/api/v1/metrics/aggregate/realtime"


@pytest.fixture
def two_tenants(tenant, user):
    """Acme (alice) owns checkout; Globex (bob) owns billing; both have traffic."""
    ServiceFactory(name="checkout", tenant=tenant)
    globex = TenantFactory(name="Globex")
    ServiceFactory(name="billing", tenant=globex)
    bob = UserFactory(username="bob")
    MembershipFactory(user=bob, tenant=globex)
    now = utc_now()
    for name, count in (("checkout", 300), ("billing", 500)):
        model = TrafficModel(services=[name], endpoints_per_service=4, consumers=5, seed=len(name))
        Request.objects.ingest(as_rows(model.records(count, now - timedelta(hours=2), now - timedelta(minutes=1))))
    refresh_rollups()
    return bob


def get(api, path, key, **params):
    return api.get(path, params, HTTP_X_API_KEY=key)


def test_the_response_keeps_the_seed_shape(api, user_api_key, two_tenants):
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
        "p50_response_time",
        "p90_response_time",
        "p95_response_time",
        "p99_response_time",
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
    stamps = [point["timestamp"] for point in body["time_series"]]
    assert len(stamps) in (12, 13) and len(set(stamps)) == len(stamps)
    empty = [p for p in body["time_series"] if p["count"] == 0]
    assert empty, "hours before the traffic started are present with zero requests"
    assert all(p["avg_response_time"] is None and p["p95_response_time"] is None for p in empty)
    assert sum(p["count"] for p in body["time_series"]) == 300


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
def test_bad_parameters_are_a_clear_400(api, user_api_key, params, fragment):
    response = get(api, AGGREGATE, user_api_key, **params)
    assert response.status_code == 400
    assert fragment in response.json()["detail"]


def test_realtime_refuses_more_than_an_hour(api, user_api_key):
    now = utc_now()
    response = get(api, REALTIME, user_api_key, start_time=(now - timedelta(minutes=61)).isoformat())
    assert response.status_code == 400
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
    assert body["metrics_summary"]["p95_response_time"] is None
    assert len(body["time_series"]) == 288 and all(p["count"] == 0 for p in body["time_series"])
    assert body["endpoints"] == [] and body["consumers"] == []
