"""The cardinality guard: limits per service fold the excess into (other), raw rows keep what was sent."""

import threading
from datetime import datetime, timedelta

import pytest
from django.db import connection, connections, transaction

from telemetry.cardinality import guard, normalise_path
from telemetry.models import AdmittedValue, CardinalityLimits, CardinalityOverflow, Request
from telemetry.models.cardinality import OTHER
from telemetry.traffic import as_rows
from tests.conftest import post_batch, record, refresh_rollups, utc_now
from tests.factories import ServiceFactory, service_key

pytestmark = pytest.mark.django_db

AGGREGATE = "/api/v1/metrics/aggregate"


def records_to(endpoints=("/a",), consumers=("web",), service="checkout", **fields):
    now = utc_now()
    return [
        record(
            service=service,
            endpoint=endpoint,
            consumer=consumer,
            created_at=(now - timedelta(seconds=index)).isoformat(),
            **fields,
        )
        for index, (endpoint, consumer) in enumerate((e, c) for e in endpoints for c in consumers)
    ]


def send(api, key, records):
    response = post_batch(api, key, records)
    assert response.status_code == 200, response.content


def metrics(api, user_api_key, **params):
    response = api.get(AGGREGATE, params, HTTP_X_API_KEY=user_api_key)
    assert response.status_code == 200, response.content
    return response.json()


def endpoint_counts(body) -> dict[str, int]:
    return {row["endpoint"]: row["total_requests"] for row in body["endpoints"]}


def raw_sent(column: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column}, {column}_original FROM requests ORDER BY {column}_original, {column}")
        return cursor.fetchall()


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("/users/123/orders", "/users/{id}/orders"),
        ("/orders/9f1c2e4a-1b2c-4d5e-8f90-a1b2c3d4e5f6", "/orders/{id}"),
        ("/blobs/5f2b8c0e9a7d4b3c1e6f", "/blobs/{id}"),
        ("/share/aB3dE5fG7hJ9kL1mN2pQ", "/share/{id}"),
        ("/api/v2/users/{id}", "/api/v2/users/{id}"),
        ("/api/v1/user_preferences_2024", "/api/v1/user_preferences_2024"),
        ("/health", "/health"),
        ("/reports/2024/summary", "/reports/{id}/summary"),
    ],
)
def test_normalisation_turns_id_like_segments_into_a_placeholder(sent, stored):
    assert normalise_path(sent) == stored


def test_endpoints_past_the_limit_are_counted_under_other_and_raw_rows_keep_them(
    api, service, service_api_key, user_api_key
):
    CardinalityLimits.objects.create(service=service, endpoint_limit=3)
    endpoints = [f"/route-{name}" for name in "abcde"]
    send(api, service_api_key, records_to(endpoints, consumers=("web", "app")))
    refresh_rollups()

    body = metrics(api, user_api_key)
    assert body["metrics_summary"]["total_requests"] == 10  # counts stay exact
    assert endpoint_counts(body) == {"/route-a": 2, "/route-b": 2, "/route-c": 2, OTHER: 4}
    assert raw_sent("endpoint") == [
        ("(other)", "/route-d"),
        ("(other)", "/route-d"),
        ("(other)", "/route-e"),
        ("(other)", "/route-e"),
        *[(endpoint, None) for endpoint in ("/route-a",) * 2 + ("/route-b",) * 2 + ("/route-c",) * 2],
    ]
    (hit,) = body["cardinality_limits"]
    assert hit["service"] == "checkout"
    assert hit["dimension"] == "endpoint"
    assert hit["limit"] == 3
    assert hit["examples"] == ["/route-d", "/route-e"]
    assert "route templates" in hit["advice"]

    # Admitted values stay admitted; a value already folded stays folded while the limit is full.
    send(api, service_api_key, records_to(["/route-a", "/route-f"]))
    refresh_rollups()
    assert endpoint_counts(metrics(api, user_api_key)) == {"/route-a": 3, "/route-b": 2, "/route-c": 2, OTHER: 5}


