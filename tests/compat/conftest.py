"""A live Malti (gunicorn + uvicorn workers, as in production) on the pytest test database, with a tenant to read.

The compatibility tests talk to it over HTTP, as the original's clients and suite do. Their
modules carry `pytestmark = pytest.mark.django_db`: pytest-django creates the test database
only for a session that has such a test; what the server must read is committed by the
module fixtures here, outside any test's transaction.
"""

from types import SimpleNamespace

import httpx
import pytest

from tests.factories import service_key, user_key
from tests.live_tenant import committed_tenant, refresh_for_server
from tests.reliability.conftest import live_server


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory):
    with live_server(tmp_path_factory.mktemp("compat"), workers=2) as live:
        yield live


@pytest.fixture(scope="module")
def http(server):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def accounts(django_db_setup, django_db_blocker):
    """Tenant Compat (services compat-checkout and compat-payments, user compat-viewer) and its keys.

    Created once per module and committed, since the live server reads them from another
    process; removed, with every stored request, when the module is done.
    """
    names = ("compat-checkout", "compat-payments")
    with committed_tenant(django_db_blocker, "Compat", names, "compat-viewer") as (tenant, services, viewer):
        with django_db_blocker.unblock():
            keys = SimpleNamespace(
                user=user_key(viewer), **{name.removeprefix("compat-"): service_key(s) for name, s in services.items()}
            )
        yield SimpleNamespace(tenant=tenant, services=services, viewer=viewer, keys=keys)


@pytest.fixture(scope="module")
def rollups_refreshed(django_db_setup, django_db_blocker):
    """Bring the rollups up to date after sending, as the worker would (the live server runs none)."""
    return lambda: refresh_for_server(django_db_blocker)
