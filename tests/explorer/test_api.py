"""GET /api/v1/requests: tenant scope, filters, flags, CSV, and a total that agrees with the metrics API."""

import csv
import io
from datetime import timedelta

import pytest

from explorer.models import SamplingPolicy
from telemetry.models import Request
from telemetry.traffic import TrafficModel, as_rows
from tests.conftest import post_batch, refresh_rollups, utc_now
from tests.explorer.conftest import REQUESTS, get_page, sampled, tagged
from tests.factories import MembershipFactory, ServiceFactory, TenantFactory, UserFactory, service_key, user_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def globex(api):
    """Another tenant with its own `checkout` and a record in it; returns bob's user key."""
    tenant = TenantFactory(name="Globex")
    theirs = ServiceFactory(name="checkout", tenant=tenant)
    other = ServiceFactory(name="billing", tenant=tenant)
    bob = UserFactory(username="bob")
    MembershipFactory(user=bob, tenant=tenant)
    assert post_batch(api, service_key(theirs), [tagged(900, status=503)]).status_code == 200
    assert post_batch(api, service_key(other), [{**tagged(901), "service": "billing"}]).status_code == 200
    sampled(theirs, 902, timedelta(hours=9), status=503)
    return user_key(bob)


def test_a_user_sees_only_their_tenants_records_even_by_a_shared_name(api, service_api_key, user_api_key, globex):
    assert post_batch(api, service_api_key, [tagged(1), tagged(2, status=503)]).status_code == 200
    mine = get_page(api, user_api_key, start_time=(utc_now() - timedelta(hours=10)).isoformat())
    assert sorted(r["context"] for r in mine["requests"]) == ["r1", "r2"]
    assert get_page(api, user_api_key, service="billing")["requests"] == []
    assert get_page(api, user_api_key, service="billing")["total"] == 0
    theirs = get_page(api, globex, service="checkout", start_time=(utc_now() - timedelta(hours=10)).isoformat())
    assert sorted(r["context"] for r in theirs["requests"]) == ["r900", "s902"]


def test_service_keys_and_strangers_are_refused(api, service_api_key):
    assert api.get(REQUESTS, HTTP_X_API_KEY=service_api_key).status_code == 403
    assert api.get(REQUESTS).status_code == 401


def test_filters_narrow_the_records(api, service_api_key, user_api_key):
    records = [
        tagged(0, status=503, response_time=900),
        tagged(1, status=404, response_time=100, endpoint="/b"),
        tagged(2, status=200, response_time=1500, method="POST"),
        tagged(3, status=302, response_time=5, consumer="cli", node="node-2"),
    ]
    assert post_batch(api, service_api_key, records).status_code == 200

    def found(**params):
        return sorted(r["context"] for r in get_page(api, user_api_key, **params)["requests"])

    assert found(status_class="5xx") == ["r0"]
    assert found(status_class="error") == ["r0", "r1"]
    assert found(status=404) == ["r1"] and found(endpoint="/b") == ["r1"]
    assert found(min_latency=900) == ["r0", "r2"] and found(method="post") == ["r2"]
    assert found(consumer="cli") == found(node="node-2") == found(status_class="3xx") == ["r3"]
    assert found(min_latency=900, status_class="2xx") == ["r2"]


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "random"},
        {"status_class": "6xx"},
        {"limit": 0},
        {"limit": 1001},
        {"min_latency": -1},
        {"status": "abc"},
        {"start_time": "yesterday"},
        {"start_time": "2026-12-02T10:00:00Z", "end_time": "2026-12-02T09:00:00Z"},
        {"format": "xml"},
    ],
)
def test_invalid_parameters_are_a_422_in_json(api, user_api_key, params):
    response = api.get(REQUESTS, params, HTTP_X_API_KEY=user_api_key)
    assert response.status_code == 422 and response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_the_answer_says_where_its_records_come_from(api, service, service_api_key, user_api_key):
    SamplingPolicy.objects.create(service=service, share=0, slow_threshold_ms=10**6)
    assert post_batch(api, service_api_key, [tagged(1), tagged(2, status=500)]).status_code == 200
    sampled(service, 3, timedelta(hours=8), status=502)
    now = utc_now()

    raw = get_page(api, user_api_key)
    assert (raw["source"], raw["sampled"], raw["sample_note"], raw["total"]) == ("raw", False, None, 2)
    old = get_page(
        api,
        user_api_key,
        start_time=(now - timedelta(hours=9)).isoformat(),
        end_time=(now - timedelta(hours=7)).isoformat(),
    )
    assert (old["source"], old["sampled"], old["total"]) == ("sample", True, None)
    assert [r["context"] for r in old["requests"]] == ["s3"] and "1 %" in old["sample_note"]
    both = get_page(api, user_api_key, start_time=(now - timedelta(hours=9)).isoformat())
    assert [(r["context"], r["source"]) for r in both["requests"]] == [("r2", "raw"), ("r1", "raw"), ("s3", "sample")]
    assert (both["source"], both["sampled"]) == ("mixed", True)


def test_csv_has_a_header_and_the_pages_rows_with_the_next_cursor_in_a_header(api, service_api_key, user_api_key):
    records = [tagged(n, created_at=(utc_now() - timedelta(seconds=n)).isoformat()) for n in range(5)]
    records[0]["context"] = 'quoted, "comma"'
    assert post_batch(api, service_api_key, records).status_code == 200
    response = api.get(REQUESTS, {"format": "csv", "limit": 3}, HTTP_X_API_KEY=user_api_key)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["context"] for row in rows] == ['quoted, "comma"', "r1", "r2"]
    assert rows[0]["service"] == "checkout" and rows[0]["source"] == "raw" and rows[0]["status"] == "200"
    following = api.get(
        REQUESTS, {"limit": 3, "cursor": response["X-Next-Cursor"]}, HTTP_X_API_KEY=user_api_key, HTTP_ACCEPT="text/csv"
    )
    assert [row["context"] for row in csv.DictReader(io.StringIO(following.content.decode()))] == ["r3", "r4"]
    assert "X-Next-Cursor" not in following


@pytest.mark.parametrize(
    "filters",
    [{}, {"endpoint": "/api/orders"}, {"consumer": "consumer-1", "method": "GET"}],
)
def test_the_total_equals_the_metrics_total_requests_for_the_same_filters_and_range(
    api, service, user_api_key, filters
):
    now = utc_now().replace(second=0, microsecond=0)
    start, end = now - timedelta(minutes=50), now - timedelta(minutes=5)
    model = TrafficModel(services=[service.name], endpoints_per_service=4, consumers=5, seed=3)
    records = model.records(3000, start - timedelta(minutes=10), end + timedelta(minutes=4))
    Request.objects.ingest(as_rows([{**r, "service": service.telemetry_key} for r in records]))
    refresh_rollups()
    if "endpoint" in filters:
        filters = {"endpoint": records[0]["endpoint"]}
    if "consumer" in filters:
        filters = {"consumer": records[0]["consumer"], "method": records[0]["method"]}
    span = {"start_time": start.isoformat(), "end_time": end.isoformat()}
    metrics = api.get("/api/v1/metrics/aggregate", {**span, **filters}, HTTP_X_API_KEY=user_api_key).json()
    explored = get_page(api, user_api_key, **span, **filters)
    errors = get_page(api, user_api_key, **span, **filters, status_class="error")
    assert explored["total"] == metrics["metrics_summary"]["total_requests"] > 0
    assert errors["total"] == metrics["metrics_summary"]["error_count"]
    in_range = [r for r in records if start <= r["created_at"] < end and filters.items() <= r.items()]
    assert explored["total"] == len(in_range)
