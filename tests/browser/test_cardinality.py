"""The dashboard says when a service hit a cardinality limit (issue #19), and what its "(other)" rows are."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from playwright.sync_api import expect
from rest_framework.test import APIClient

from telemetry.models import CardinalityLimits
from tests.browser.conftest import LOADED
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, ServiceFactory, TenantFactory, UserFactory, service_key
from tests.telemetry.helpers import clean_telemetry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AGGREGATE = "/api/v1/metrics/aggregate?"
# Route names, not IDs: path normalisation (on by default) would fold numeric segments into {id} first.
ENDPOINTS = ["/alpha", "/beta", "/gamma", "/delta", "/epsilon"]
# Half an hour off UTC, so a time shown in UTC or in the wrong zone cannot match.
TIME_ZONE = "Asia/Kolkata"


def make_service(name: str, endpoint_limit: int, user):
    """A service of its own tenant, `user` a member, with every ENDPOINTS route called and rolled up."""
    tenant = TenantFactory(name=f"{name}-tenant")
    service = ServiceFactory(name=name, tenant=tenant)
    CardinalityLimits.objects.create(service=service, endpoint_limit=endpoint_limit)
    MembershipFactory(user=user, tenant=tenant)
    now = datetime.now(UTC)
    batch = [
        {
            "service": name,
            "method": "GET",
            "endpoint": endpoint,
            "status": 200,
            "response_time": 20 + i,
            "consumer": "web-app",
            "created_at": (now - timedelta(minutes=5 + i)).isoformat(),
        }
        for i, endpoint in enumerate(ENDPOINTS * 2)
    ]
    # The real ingest path, which runs the guard.
    response = APIClient().post(
        "/api/v1/ingest", {"requests": batch}, format="json", HTTP_X_API_KEY=service_key(service)
    )
    assert response.status_code == 200, response.content
    return service


@pytest.fixture
def users(transactional_db):
    clean_telemetry()
    return UserFactory(username="dora"), UserFactory(username="sam", is_staff=True)


def sign_in(page, username):
    page.goto("/")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()


def local_time(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(TIME_ZONE)).strftime("%H:%M")


def test_a_service_past_its_endpoint_limit_is_named_with_examples_and_advice(open_page, users):
    dora, _ = users
    make_service("checkout", endpoint_limit=2, user=dora)
    call_command("refresh_rollups", verbosity=0)
    page = open_page(timezone_id=TIME_ZONE)

    with page.expect_response(lambda r: AGGREGATE in r.url) as response_info:
        sign_in(page, "dora")
    page.locator(LOADED).first.wait_for()
    [hit] = response_info.value.json()["cardinality_limits"]
    assert (hit["service"], hit["dimension"], hit["limit"]) == ("checkout", "endpoint", 2)
    folded = set(ENDPOINTS) - {row["endpoint"] for row in response_info.value.json()["endpoints"]}
    assert len(folded) == 3 and set(hit["examples"]) <= folded and hit["examples"]

    notice = page.get_by_test_id("cardinality-notice")
    expect(notice).to_have_attribute("role", "status")  # read out, but never interrupting
    expect(notice).to_contain_text("checkout hit a cardinality limit")
    limit = notice.get_by_test_id("cardinality-limit")
    expect(limit).to_have_count(1)
    expect(limit).to_have_attribute("data-dimension", "endpoint")
    expect(limit).to_contain_text("checkout is over its endpoint limit of 2 distinct endpoints a day since")
    # Since when, in the browser's time zone.
    expect(limit.get_by_test_id("cardinality-since")).to_contain_text(local_time(hit["since"]))
    for example in hit["examples"]:
        expect(limit.get_by_test_id("cardinality-examples")).to_contain_text(example)
    expect(notice.get_by_test_id("cardinality-advice")).to_have_text(hit["advice"])
    # Dora is not staff: no way into admin is offered.
    expect(notice.get_by_test_id("cardinality-admin")).to_have_count(0)

    # The folded endpoints are one "(other)" row, which says what it is.
    other = page.get_by_test_id("endpoint-row").filter(has=page.get_by_test_id("endpoint-name").get_by_text("(other)"))
    expect(other).to_have_count(1)
    note = other.get_by_test_id("other-note")
    expect(note).to_have_text("Endpoints past the service's limit")
    expect(note).to_have_attribute(
        "title", re.compile(r"^New endpoints beyond the service's cardinality limit .*\(other\)")
    )
    expect(page.get_by_test_id("endpoint-row")).to_have_count(3)
    expect(page.get_by_test_id("other-note")).to_have_count(1)  # the admitted endpoints have none


def test_staff_are_offered_the_service_in_admin(open_page, users):
    _, sam = users
    make_service("checkout", endpoint_limit=2, user=sam)
    call_command("refresh_rollups", verbosity=0)
    page = open_page()
    sign_in(page, "sam")
    link = page.get_by_test_id("cardinality-notice").get_by_test_id("cardinality-admin")
    expect(link).to_have_attribute("href", "/admin/accounts/service/?q=checkout")
    expect(link).to_have_text("Change checkout's limits in admin")


def test_a_service_within_its_limits_shows_no_notice(open_page, users):
    dora, _ = users
    make_service("catalog", endpoint_limit=len(ENDPOINTS), user=dora)
    call_command("refresh_rollups", verbosity=0)
    page = open_page()

    with page.expect_response(lambda r: AGGREGATE in r.url) as response_info:
        sign_in(page, "dora")
    page.locator(LOADED).first.wait_for()
    assert response_info.value.json()["cardinality_limits"] == []
    expect(page.get_by_test_id("endpoint-row")).to_have_count(len(ENDPOINTS))
    expect(page.get_by_test_id("cardinality-notice")).to_have_count(0)
    expect(page.get_by_test_id("other-note")).to_have_count(0)
