"""GET /api/v1/objectives and PATCH /api/v1/objectives/{service}: tenant-scoped, admins change."""

from datetime import timedelta

import pytest

from accounts.models import Membership
from objectives.models import ServiceObjectives
from tests.factories import MembershipFactory, ServiceFactory, TenantFactory, UserFactory, service_key, user_key
from tests.objectives.conftest import send

pytestmark = pytest.mark.django_db

LIST = "/api/v1/objectives"


@pytest.fixture
def two_tenants(tenant, service, now):
    """Acme (alice) owns checkout; Globex (bob, an admin) owns billing; both have traffic."""
    globex = TenantFactory(name="Globex")
    billing = ServiceFactory(name="billing", tenant=globex)
    bob = UserFactory(username="bob")
    MembershipFactory(user=bob, tenant=globex, role=Membership.Role.ADMIN)
    send(service, [100] * 10, now - timedelta(minutes=10))
    send(billing, [100] * 20, now - timedelta(minutes=10), status=500)
    return billing, bob


def patch(api, key, service, body, **params):
    query = "".join(f"?{name}={value}" for name, value in params.items())
    return api.patch(f"{LIST}/{service}{query}", body, format="json", HTTP_X_API_KEY=key)


def test_each_user_sees_only_their_tenants_services(api, user_api_key, two_tenants):
    billing, bob = two_tenants
    mine = api.get(LIST, HTTP_X_API_KEY=user_api_key).json()["objectives"]
    assert [(o["service"], o["tenant"], o["total_requests"]) for o in mine] == [("checkout", "Acme", 10)]
    assert mine[0]["availability"]["budget_left"] == 1.0
    theirs = api.get(LIST, HTTP_X_API_KEY=user_key(bob)).json()["objectives"]
    assert [(o["service"], o["total_requests"]) for o in theirs] == [("billing", 20)]
    assert theirs[0]["availability"]["compliance"] == 0.0
    assert {(a["objective"], a["speed"]) for a in theirs[0]["alerts"]} == {("availability", "slow")}


def test_a_tenant_admin_changes_the_objectives(api, user, tenant, user_api_key, two_tenants):
    Membership.objects.filter(user=user, tenant=tenant).update(role=Membership.Role.ADMIN)
    body = {"apdex_t_ms": 50, "availability_objective": "99.5", "latency_threshold_ms": 80}
    response = patch(api, user_api_key, "checkout", body)
    assert response.status_code == 200, response.json()
    answer = response.json()
    assert (answer["apdex_t_ms"], answer["availability"]["objective"], answer["latency"]["threshold_ms"]) == (
        50,
        99.5,
        80,
    )
    # 100 ms is now tolerating (T 50) and slow (threshold 80).
    assert answer["apdex"] == 0.5 and answer["latency"]["compliance"] == 0.0
    metrics = api.get("/api/v1/metrics/aggregate", HTTP_X_API_KEY=user_api_key).json()
    assert metrics["metrics_summary"]["apdex"] == 0.5
    stored = ServiceObjectives.objects.get(service__name="checkout")
    assert (stored.apdex_t_ms, stored.latency_objective) == (50, 99)


def test_a_viewer_cannot_change_them(api, user_api_key, two_tenants):
    response = patch(api, user_api_key, "checkout", {"apdex_t_ms": 50})
    assert response.status_code == 403
    assert not ServiceObjectives.objects.exists()


def test_another_tenants_service_is_not_found(api, user, tenant, user_api_key, two_tenants):
    Membership.objects.filter(user=user, tenant=tenant).update(role=Membership.Role.ADMIN)
    assert patch(api, user_api_key, "billing", {"apdex_t_ms": 50}).status_code == 404
    assert not ServiceObjectives.objects.exists()


@pytest.mark.parametrize(
    "body",
    [{"apdex_t_ms": 0}, {"availability_objective": "100"}, {"latency_objective": "abc"}, {"apdex_t_ms": 10**9}],
)
def test_invalid_values_are_a_422(api, user, tenant, user_api_key, two_tenants, body):
    Membership.objects.filter(user=user, tenant=tenant).update(role=Membership.Role.ADMIN)
    response = patch(api, user_api_key, "checkout", body)
    assert response.status_code == 422
    assert next(iter(body)) in response.json()["detail"]


def test_a_name_two_tenants_share_needs_the_tenant(api, two_tenants):
    billing, bob = two_tenants
    other = TenantFactory(name="Initech")
    MembershipFactory(user=bob, tenant=other, role=Membership.Role.ADMIN)
    ServiceFactory(name="billing", tenant=other)
    assert patch(api, user_key(bob), "billing", {"apdex_t_ms": 50}).status_code == 422
    response = patch(api, user_key(bob), "billing", {"apdex_t_ms": 50}, tenant="Initech")
    assert response.status_code == 200 and response.json()["tenant"] == "Initech"
    assert ServiceObjectives.objects.get().service.tenant == other


def test_a_service_key_can_read_no_objectives(api, service):
    assert api.get(LIST, HTTP_X_API_KEY=service_key(service)).status_code == 403


def test_the_schema_declares_both_operations(client):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    assert set(paths[LIST]) == {"get"}
    assert set(paths[LIST + "/{service}"]) == {"patch"}
    assert {"200", "403", "404", "422"} <= set(paths[LIST + "/{service}"]["patch"]["responses"])
