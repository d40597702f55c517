"""A live Malti and a tenant for the malti-client tests: apps with the middleware send to it over HTTP.

As in tests/compat: the server is gunicorn with uvicorn workers on the pytest test database,
the accounts are committed (the server reads them from another process), and what the apps
sent is read back through the metrics API with a user key.
"""

import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest

from accounts.models import ApiKey, Membership, Service, Tenant
from tests.compat.conftest import _refresh_committed
from tests.factories import MembershipFactory, ServiceFactory, TenantFactory, UserFactory, service_key, user_key
from tests.reliability.conftest import live_server
from tests.telemetry.helpers import clean_telemetry

SERVICES = ("client-django", "client-flask", "client-asgi", "client-self")


@pytest.fixture(scope="package")
def server(django_db_setup, tmp_path_factory):
    with live_server(tmp_path_factory.mktemp("clients"), workers=2) as live:
        yield live


@pytest.fixture(scope="package")
def http(server):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="package")
def accounts(django_db_setup, django_db_blocker):
    """Tenant Clients, a service per app under test, user clients-viewer, and their keys (committed)."""
    with django_db_blocker.unblock():
        tenant = TenantFactory(name="Clients")
        services = {name: ServiceFactory(name=name, tenant=tenant) for name in SERVICES}
        viewer = UserFactory(username="clients-viewer")
        MembershipFactory(user=viewer, tenant=tenant)
        keys = SimpleNamespace(user=user_key(viewer), **{name: service_key(s) for name, s in services.items()})
    yield SimpleNamespace(tenant=tenant, services=services, viewer=viewer, keys=keys)
    with django_db_blocker.unblock():
        clean_telemetry()
        ApiKey.objects.filter(service__tenant=tenant).delete()
        ApiKey.objects.filter(user=viewer).delete()
        Membership.objects.filter(tenant=tenant).delete()
        Service.objects.filter(tenant=tenant).delete()
        Tenant.objects.filter(pk=tenant.pk).delete()
        viewer.delete()


@pytest.fixture(scope="package")
def read_back(http, accounts, django_db_blocker):
    """What Malti reports for a service over the last half hour, after bringing the rollups up to date."""

    def read(service: str) -> dict:
        with django_db_blocker.unblock():
            thread = threading.Thread(target=_refresh_committed)  # its own connection commits
            thread.start()
            thread.join()
        now = datetime.now(UTC)
        response = http.get(
            "/api/v1/metrics/aggregate",
            params={
                "service": service,
                "start_time": (now - timedelta(minutes=30)).isoformat(),
                "end_time": (now + timedelta(minutes=1)).isoformat(),
            },
            headers={"X-API-Key": accounts.keys.user},
        )
        assert response.status_code == 200, response.text
        return response.json()

    return read


def per_endpoint(body: dict) -> dict:
    return {(e["method"], e["endpoint"]): (e["total_requests"], e["error_count"]) for e in body["endpoints"]}


def per_consumer(body: dict) -> dict:
    return {c["consumer"]: (c["total_requests"], c["error_count"]) for c in body["consumers"]}
