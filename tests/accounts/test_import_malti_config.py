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


def test_it_warns_about_every_key_too_short_or_too_plain_to_resist_guessing(malti_toml):
    strong = "Zq3v9XkT1pLw8RfY2sHc6NdJ0bGm4"
    malti_toml.write_text(
        CONFIG.replace('"checkout-service-key"', f'"{strong}"').replace('"billing-service-key"', '"' + "ab" * 15 + '"')
    )
    output = run(malti_toml)
    warnings = [line for line in output.splitlines() if "easy to guess" in line]
    assert len(warnings) == 2
    assert "service billing" in warnings[0] and "bits of entropy" in warnings[0]
    assert "user user1" in warnings[1] and "only 12 characters" in warnings[1]
    assert "2 weak key(s) to replace" in output
    assert ApiKey.objects.for_key("user-api-key").weakness.startswith("only 12 characters")
    assert ApiKey.objects.for_key(strong).weakness == ""
    assert "2 weak key(s)" in run(malti_toml), "a second run warns again"


def test_it_imports_the_dashboard_thresholds(malti_toml):
    malti_toml.write_text(
        CONFIG
        + """
[dashboard.thresholds]
error_rate_success_threshold = 0.5
error_rate_warning_threshold = 1.0
latency_success_threshold = 300
latency_warning_threshold = 800
"""
    )
    run(malti_toml)
    tenant = Tenant.objects.get(name="Default")
    assert tenant.thresholds() == {
        "error_rate_warning": 0.5,
        "error_rate_critical": 1.0,
        "latency_warning_ms": 300,
        "latency_critical_ms": 800,
    }
    assert "0 created, 0 updated" in run(malti_toml)


def test_a_namesake_in_another_tenant_is_another_service_but_keys_stay_unique(malti_toml, tmp_path):
    run(malti_toml, "--tenant", "Acme")
    other = tmp_path / "other.toml"
    other.write_text('[services.checkout]\napi_key = "Zq3v9XkT1pLw8RfY2sHc6NdJ0bGm4"\n')
    run(other, "--tenant", "Bolt")
    assert sorted(Service.objects.filter(name="checkout").values_list("tenant__name", flat=True)) == ["Acme", "Bolt"]
    with pytest.raises(CommandError, match="keys must be unique"):
        run(malti_toml, "--tenant", "Bolt")
