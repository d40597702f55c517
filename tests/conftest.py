import gzip
import uuid
from datetime import UTC, datetime

import orjson
import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from telemetry import retention_cache
from telemetry.cardinality import guard
from tests.factories import MembershipFactory, ServiceFactory, TenantFactory, UserFactory, service_key, user_key

PASSWORD = "correct horse battery staple"


def refresh_rollups():
    """Bring the rollups up to date in a test.

    Community edition: continuous aggregates cannot refresh inside the test's
    transaction, and real-time aggregation already serves reads from raw rows,
    so inside a transaction this does nothing there.
    """
    from django.db import connection

    from telemetry import rollups
    from telemetry.edition import has_continuous_aggregates

    if has_continuous_aggregates() and connection.in_atomic_block:
        return None
    said = rollups.refresh()
    # A failed materialisation is logged and retried by the product; in a test it is the answer.
    assert "FAILED" not in said, said
    return said


def edition_is_community() -> bool:
    from telemetry.edition import current_license

    return current_license() == "timescale"


@pytest.fixture
def apache_edition(db):
    """For tests of Malti's own refresher, which only the Apache edition uses."""
    if edition_is_community():
        pytest.skip("tests Malti's own refresher (Apache edition)")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from tests.telemetry.helpers import pause_background_jobs

    with django_db_blocker.unblock():
        pause_background_jobs()
    yield
    from django.db import connections

    # The reads pool's connections (a mirror's) would keep the test database from being dropped;
    # Django's TestCase itself uses this thread's (it asks every allowed alias whether it supports transactions).
    reads = connections["reads"]
    reads.close()
    if reads.alias in type(reads)._connection_pools:  # (the pool property would open one)
        reads.close_pool()


@pytest.fixture(autouse=True, scope="session")
def _static_files_without_collectstatic():
    """Serve static files from the apps (finders) instead of collectstatic's manifest."""
    from django.conf import settings

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Rate-limit counters and cached retention must not leak between tests.

    A fresh key prefix isolates counters without flushing the Redis database,
    which a concurrent test run may be using too.
    """
    cache.key_prefix = f"test-{uuid.uuid4().hex[:12]}"
    retention_cache.forget()
    guard.forget()
    yield


@pytest.fixture(autouse=True)
def _truncate_telemetry_after_transactional_tests(request, django_db_blocker):
    """Django's flush skips the raw table and the rollups (they are not Django models)."""
    yield
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        return
    from tests.telemetry.helpers import clean_telemetry

    with django_db_blocker.unblock():
        clean_telemetry()


@pytest.fixture
def tenant(db):
    return TenantFactory(name="Acme")


@pytest.fixture
def service(tenant):
    return ServiceFactory(name="checkout", tenant=tenant)


@pytest.fixture
def service_api_key(service):
    return service_key(service)


@pytest.fixture
def user(tenant):
    user = UserFactory(username="alice")
    MembershipFactory(user=user, tenant=tenant)
    return user


@pytest.fixture
def user_api_key(user):
    return user_key(user)


@pytest.fixture
def api():
    return APIClient()


def utc_now() -> datetime:
    return datetime.now(UTC)


def record(**overrides) -> dict:
    """One valid record for the `checkout` service."""
    base = {
        "service": "checkout",
        "method": "GET",
        "endpoint": "/api/orders/{id}",
        "status": 200,
        "response_time": 42,
        "consumer": "web-app",
        "node": "node-1",
        "context": "web",
        "created_at": utc_now().isoformat(),
    }
    base.update(overrides)
    return base


def post_batch(api, key, records, *, gzip_body=False, raw_body=None, content_type="application/json", **headers):
    body = raw_body if raw_body is not None else orjson.dumps({"requests": records})
    if gzip_body:
        body = gzip.compress(body)
        headers["HTTP_CONTENT_ENCODING"] = "gzip"
    if key is not None:
        headers["HTTP_X_API_KEY"] = key
    return api.post("/api/v1/ingest", data=body, content_type=content_type, **headers)


DATABASE_FIXTURES = {"db", "transactional_db", "live_server"}


def pytest_collection_modifyitems(items):
    """Every database test may use the reads alias too (settings.DATABASES["reads"], a mirror of the test database).

    Metrics read through it outside a transaction; pytest-django allows only
    "default" unless a test names more.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None and not DATABASE_FIXTURES & set(item.fixturenames):
            continue
        kwargs = dict(marker.kwargs) if marker else {}
        if "databases" not in kwargs:
            args = marker.args if marker else ()
            item.add_marker(pytest.mark.django_db(*args, **kwargs, databases=["default", "reads"]), append=False)