def test_the_request_explorer_shows_what_was_sent(api, service, service_api_key, user_api_key):
    CardinalityLimits.objects.create(service=service, consumer_limit=1)
    send(api, service_api_key, records_to(["/users/42"], consumers=("alpha", "beta")))
    response = api.get("/api/v1/requests", {"service": "checkout"}, HTTP_X_API_KEY=user_api_key)
    assert response.status_code == 200, response.content
    assert sorted((row["endpoint"], row["consumer"]) for row in response.json()["requests"]) == [
        ("/users/42", "alpha"),
        ("/users/42", "beta"),
    ]
    refresh_rollups()
    body = metrics(api, user_api_key)
    assert endpoint_counts(body) == {"/users/{id}": 2}
    assert {row["consumer"]: row["total_requests"] for row in body["consumers"]} == {"alpha": 1, OTHER: 1}


def test_consumers_nodes_and_contexts_have_limits_too(api, service, service_api_key, user_api_key):
    CardinalityLimits.objects.create(service=service, consumer_limit=2, node_limit=1, context_limit=1)
    now = utc_now()
    send(
        api,
        service_api_key,
        [
            record(consumer=f"user-{index}", node=f"pod-{index}", context=f"tenant-{index}", created_at=now.isoformat())
            for index in range(4)
        ],
    )
    refresh_rollups()
    body = metrics(api, user_api_key)
    assert sorted(body["distinct_nodes"]) == sorted(["pod-0", OTHER])
    assert sorted(body["distinct_contexts"]) == sorted(["tenant-0", OTHER])
    assert {row["consumer"]: row["total_requests"] for row in body["consumers"]} == {
        "user-0": 1,
        "user-1": 1,
        OTHER: 2,
    }
    assert [hit["dimension"] for hit in body["cardinality_limits"]] == ["consumer", "context", "node"]


def test_a_service_over_its_limit_leaves_the_others_of_its_tenant_alone(
    api, tenant, service, service_api_key, user_api_key
):
    CardinalityLimits.objects.create(service=service, endpoint_limit=1)
    other = ServiceFactory(name="billing", tenant=tenant)
    send(api, service_api_key, records_to(["/a", "/b", "/c"]))
    send(api, service_key(other), records_to(["/a", "/b", "/c"], service="billing"))
    refresh_rollups()
    assert endpoint_counts(metrics(api, user_api_key, service="billing")) == {"/a": 1, "/b": 1, "/c": 1}
    body = metrics(api, user_api_key, service="checkout")
    assert endpoint_counts(body) == {"/a": 1, OTHER: 2}
    assert [hit["service"] for hit in metrics(api, user_api_key)["cardinality_limits"]] == ["checkout"]


def test_the_limit_slides_with_the_day(api, service, service_api_key, user_api_key):
    CardinalityLimits.objects.create(service=service, endpoint_limit=2)
    send(api, service_api_key, records_to(["/a", "/b"]))
    # A day later /a and /b have not been seen since: they no longer count.
    AdmittedValue.objects.filter(service_key=service.telemetry_key).update(
        last_seen=utc_now() - timedelta(days=1, minutes=1)
    )
    send(api, service_api_key, records_to(["/c", "/d"]))
    refresh_rollups()
    assert endpoint_counts(metrics(api, user_api_key)) == {"/a": 1, "/b": 1, "/c": 1, "/d": 1}
    assert metrics(api, user_api_key)["cardinality_limits"] == []


def test_raising_a_limit_admits_new_values(api, service, service_api_key, user_api_key):
    limits = CardinalityLimits.objects.create(service=service, endpoint_limit=1)
    send(api, service_api_key, records_to(["/a", "/b"]))
    limits.endpoint_limit = 10
    limits.save()
    guard.forget()  # a minute later: every process reads its services' limits again
    send(api, service_api_key, records_to(["/c"]))
    refresh_rollups()
    assert endpoint_counts(metrics(api, user_api_key)) == {"/a": 1, "/c": 1, OTHER: 1}


