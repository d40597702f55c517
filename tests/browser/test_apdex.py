"""The dashboard shows Apdex (cards, service list) and the objectives panel for known traffic."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from playwright.sync_api import expect
from rest_framework.test import APIClient

from accounts.models import Membership
from tests.browser.conftest import LOADED
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, ServiceFactory, TenantFactory, UserFactory, service_key, user_key
from tests.telemetry.helpers import clean_telemetry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Away from the histogram's slot edges at T = 500 ms and 2,000 ms (and 4T): the figures are exact.
LATENCIES = [100] * 20 + [1500] * 12 + [3000] * 8
# T 500: 20 satisfied, 12 tolerating of 40 -> 0.65 (Poor); T 2000: 32 satisfied, 8 tolerating -> 0.90 (Good).


@pytest.fixture
def payments(transactional_db):
    clean_telemetry()
    tenant = TenantFactory(name="Shop")
    service = ServiceFactory(name="payments", tenant=tenant)
    admin = UserFactory(username="carol")
    MembershipFactory(user=admin, tenant=tenant, role=Membership.Role.ADMIN)
    now = datetime.now(UTC)
    batch = [
        {
            "service": "payments",
            "method": "POST",
            "endpoint": "/pay",
            "status": 200,
            "response_time": ms,
            "consumer": "web-app",
            "created_at": (now - timedelta(minutes=1 + i % 30)).isoformat(),  # some in the last 5 minutes
        }
        for i, ms in enumerate(LATENCIES)
    ]
    key = service_key(service)
    response = APIClient().post("/api/v1/ingest", {"requests": batch}, format="json", HTTP_X_API_KEY=key)
    assert response.status_code == 200, response.content
    call_command("refresh_rollups", verbosity=0)
    return admin


def sign_in(page, username):
    page.goto("/")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.locator(LOADED).first.wait_for()


def test_the_apdex_card_and_service_list_follow_the_services_target(page, payments):
    sign_in(page, "carol")
    expect(page.get_by_test_id("card-apdex-value")).to_have_text("0.65")
    expect(page.get_by_test_id("card-apdex")).to_contain_text("Poor")
    expect(page.get_by_test_id("card-apdex")).to_have_attribute("data-status", "critical")
    expect(page.get_by_test_id("service-apdex")).to_have_text("Apdex 0.65")

    # A tenant admin relaxes the target; the dashboard shows the service judged by it.
    answer = APIClient().patch(
        "/api/v1/objectives/payments", {"apdex_t_ms": 2000}, format="json", HTTP_X_API_KEY=user_key(payments)
    )
    assert answer.status_code == 200, answer.content
    page.reload()
    page.locator(LOADED).first.wait_for()
    expect(page.get_by_test_id("card-apdex-value")).to_have_text("0.90")
    expect(page.get_by_test_id("card-apdex")).to_have_attribute("data-status", "healthy")


def test_the_objectives_panel_shows_the_budget_left(page, payments):
    sign_in(page, "carol")
    # The panel asks for the objectives once the metrics are shown: five reads of its own.
    expect(page.get_by_test_id("objective-row")).to_have_count(2, timeout=15_000)
    availability = page.locator('[data-testid="objective-row"][data-objective="availability"]')
    latency = page.locator('[data-testid="objective-row"][data-objective="latency"]')
    # No server errors: the whole availability budget is left. 20 of 40 requests over 1 s, 1 % allowed;
    # half of the last 5 minutes' and hour's requests too: a fast burn (50 > 14.4) and a slow one.
    expect(availability.get_by_test_id("objective-budget")).to_have_text("100%")
    expect(latency.get_by_test_id("objective-budget")).to_have_text("-4900%")
    expect(latency.get_by_test_id("objective-alert")).to_have_count(2)  # fast and slow burn
