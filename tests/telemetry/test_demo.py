"""malti_demo (scripts/run.sh runs it on every start) sets up the demo once and never touches it again."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from accounts.models import ApiKey, Service
from tests.conftest import PASSWORD
from tests.factories import user_key

pytestmark = pytest.mark.django_db


def demo(*args) -> str:
    out = StringIO()
    call_command("malti_demo", "--no-traffic", *args, stdout=out)
    return out.getvalue()


def printed(output: str) -> dict:
    """The passwords and keys a run printed."""
    return {
        "admin": re.search(r"user admin / (\S+)", output).group(1),
        "demo": re.search(r"user demo  / (\S+)", output).group(1),
        "user_key": re.search(r"user key\s+(\S+)", output).group(1),
        "service_keys": dict(re.findall(r"service key\s+(\w+): (\S+)", output)),
    }


def usable(raw_key: str) -> bool:
    key = ApiKey.objects.for_key(raw_key)
    return key is not None and ApiKey.objects.usable().filter(pk=key.pk).exists()


def test_the_first_run_creates_the_logins_and_keys_it_prints():
    first = printed(demo())
    users = get_user_model().objects
    assert users.get(username="admin").check_password(first["admin"])
    assert users.get(username="demo").check_password(first["demo"])
    assert sorted(first["service_keys"]) == ["accounts", "catalog", "checkout"]
    assert all(usable(key) for key in [first["user_key"], *first["service_keys"].values()])


def test_a_second_run_keeps_every_password_and_key_and_says_how_to_get_new_ones():
    first = printed(demo())
    second = demo()
    users = get_user_model().objects
    assert users.get(username="admin").check_password(first["admin"])
    assert users.get(username="demo").check_password(first["demo"])
    assert all(usable(key) for key in [first["user_key"], *first["service_keys"].values()])
    assert ApiKey.objects.count() == 4
    assert "user admin /" not in second and "service key" not in second
    assert "manage.py changepassword admin" in second
    assert "manage.py malti_accounts key service checkout" in second
    assert "scripts/run.sh --reset-demo" in second


def test_a_second_run_keeps_a_password_the_user_changed():
    demo()
    admin = get_user_model().objects.get(username="admin")
    admin.set_password(PASSWORD)
    admin.save()
    demo()
    assert get_user_model().objects.get(username="admin").check_password(PASSWORD)


def test_the_first_run_leaves_an_existing_admin_alone():
    get_user_model().objects.create_user(username="admin", password=PASSWORD)
    output = demo()
    admin = get_user_model().objects.get(username="admin")
    assert admin.check_password(PASSWORD)
    assert not admin.is_superuser
    assert "user admin / (existing user: password unchanged)" in output


def test_reset_sets_new_passwords_and_replaces_the_demo_keys():
    first = printed(demo())
    service = Service.objects.get(name="checkout")
    own_key = ApiKey.issue(service=service, name="production")[1]
    second = printed(demo("--reset"))
    users = get_user_model().objects
    assert users.get(username="admin").check_password(second["admin"]) and second["admin"] != first["admin"]
    assert users.get(username="demo").check_password(second["demo"])
    assert not any(usable(key) for key in [first["user_key"], *first["service_keys"].values()])
    assert all(usable(key) for key in [second["user_key"], *second["service_keys"].values()])
    assert usable(own_key)  # a key the user made is theirs, even on a demo service


@pytest.mark.django_db(transaction=True)  # it refreshes continuous aggregates: never inside a transaction
def test_demo_traffic_is_stored_under_each_services_telemetry_key_and_read_by_the_demo_user(api):
    call_command("malti_demo", "--hours", "0.05", stdout=StringIO())
    keys = dict(Service.objects.values_list("telemetry_key", "name"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT service, count(*) FROM requests GROUP BY 1")
        stored = dict(cursor.fetchall())
    assert set(stored) == set(keys), "every demo service's rows, under its key (not its name)"
    reader = user_key(get_user_model().objects.get(username="demo"))
    body = api.get("/api/v1/metrics/aggregate", HTTP_X_API_KEY=reader).json()
    assert body["metrics_summary"]["total_requests"] == sum(stored.values())
    assert {s["service"] for s in body["system_overview"]["services"]} == {"accounts", "catalog", "checkout"}