def test_normalisation_can_be_turned_off_per_service(api, service, service_api_key, user_api_key):
    CardinalityLimits.objects.create(service=service, normalise_paths=False)
    send(api, service_api_key, records_to(["/users/1", "/users/2"]))
    refresh_rollups()
    assert endpoint_counts(metrics(api, user_api_key)) == {"/users/1": 1, "/users/2": 1}
    assert raw_sent("endpoint") == [("/users/1", None), ("/users/2", None)]


def test_the_guard_can_be_turned_off(api, service, service_api_key, user_api_key, settings):
    settings.MALTI_CARDINALITY_GUARD = False
    CardinalityLimits.objects.create(service=service, endpoint_limit=1)
    send(api, service_api_key, records_to(["/users/1", "/users/2"]))
    refresh_rollups()
    assert endpoint_counts(metrics(api, user_api_key)) == {"/users/1": 1, "/users/2": 1}
    assert not CardinalityOverflow.objects.filter(service_key=service.telemetry_key).exists()


def rows_of(records) -> list[tuple]:
    return as_rows([{**r, "created_at": datetime.fromisoformat(r["created_at"])} for r in records])


def test_a_batch_that_is_not_stored_admits_nothing(service):
    CardinalityLimits.objects.create(service=service, endpoint_limit=1)
    with pytest.raises(RuntimeError), transaction.atomic():
        Request.objects.ingest(rows_of(records_to(["/a", "/b"], service=service.telemetry_key)))
        assert AdmittedValue.objects.filter(service_key=service.telemetry_key, dimension="endpoint").count() == 1
        raise RuntimeError("the batch's transaction rolls back")
    assert not AdmittedValue.objects.filter(service_key=service.telemetry_key).exists()
    assert not CardinalityOverflow.objects.filter(service_key=service.telemetry_key).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_never_admit_past_the_limit(tenant):
    service = ServiceFactory(name="racing", tenant=tenant)
    CardinalityLimits.objects.create(service=service, endpoint_limit=10)
    start = threading.Barrier(4)

    def ingest(worker: int):
        try:
            start.wait()
            records = records_to([f"/w{worker}-{index}" for index in range(8)], service=service.telemetry_key)
            Request.objects.ingest(rows_of(records))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ingest, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert AdmittedValue.objects.filter(service_key=service.telemetry_key, dimension="endpoint").count() == 10
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), count(*) FILTER (WHERE endpoint = %s) FROM requests", [OTHER])
        assert cursor.fetchone() == (32, 22)


def test_the_service_admin_page_shows_the_limits_hit_and_raises_a_limit(client, api, service, service_api_key):
    from django.contrib.auth import get_user_model

    CardinalityLimits.objects.create(service=service, endpoint_limit=1)
    send(api, service_api_key, records_to(["/a", "/b", "/c"]))
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests-only")
    client.force_login(admin)
    page_url = f"/admin/accounts/service/{service.pk}/change/"
    page = client.get(page_url).content.decode()
    assert "Limits hit in the last day" in page
    assert "<strong>endpoint</strong>" in page and "/b, /c" in page and "route templates" in page

    limits = CardinalityLimits.objects.get(service=service)
    form = {
        "name": service.name,
        "tenant": service.tenant.pk,
        "is_active": "on",
        "objectives-TOTAL_FORMS": "0",
        "objectives-INITIAL_FORMS": "0",
        "cardinality-TOTAL_FORMS": "1",
        "cardinality-INITIAL_FORMS": "1",
        "cardinality-0-id": limits.pk,
        "cardinality-0-service": service.pk,
        "cardinality-0-endpoint_limit": "5000",
        "cardinality-0-consumer_limit": "10000",
        "cardinality-0-node_limit": "1000",
        "cardinality-0-context_limit": "1000",
        "cardinality-0-normalise_paths": "on",
    }
    assert client.post(page_url, form).status_code == 302
    assert CardinalityLimits.objects.get(service=service).endpoint_limit == 5000
