"""A service's telemetry is stored under an immutable key; names are unique per tenant only."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from accounts.models import ApiKey, Service, visible_services
from telemetry.models import Request
from telemetry.traffic import TrafficModel, as_rows
from tests.conftest import refresh_rollups, utc_now
from tests.factories import ServiceFactory, TenantFactory

pytestmark = pytest.mark.django_db

BEFORE_KEYS = [("accounts", "0001_initial")]
WITH_KEYS = [("accounts", "0002_service_telemetry_key")]


@pytest.fixture
def globex():
    return TenantFactory(name="Globex")


def test_two_tenants_may_each_have_a_service_of_the_same_name(tenant, globex):
    acme_api = Service.objects.create(name="api", tenant=tenant)
    globex_api = Service.objects.create(name="api", tenant=globex)
    assert acme_api.telemetry_key != globex_api.telemetry_key


def test_a_tenant_cannot_have_two_services_of_the_same_name(tenant):
    Service.objects.create(name="api", tenant=tenant)
    with pytest.raises(IntegrityError), transaction.atomic():
        Service.objects.create(name="api", tenant=tenant)


def test_a_new_service_gets_a_random_key_not_its_name(tenant):
    first, second = Service.objects.create(name="api", tenant=tenant), ServiceFactory(tenant=tenant)
    assert re.fullmatch(r"[0-9a-f]{32}", first.telemetry_key)
    assert first.telemetry_key != "api"
    assert first.telemetry_key != second.telemetry_key


def test_a_rename_keeps_the_telemetry_key(service):
    key = service.telemetry_key
    service.name = "checkout-v2"
    service.save()
    service.refresh_from_db()
    assert service.telemetry_key == key


def test_admin_shows_the_key_but_never_changes_it(admin_client, service):
    key = service.telemetry_key
    page = admin_client.get(f"/admin/accounts/service/{service.pk}/change/").content.decode()
    assert key in page
    admin_client.post(
        f"/admin/accounts/service/{service.pk}/change/",
        {
            "name": "renamed",
            "tenant": service.tenant.pk,
            "is_active": "on",
            "telemetry_key": "checkout",
            # The inlines' management forms, as the page sends them (no objectives or limits changed).
            "objectives-TOTAL_FORMS": "0",
            "objectives-INITIAL_FORMS": "0",
            "cardinality-TOTAL_FORMS": "0",
            "cardinality-INITIAL_FORMS": "0",
        },
    )
    service.refresh_from_db()
    assert (service.name, service.telemetry_key) == ("renamed", key)


def test_visible_services_maps_stored_keys_to_names(user, tenant, globex):
    mine = ServiceFactory(name="api", tenant=tenant)
    ServiceFactory(name="api", tenant=globex)
    assert visible_services(user) == {mine.telemetry_key: "api"}


def test_the_migration_keeps_each_existing_services_name_as_its_key():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_KEYS)
    old = executor.loader.project_state(BEFORE_KEYS).apps
    tenant = old.get_model("accounts", "Tenant").objects.create(name="Acme")
    for name in ("checkout", "billing"):
        old.get_model("accounts", "Service").objects.create(name=name, tenant=tenant)
    # The foreign keys' deferred checks would otherwise block the ALTER TABLE that follows.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(WITH_KEYS)
    new = executor.loader.project_state(WITH_KEYS).apps
    keys = dict(new.get_model("accounts", "Service").objects.values_list("name", "telemetry_key"))
    assert keys == {"checkout": "checkout", "billing": "billing"}
    # Back on the current schema: a service created now gets a random key.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("accounts"))
    assert Service.objects.create(name="api", tenant_id=tenant.pk).telemetry_key != "api"


# --- malti_accounts names a service with its tenant where the name alone is ambiguous ---


def cli(*args) -> str:
    out, err = StringIO(), StringIO()
    call_command("malti_accounts", *args, stdout=out, stderr=err)
    return out.getvalue().strip()


def test_malti_accounts_creates_the_same_service_name_in_another_tenant(tenant, globex):
    cli("service", "api", "--tenant", "Acme")
    cli("service", "api", "--tenant", "Globex")
    assert sorted(Service.objects.filter(name="api").values_list("tenant__name", flat=True)) == ["Acme", "Globex"]


def test_malti_accounts_issues_a_key_for_the_service_of_the_given_tenant(tenant, globex):
    ServiceFactory(name="api", tenant=tenant)
    globex_api = ServiceFactory(name="api", tenant=globex)
    raw = cli("key", "service", "api", "--tenant", "Globex")
    assert ApiKey.objects.for_key(raw).service == globex_api


def test_malti_accounts_refuses_an_ambiguous_service_name_and_lists_its_tenants(tenant, globex):
    ServiceFactory(name="api", tenant=tenant)
    ServiceFactory(name="api", tenant=globex)
    with pytest.raises(CommandError, match=r"tenants Acme, Globex; say which with --tenant"):
        cli("key", "service", "api")
    assert not ApiKey.objects.exists()


def test_malti_accounts_needs_no_tenant_for_a_unique_service_name(service):
    raw = cli("key", "service", "checkout")
    assert ApiKey.objects.for_key(raw).service == service


def test_malti_accounts_says_when_the_tenant_has_no_such_service(service, globex):
    with pytest.raises(CommandError, match="No service named 'checkout' in tenant 'Globex'"):
        cli("key", "service", "checkout", "--tenant", "Globex")


def test_import_creates_a_service_whose_name_another_tenant_uses(tmp_path, service):
    config = tmp_path / "malti.toml"
    config.write_text('[services.checkout]\ndescription = "Globex checkout"\n')
    call_command("import_malti_config", str(config), "--tenant", "Globex", stdout=StringIO())
    assert Service.objects.get(name="checkout", tenant__name="Globex").description == "Globex checkout"
    assert Service.objects.get(name="checkout", tenant__name="Acme") == service


# --- deleting a service says how much telemetry goes with it ---


@pytest.fixture
def admin_client(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests-only")
    client.force_login(admin)
    return client


@pytest.fixture
def stored(service, globex):
    """Rows under the service's key: in a complete week, in the last hour, and not yet rolled up; others elsewhere."""
    model = TrafficModel(services=[service.telemetry_key], seed=4)
    now = utc_now()
    Request.objects.ingest(as_rows(model.records(70, now - timedelta(days=20), now - timedelta(days=19))))
    Request.objects.ingest(as_rows(model.records(20, now - timedelta(hours=1), now - timedelta(minutes=2))))
    refresh_rollups()
    now = utc_now()  # at or after the refresh's horizon: raw rows only
    Request.objects.ingest(as_rows(model.records(3, now, now + timedelta(seconds=1))))
    other = ServiceFactory(name="checkout", tenant=globex)
    Request.objects.ingest(as_rows(TrafficModel(services=[other.telemetry_key], seed=5).records(11, now, now)))
    return 70 + 20 + 3


