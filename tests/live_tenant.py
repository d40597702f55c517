"""For tests against a live server: a tenant committed for it, and what it reports for a service.

The server runs in other processes, so what it must read is committed outside any test's
transaction (module or package fixtures), and removed, with every stored request, afterwards.
"""

import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from accounts.models import ApiKey, Membership, Service, Tenant
from tests.conftest import refresh_rollups
from tests.factories import MembershipFactory, ServiceFactory, TenantFactory, UserFactory
from tests.telemetry.helpers import clean_telemetry


@contextmanager
def committed_tenant(django_db_blocker, name: str, service_names, user_name: str, role: str = "viewer"):
    """(tenant, {name: service}, user): a tenant with those services and a member in that role, committed."""
    with django_db_blocker.unblock():
        tenant = TenantFactory(name=name)
        services = {service: ServiceFactory(name=service, tenant=tenant) for service in service_names}
        member = UserFactory(username=user_name)
        MembershipFactory(user=member, tenant=tenant, role=role)
    try:
        yield tenant, services, member
    finally:
        with django_db_blocker.unblock():
            clean_telemetry()
            ApiKey.objects.filter(service__tenant=tenant).delete()
            ApiKey.objects.filter(user=member).delete()
            Membership.objects.filter(tenant=tenant).delete()
            Service.objects.filter(tenant=tenant).delete()
            Tenant.objects.filter(pk=tenant.pk).delete()
            member.delete()


def recent_metrics(http, user_key: str, service: str, minutes: int = 30) -> dict:
    """The metrics API's answer for one service over the last `minutes` (and the minute to come)."""
    now = datetime.now(UTC)
    response = http.get(
        "/api/v1/metrics/aggregate",
        params={
            "service": service,
            "start_time": (now - timedelta(minutes=minutes)).isoformat(),
            "end_time": (now + timedelta(minutes=1)).isoformat(),
        },
        headers={"X-API-Key": user_key},
    )
    assert response.status_code == 200, response.text
    return response.json()


def refresh_for_server(django_db_blocker) -> None:
    """Bring the rollups up to date as the worker would (a live server runs none), committed.

    In a thread of its own: its own connection commits, whatever transaction the test is in.
    """

    def refresh():
        from django.db import connection

        try:
            refresh_rollups()
        finally:
            connection.close()

    with django_db_blocker.unblock():
        thread = threading.Thread(target=refresh)
        thread.start()
        thread.join()
