"""Schemathesis, every check on, against a live Malti: the objectives API does what its OpenAPI schema says."""

import pytest

from tests.compat.test_openapi_fuzz import schemathesis
from tests.factories import user_key
from tests.live_tenant import committed_tenant
from tests.reliability.conftest import live_server

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
OBJECTIVES = r"^/api/v1/objectives"


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory):
    with live_server(tmp_path_factory.mktemp("objectives"), workers=1) as live:
        yield live


@pytest.fixture(scope="module")
def admin_key(django_db_setup, django_db_blocker):
    """A tenant admin's key and a service to change; committed, as the server reads them."""
    with committed_tenant(django_db_blocker, "Fuzz", ("checkout",), "fuzz-admin", role="admin") as (_, _, admin):
        with django_db_blocker.unblock():
            key = user_key(admin)
        yield key  # (the service's objectives go with it)


def test_no_objectives_operation_fails_any_check_for_a_tenant_admin(server, admin_key, tmp_path):
    status, report = schemathesis(
        server, tmp_path, admin_key, "--include-path-regex", OBJECTIVES, examples=15, budget=120
    )
    assert status == 0, report