def text_of(response) -> str:
    return " ".join(response.content.decode().split())


def test_a_service_counts_the_requests_stored_under_its_key_at_every_level(service, stored):
    assert service.stored_request_count() == stored


def test_the_admin_delete_page_says_how_many_requests_go_out_of_sight(admin_client, service, stored):
    page = text_of(admin_client.get(f"/admin/accounts/service/{service.pk}/delete/"))
    assert f"{stored} requests are stored under this service" in page
    assert "retention removes them" in page


def test_the_admin_delete_action_says_how_many_requests_go_out_of_sight(admin_client, service, stored):
    empty = ServiceFactory(name="new", tenant=service.tenant)
    page = text_of(
        admin_client.post(
            "/admin/accounts/service/", {"action": "delete_selected", "_selected_action": [service.pk, empty.pk]}
        )
    )
    assert f"{stored} requests are stored under these 2 services" in page
    assert Service.objects.filter(pk=service.pk).exists(), "only the confirmation so far"
    admin_client.post(
        "/admin/accounts/service/",
        {"action": "delete_selected", "_selected_action": [service.pk, empty.pk], "post": "yes"},
    )
    assert not Service.objects.filter(pk__in=[service.pk, empty.pk]).exists()


def test_the_admin_delete_page_of_a_service_without_telemetry_says_zero(admin_client, service):
    page = text_of(admin_client.get(f"/admin/accounts/service/{service.pk}/delete/"))
    assert "0 requests are stored under this service" in page
