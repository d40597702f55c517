"""End to end: a service's history stays with it across renames and deletes, never with a namesake in another tenant.

Records carry the service's name; what the telemetry tables store is its
telemetry_key, so a new `api` in another tenant starts empty.
"""

from datetime import timedelta

import pytest

from accounts.models import Service
from tests.conftest import post_batch, record, refresh_rollups, utc_now
from tests.factories import MembershipFactory, ServiceFactory, TenantFactory, UserFactory, service_key, user_key

pytestmark = pytest.mark.django_db

AGGREGATE = "/api/v1/metrics/aggregate"


def ingest(api, service: Service, count: int):
    records = [
        record(service=service.name, created_at=(utc_now() - timedelta(minutes=3 + i)).isoformat())
        for i in range(count)
    ]
    response = post_batch(api, service_key(service), records)
    assert response.status_code == 200, response.content


def total_requests(api, user) -> int:
    response = api.get(AGGREGATE, HTTP_X_API_KEY=user_key(user))
    assert response.status_code == 200, response.content
    return response.json()["metrics_summary"]["total_requests"]


def member_of(tenant, username):
    user = UserFactory(username=username)
    MembershipFactory(user=user, tenant=tenant)
    return user


@pytest.mark.parametrize("then", ["deleted", "renamed"])
def test_a_new_namesake_in_another_tenant_sees_only_its_own_records(api, then):
    acme, globex = TenantFactory(name="Acme"), TenantFactory(name="Globex")
    alice, bob = member_of(acme, "alice"), member_of(globex, "bob")
    old = ServiceFactory(name="api", tenant=acme)
    ingest(api, old, 2)
    if then == "deleted":
        old.delete()
    else:
        old.name = "api-legacy"
        old.save()
    ingest(api, ServiceFactory(name="api", tenant=globex), 1)
    refresh_rollups()

    assert total_requests(api, bob) == 1
    # A rename keeps the history with the service; a delete takes it out of everyone's sight.
    assert total_requests(api, alice) == (0 if then == "deleted" else 2)
