"""Schemathesis, every check on, against a live Malti: the alerts API does what its OpenAPI schema says."""

import pytest

from alerts.models import AlertRule, Channel, Silence
from tests.compat.test_openapi_fuzz import schemathesis
from tests.factories import user_key
from tests.live_tenant import committed_tenant
from tests.reliability.conftest import live_server

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
ALERTS = r"^/api/v1/alerts/"


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory):
    # Test notifications to whatever URL the fuzzer invents give up quickly.
    with live_server(tmp_path_factory.mktemp("alerts"), workers=1, MALTI_ALERTS_WEBHOOK_TIMEOUT="1") as live:
        yield live


@pytest.fixture(scope="module")
def admin_key(django_db_setup, django_db_blocker):
    """A tenant admin's key, with a service and a channel to refer to; committed, as the server reads them."""
    with committed_tenant(django_db_blocker, "Fuzz", ("checkout",), "fuzz-admin", role="admin") as (tenant, _, admin):
        with django_db_blocker.unblock():
            Channel.objects.create(tenant=tenant, name="mail", kind="email", target="ops@example.com")
            key = user_key(admin)
        yield key
        with django_db_blocker.unblock():
            AlertRule.objects.filter(tenant=tenant).delete()
            Silence.objects.filter(service__tenant=tenant).delete()
            Channel.objects.filter(tenant=tenant).delete()


def test_no_alerts_operation_fails_any_check_for_a_tenant_admin(server, admin_key, tmp_path):
    status, report = schemathesis(server, tmp_path, admin_key, "--include-path-regex", ALERTS, examples=8, budget=120)
    assert status == 0, report
