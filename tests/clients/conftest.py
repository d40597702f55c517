"""A live Malti and a tenant for the malti-client tests: apps with the middleware send to it over HTTP.

As in tests/compat: the server is gunicorn with uvicorn workers on the pytest test database,
the accounts are committed (the server reads them from another process), and what the apps
sent is read back through the metrics API with a user key.
"""

from types import SimpleNamespace

import httpx
import pytest

from tests.factories import service_key, user_key
from tests.live_tenant import committed_tenant, recent_metrics, refresh_for_server
from tests.reliability.conftest import live_server

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
    with committed_tenant(django_db_blocker, "Clients", SERVICES, "clients-viewer") as (tenant, services, viewer):
        with django_db_blocker.unblock():
            keys = SimpleNamespace(user=user_key(viewer), **{name: service_key(s) for name, s in services.items()})
        yield SimpleNamespace(tenant=tenant, services=services, viewer=viewer, keys=keys)


@pytest.fixture(scope="package")
def read_back(http, accounts, django_db_blocker):
    """What Malti reports for a service over the last half hour, after bringing the rollups up to date."""

    def read(service: str) -> dict:
        refresh_for_server(django_db_blocker)
        return recent_metrics(http, accounts.keys.user, service)

    return read


def per_endpoint(body: dict) -> dict:
    return {(e["method"], e["endpoint"]): (e["total_requests"], e["error_count"]) for e in body["endpoints"]}


def per_consumer(body: dict) -> dict:
    return {c["consumer"]: (c["total_requests"], c["error_count"]) for c in body["consumers"]}
