"""The Alerts page: an admin's rule fires after 5xx traffic and resolves after good traffic, shown on the page,
in the status panel and on the chart; a viewer is told only admins may change alerts; a channel's secret is
never shown again, and its test notification reaches a real receiver.

Evaluation runs in the test (what the worker does each minute) on a controlled clock.
"""

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from rest_framework.test import APIClient

from accounts.models import Membership
from alerts.evaluation import evaluate
from alerts.models import AlertRule, Channel
from malti_site import clock
from tests.alerts.conftest import Clock, receiver  # noqa: F401 (the alerts tests' loopback webhook receiver)
from tests.conftest import refresh_rollups
from tests.factories import ServiceFactory, service_key

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECRET = "hmac-key-never-shown-again"
# After a page switch or a refresh: the metrics and alerts reads may take a while on a loaded machine.
LOADING = 30_000


@pytest.fixture(autouse=True)
def _patient_expect():
    """expect() waits up to LOADING in this module only: the option is global, so its default (None) is put back."""
    expect.set_options(timeout=LOADING)
    yield
    expect.set_options(timeout=None)


@pytest.fixture
def now(monkeypatch):
    """malti_site.clock under the test's control: a whole minute, ten minutes ago, so every row is in the past."""
    controlled = Clock(datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10))
    monkeypatch.setattr(clock, "now", controlled)
    return controlled


@pytest.fixture
def payments(seeded):
    """A service of alice's tenant with no seeded traffic, so only the test's requests count."""
    return ServiceFactory(name="payments", tenant=seeded.services["checkout"].tenant)


@pytest.fixture
def admin(seeded):
    Membership.objects.filter(user=seeded.user).update(role=Membership.Role.ADMIN)
    return seeded.user


def send(service, at, count, status):
    """`count` requests answered with `status` in the 30 seconds before `at`, through the ingest API."""
    batch = [
        {
            "service": service.name,
            "method": "POST",
            "endpoint": "/charge",
            "status": status,
            "response_time": 40,
            "consumer": "web-app",
            "created_at": (at - timedelta(seconds=30 - i)).isoformat(),
        }
        for i in range(count)
    ]
    response = APIClient().post(
        "/api/v1/ingest", {"requests": batch}, format="json", HTTP_X_API_KEY=service_key(service)
    )
    assert response.status_code == 200, response.content


def evaluate_now():
    """What the worker does each minute: bring the rollups up to date, then evaluate every rule."""
    refresh_rollups()
    return evaluate()


def open_alerts(page):
    page.get_by_test_id("nav-alerts").click(timeout=LOADING)
    expect(page.get_by_test_id("alerts-page")).to_be_visible()


def create_rule(page, name):
    page.get_by_test_id("rules-new").click()
    page.get_by_test_id("rule-name").fill(name)
    page.get_by_test_id("rule-metric").select_option("server_error_rate")
    page.get_by_test_id("rule-service").select_option("payments")
    page.get_by_test_id("rule-window_minutes").fill("1")
    page.get_by_test_id("rule-threshold").fill("10")
    page.get_by_test_id("rule-for_minutes").fill("0")
    page.get_by_test_id("rule-min_requests").fill("1")
    page.get_by_test_id("rule-severity").select_option("critical")
    page.get_by_test_id("rule-save").click()
    expect(page.get_by_test_id("rule-dialog")).to_be_hidden()


def test_a_rule_an_admin_creates_fires_after_5xx_traffic_and_resolves_after_good_traffic(
    page, login, admin, payments, now
):
    login(page)
    open_alerts(page)
    create_rule(page, "payments 5xx")
    row = page.locator('[data-testid="rule-row"][data-name="payments 5xx"]')
    expect(row).to_have_attribute("data-state", "ok")
    expect(row.get_by_test_id("rule-condition")).to_have_text("5xx rate above 10% over 1 min, at least 1 request")
    rule = AlertRule.objects.get(name="payments 5xx")
    assert (rule.metric, rule.service, rule.window_minutes, rule.threshold) == ("server_error_rate", payments, 1, 10)
    assert (rule.for_minutes, rule.min_requests, rule.severity) == (0, 1, "critical")

    # 5xx traffic: every request of the last minute failed.
    send(payments, now.moment, 10, 503)
    evaluate_now()
    page.get_by_test_id("refresh").click()
    expect(row).to_have_attribute("data-state", "firing")
    expect(row.get_by_test_id("rule-value")).to_have_text("100%")
    firing = page.get_by_test_id("firing-alert")
    expect(firing).to_have_count(1)
    expect(firing).to_have_attribute("data-severity", "critical")
    expect(firing).to_contain_text("payments 5xx")

    # The dashboard's status panel says so, and the chart marks the span, still open.
    page.get_by_test_id("nav-dashboard").click()
    expect(page.get_by_test_id("status-firing")).to_have_attribute("data-count", "1")
    expect(page.get_by_test_id("status-firing-alert")).to_contain_text("payments 5xx · payments")
    span = page.get_by_test_id("chart-alert-span")
    expect(span).to_have_count(1)
    expect(span).to_have_attribute("data-open", "true")

    # A minute on, only good requests: the rule resolves.
    now.advance(minutes=2)
    send(payments, now.moment, 10, 200)
    evaluate_now()
    page.get_by_test_id("refresh").click()
    expect(page.get_by_test_id("status-firing")).to_have_attribute("data-count", "0")
    expect(page.get_by_test_id("chart-alert-span")).to_have_attribute("data-open", "false")

    open_alerts(page)
    expect(row).to_have_attribute("data-state", "ok")
    expect(page.get_by_test_id("firing-none")).to_be_visible()
    row.get_by_test_id("rule-history").click()
    events = page.get_by_test_id("history-event")
    expect(events.first).to_have_attribute("data-to-state", "resolved")  # newest first
    assert "firing" in [events.nth(i).get_attribute("data-to-state") for i in range(events.count())]


