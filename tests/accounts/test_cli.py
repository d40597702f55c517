from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import ApiKey, Membership, Service

pytestmark = pytest.mark.django_db


def cli(*args) -> str:
    out, err = StringIO(), StringIO()
    call_command("malti_accounts", *args, stdout=out, stderr=err)
    return out.getvalue().strip()


def test_it_creates_a_tenant_service_user_and_prints_new_keys():
    cli("tenant", "Acme")
    cli("service", "checkout", "--tenant", "Acme")
    cli("user", "bob", "--tenant", "Acme", "--role", "admin", "--password", "s3cret-pass-word")
    service_raw = cli("key", "service", "checkout")
    user_raw = cli("key", "user", "bob")
    assert ApiKey.objects.for_key(service_raw).service == Service.objects.get(name="checkout")
    assert ApiKey.objects.for_key(user_raw).user.username == "bob"
    assert Membership.objects.get(user__username="bob").role == "admin"


def test_it_revokes_by_prefix(service):
    key, raw = ApiKey.issue(service=service)
    cli("revoke", key.prefix)
    key.refresh_from_db()
    assert key.is_revoked
