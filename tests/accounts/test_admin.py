import re

import pytest
from django.contrib.auth import get_user_model

from accounts.models import ApiKey, Membership, Service, Tenant
from telemetry.models import RetentionPolicy

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, service, user):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests-only")
    client.force_login(admin)
    ApiKey.issue(service=service)
    return client


@pytest.mark.parametrize("model", [Tenant, Membership, Service, ApiKey, RetentionPolicy, get_user_model()])
def test_admin_list_and_add_pages_load(admin_client, model):
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    assert admin_client.get(base).status_code == 200
    assert admin_client.get(base + "add/").status_code == 200
    obj = model.objects.first()
    if obj is not None:
        assert admin_client.get(f"{base}{obj.pk}/change/").status_code == 200


def test_admin_creates_a_key_shows_it_once_and_revokes_it(admin_client, service):
    response = admin_client.post(
        "/admin/accounts/apikey/add/",
        {"kind": "service", "service": service.pk, "name": "prod"},
        follow=True,
    )
    assert response.status_code == 200
    shown = re.search(r"(malti_s_[A-Za-z0-9_-]+)", response.content.decode())
    assert shown, "the new key is shown once"
    key = ApiKey.objects.for_key(shown.group(1))
    assert key is not None and key.name == "prod" and key.created_by.username == "root"
    listing = admin_client.get("/admin/accounts/apikey/").content.decode()
    assert shown.group(1) not in listing
    admin_client.post("/admin/accounts/apikey/", {"action": "revoke_keys", "_selected_action": [key.pk]}, follow=True)
    key.refresh_from_db()
    assert key.is_revoked and key.revoked_by.username == "root"


def test_admin_refuses_a_service_key_without_a_service(admin_client):
    response = admin_client.post("/admin/accounts/apikey/add/", {"kind": "service", "name": "x"})
    assert response.status_code == 200
    assert "needs a service" in response.content.decode()


def test_admin_login_attempts_are_rate_limited(client, settings):
    settings.MALTI_RATELIMIT_LOGIN = "2/h"  # per hour: three posts never straddle a window
    codes = [client.post("/admin/login/", {"username": "root", "password": "wrong"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert client.get("/admin/login/").status_code == 200, "viewing the form is not limited"


def test_admin_marks_an_imported_key_that_is_easy_to_guess(admin_client, user):
    weak, _ = ApiKey.issue(user=user, raw_key="user-api-key", name="imported from malti.toml")
    strong, _ = ApiKey.issue(user=user, raw_key="Zq3v9XkT1pLw8RfY2sHc6NdJ0bGm4", name="imported from malti.toml")
    listing = admin_client.get("/admin/accounts/apikey/").content.decode()
    assert listing.count("⚠ weak") == 1
    page = admin_client.get(f"/admin/accounts/apikey/{weak.pk}/change/").content.decode()
    assert "easy to guess (only 12 characters" in page
    assert "easy to guess" not in admin_client.get(f"/admin/accounts/apikey/{strong.pk}/change/").content.decode()


def admin_login(client, username, password="wrong"):
    return client.post("/admin/login/", {"username": username, "password": password})


def test_admin_login_limits_a_user_name_only_together_with_the_address(client, settings):
    settings.MALTI_RATELIMIT_LOGIN = "2/h"
    get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests-only")
    attacker = type(client)(REMOTE_ADDR="203.0.113.66")
    assert [admin_login(attacker, "root").status_code for _ in range(3)] == [200, 200, 429]
    assert admin_login(client, "root", "pw-for-tests-only").status_code == 302, "root still signs in from home"


def test_admin_login_failures_count_against_the_address(client, settings):
    settings.MALTI_RATELIMIT_AUTH_FAILURES = "2/h"
    codes = [admin_login(client, f"user-{i}").status_code for i in range(3)]
    assert codes == [200, 200, 429]
    response = admin_login(client, "someone-else")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