def test_a_viewer_sees_alerts_read_only_and_the_api_refuses_their_changes(page, login, payments, seeded):
    login(page)
    open_alerts(page)
    expect(page.get_by_test_id("alerts-read-only")).to_contain_text("only an admin of the service's tenant")
    expect(page.get_by_test_id("rules-new")).to_have_count(0)
    expect(page.get_by_test_id("channels-new")).to_have_count(0)
    # The controls are hidden because auth/test says the user is a viewer; the API is what refuses.
    refused = page.request.post(
        "/api/v1/alerts/rules",
        data={"name": "not mine to make", "metric": "error_rate", "window_minutes": 5, "threshold": 5},
        headers={"X-API-Key": seeded.api_key},
    )
    assert refused.status == 403
    assert not AlertRule.objects.exists()


def test_a_channel_secret_is_never_shown_again_and_a_test_notification_arrives(page, login, admin, receiver):  # noqa: F811
    login(page)
    open_alerts(page)
    page.get_by_test_id("channels-new").click()
    page.get_by_test_id("channel-name").fill("ops hook")
    page.get_by_test_id("channel-kind").select_option("webhook")
    page.get_by_test_id("channel-target").fill(receiver.url)
    page.get_by_test_id("channel-secret").fill(SECRET)
    page.get_by_test_id("channel-save").click()

    row = page.locator('[data-testid="channel-row"][data-name="ops hook"]')
    expect(row.get_by_test_id("channel-secret-state")).to_have_text("secret set")
    assert Channel.objects.get(name="ops hook").has_secret
    expect(page.get_by_test_id("channel-save")).to_have_count(0)  # the dialog (and what was typed) is gone
    assert SECRET not in page.content()
    assert SECRET not in page.request.get("/api/v1/alerts/channels").text()

    # Editing it shows that a secret is set, never the secret; saving without typing one keeps it.
    row.get_by_test_id("channel-edit").click()
    secret_field = page.get_by_test_id("channel-secret")
    expect(secret_field).to_have_value("")
    expect(secret_field).to_have_attribute("placeholder", "secret set: type a new one to replace it")
    page.get_by_test_id("channel-save").click()
    expect(row.get_by_test_id("channel-secret-state")).to_have_text("secret set")

    row.get_by_test_id("channel-test").click()
    expect(page.get_by_test_id("channel-test-result")).to_have_attribute("data-delivered", "true")
    assert len(receiver.received) == 1
    headers = {name.lower() for name in receiver.received[0][0]}
    assert "x-malti-signature" in headers, headers  # signed with the secret the page never showed


def test_an_admin_mutes_a_rule_with_a_reason_and_unmutes_it(page, login, admin, payments):
    AlertRule.objects.create(
        tenant=payments.tenant, name="payments slow", metric="p95_latency", service=payments, threshold=500
    )
    login(page)
    open_alerts(page)
    row = page.locator('[data-testid="rule-row"][data-name="payments slow"]')
    row.get_by_test_id("rule-mute").click()
    page.get_by_test_id("mute-preset-4h").click()
    page.get_by_test_id("mute-reason").fill("planned maintenance")
    page.get_by_test_id("mute-save").click()
    expect(row.get_by_test_id("rule-muted")).to_contain_text("planned maintenance")
    rule = AlertRule.objects.get(name="payments slow")
    assert rule.mute_reason == "planned maintenance"
    assert timedelta(hours=3, minutes=58) < rule.muted_until - datetime.now(UTC) <= timedelta(hours=4)

    row.get_by_test_id("rule-unmute").click()
    expect(row.get_by_test_id("rule-muted")).to_have_count(0)
    rule.refresh_from_db()
    assert rule.muted_until is None
