import pytest
from django.core.management import CommandError, call_command

from accounts.models import ApiKey, Service, Tenant
from tests.conftest import post_batch, record

pytestmark = pytest.mark.django_db

CONFIG = """
[services]
[services.checkout]
api_key = "checkout-service-key"
description = "Checkout"

[services.billing]
api_key = "billing-service-key"
description = "Billing"

[users]
[users.user1]
username = "user1"
api_key = "user-api-key"

[api]
base_url = "http://localhost:8000"
"""


@pytest.fixture
def malti_toml(tmp_path):
    path = tmp_path / "malti.toml"
    path.write_text(CONFIG)
    return path


def run(path, *args):
    from io import StringIO

    out = StringIO()
    call_command("import_malti_config", str(path), *args, stdout=out)
    return out.getvalue()


def test_it_imports_services_users_and_keys_that_keep_working(api, malti_toml):
    output = run(malti_toml)
    assert "Imported" in output and "7 created" in output
    assert set(Service.objects.values_list("name", flat=True)) == {"checkout", "billing"}
    assert Service.objects.get(name="checkout").tenant.name == "Default"
    response = post_batch(api, "checkout-service-key", [record()])
    assert response.status_code == 200
    assert ApiKey.objects.for_key("user-api-key").user.username == "user1"


def test_a_second_run_changes_nothing(malti_toml):
    run(malti_toml)
    before = list(ApiKey.objects.order_by("pk").values_list("pk", "digest"))
    output = run(malti_toml)
    assert "0 created, 0 updated" in output
    assert list(ApiKey.objects.order_by("pk").values_list("pk", "digest")) == before


def test_it_updates_a_changed_description(malti_toml):
    run(malti_toml)
    malti_toml.write_text(CONFIG.replace('description = "Billing"', 'description = "Invoices"'))
    assert "1 updated" in run(malti_toml)
    assert Service.objects.get(name="billing").description == "Invoices"


def test_it_imports_into_a_named_tenant(malti_toml):
    run(malti_toml, "--tenant", "Acme")
    assert Tenant.objects.get(name="Acme").services.count() == 2


def test_dry_run_changes_nothing(malti_toml):
    assert "Would import" in run(malti_toml, "--dry-run")
    assert not Service.objects.exists()


def test_invalid_toml_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[services\n")
    with pytest.raises(CommandError, match="not valid TOML"):
        run(bad)
