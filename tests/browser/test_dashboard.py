import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from playwright.sync_api import expect
from rest_framework.test import APIClient

from tests.browser import traffic
from tests.factories import service_key

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AGGREGATE = "/api/v1/metrics/aggregate?"
REALTIME = "/api/v1/metrics/aggregate/realtime?"


def duration(ms) -> str:
    """The dashboard's formatDuration for values under a second."""
    if ms < 100:
        return f"{ms:.1f}".removesuffix(".0") + " ms"
    return f"{round(ms):,} ms"


def card_value(page, card: str) -> str:
    return page.get_by_test_id(f"card-{card}-value").inner_text()


def query_of(url: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_the_cards_show_the_same_numbers_as_the_api(page, login, seeded):
    with page.expect_response(lambda r: AGGREGATE in r.url) as response_info:
        login(page)
    response = response_info.value
    summary = response.json()["metrics_summary"]

    # The API counts everything seeded in the last day, and so do the cards.
    assert summary["total_requests"] == traffic.total()
    expect(page.get_by_test_id("card-total-requests-value")).to_have_text(f"{summary['total_requests']:,}")
    expect(page.get_by_test_id("card-total-requests")).to_contain_text(f"{summary['error_count']:,} errors")
    expect(page.get_by_test_id("card-p95-latency-value")).to_have_text(duration(summary["p95_latency"]))
    expect(page.get_by_test_id("card-max-latency-value")).to_have_text(duration(summary["max_latency"]))
    # The error-rate and latency cards are judged against the thresholds (seeded: 9.7 % errors, 183 ms on average).
    expect(page.get_by_test_id("card-error-rate")).to_have_attribute("data-status", "warning")
    expect(page.get_by_test_id("card-avg-latency")).to_have_attribute("data-status", "healthy")

    # The same query asked directly gives the same totals.
    again = page.request.get(response.url).json()["metrics_summary"]
    assert again["total_requests"] == summary["total_requests"]
    assert again["error_count"] == summary["error_count"]


def test_changing_the_range_reloads_the_data_and_the_url(page, login, seeded):
    login(page)
    expect(page.get_by_test_id("card-total-requests-value")).to_have_text(f"{traffic.total():,}")

    with page.expect_response(lambda r: REALTIME in r.url) as response_info:
        page.get_by_test_id("range-1h").click()
    assert response_info.value.json()["interval"] == "1min"

    expect(page).to_have_url(re.compile(r"\?range=1h$"))
    expect(page.get_by_test_id("card-total-requests-value")).to_have_text(f"{traffic.total(recent_only=True):,}")
    expect(page.get_by_test_id("last-updated")).to_have_text(re.compile(r"^Updated \d\d:\d\d:\d\d$"))

    with page.expect_response(lambda r: AGGREGATE in r.url) as response_info:
        page.get_by_test_id("range-7d").click()
    params = query_of(response_info.value.url)
    assert set(params) >= {"start_time", "end_time"}
    expect(page).to_have_url(re.compile(r"\?range=7d$"))
    expect(page.get_by_test_id("card-total-requests-value")).to_have_text(f"{traffic.total():,}")


def test_filtering_by_service(page, login, seeded):
    login(page)
    options = page.get_by_test_id("filter-service").locator("option").all_inner_texts()
    assert options == ["All services", "accounts", "catalog", "checkout"]  # never another tenant's

    with page.expect_response(lambda r: AGGREGATE in r.url) as response_info:
        page.get_by_test_id("filter-service").select_option("catalog")
    assert query_of(response_info.value.url)["service"] == "catalog"

    expect(page).to_have_url(re.compile(r"\?service=catalog$"))
    expect(page.get_by_test_id("card-total-requests-value")).to_have_text(f"{traffic.total(service='catalog'):,}")
    expect(page.get_by_test_id("endpoint-name")).to_have_text(["/search", "/products/{sku}"])


def test_clicking_an_endpoint_filters_by_it(page, login, seeded):
    login(page)
    row = page.get_by_test_id("endpoint-row").filter(has=page.get_by_text("/api/orders", exact=True))

    with page.expect_response(lambda r: AGGREGATE in r.url) as response_info:
        row.click()
    params = query_of(response_info.value.url)
    assert (params["endpoint"], params["service"]) == ("/api/orders", "checkout")

    expect(page).to_have_url(re.compile(r"service=checkout&endpoint=%2Fapi%2Forders"))
    expect(page.get_by_test_id("filter-endpoint")).to_have_value("/api/orders")
    expect(page.get_by_test_id("card-total-requests-value")).to_have_text(f"{traffic.total(endpoint='/api/orders'):,}")
    expect(page.get_by_test_id("endpoint-row")).to_have_count(1)

    # Back undoes the filter.
    page.go_back()
    expect(page.get_by_test_id("card-total-requests-value")).to_have_text(f"{traffic.total():,}")


def test_sorting_the_endpoints_table(page, login, seeded):
    login(page)
    names = page.get_by_test_id("endpoint-name")
    expect(names.first).to_have_text("/api/orders/{id}")  # most requests first

    page.get_by_test_id("sort-error_rate").click()
    expect(page).to_have_url(re.compile(r"sort=-error_rate"))
    expect(names.first).to_have_text("/login")  # every 4th fails: the highest error rate


def test_a_deep_link_reproduces_the_view(page, login, seeded):
    link = "/?range=1h&service=checkout&endpoint=%2Fapi%2Forders%2F%7Bid%7D&log=1&sort=-error_rate"
    with page.expect_response(lambda r: REALTIME in r.url) as response_info:
        login(page, link)
    params = query_of(response_info.value.url)
    assert (params["service"], params["endpoint"]) == ("checkout", "/api/orders/{id}")

    expect(page.get_by_test_id("range-1h")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("filter-service")).to_have_value("checkout")
    expect(page.get_by_test_id("filter-endpoint")).to_have_value("/api/orders/{id}")
    expect(page.get_by_test_id("log-scale")).to_be_checked()
    expected = traffic.total(recent_only=True, endpoint="/api/orders/{id}")
    expect(page.get_by_test_id("card-total-requests-value")).to_have_text(f"{expected:,}")
    assert page.url.endswith(link)


def test_a_custom_range_is_picked_in_local_time_and_sent_in_utc(open_page, login, seeded):
    zone = ZoneInfo("Europe/Berlin")
    page = open_page(timezone_id="Europe/Berlin")
    login(page)
    start = (seeded.seeded_at - timedelta(hours=6)).replace(second=0, microsecond=0)
    end = (seeded.seeded_at + timedelta(minutes=10)).replace(second=0, microsecond=0)

    page.get_by_test_id("range-custom").click()
    page.get_by_test_id("custom-start").fill(start.astimezone(zone).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_test_id("custom-end").fill(end.astimezone(zone).strftime("%Y-%m-%dT%H:%M"))
    with page.expect_response(lambda r: AGGREGATE in r.url) as response_info:
        page.get_by_test_id("custom-apply").click()

    utc = "%Y-%m-%dT%H:%M:%SZ"
    params = query_of(response_info.value.url)
    assert (params["start_time"], params["end_time"]) == (start.strftime(utc), end.strftime(utc))
    assert query_of(page.url) == {"range": "custom", "start": start.strftime(utc), "end": end.strftime(utc)}
    expect(page.get_by_test_id("card-total-requests-value")).to_have_text(f"{traffic.total():,}")


def test_an_empty_range_says_so_instead_of_showing_zeros(page, login, seeded):
    login(page, "/?range=custom&start=2026-01-01T00:00:00Z&end=2026-01-02T00:00:00Z")

    expect(page.get_by_test_id("empty-state")).to_contain_text("No requests in this range")
    expect(page.get_by_test_id("card-total-requests")).to_have_count(0)


def test_the_panels_show_the_seeded_traffic(page, login, seeded):
    login(page)
    expect(page.get_by_test_id("system-status")).to_be_visible()
    expect(page.get_by_test_id("service-status-row")).to_have_count(3)
    assert sorted(page.get_by_test_id("consumer-name").all_inner_texts()) == sorted(traffic.CONSUMERS)
    assert page.get_by_test_id("node-chip").all_inner_texts() == list(traffic.NODES)
    assert page.get_by_test_id("context-chip").all_inner_texts() == sorted(traffic.CONTEXTS)
    expect(page.get_by_test_id("status-service")).to_have_count(3)

    page.get_by_test_id("status-service").filter(has_text="checkout").get_by_test_id("status-expand").click()
    codes = page.get_by_test_id("status-code").all_inner_texts()
    assert [code.split(" ")[0] for code in codes] == ["200", "304", "404", "500"]

    expect(page.get_by_test_id("latency-chart").locator(".recharts-line")).to_have_count(6)
    page.get_by_test_id("log-scale").check()
    expect(page).to_have_url(re.compile(r"log=1"))


def test_an_api_error_shows_a_banner_with_retry(page, login, seeded):
    login(page)
    # A start after the end is refused by the API with a 422.
    page.goto("/?range=custom&start=2026-01-02T00:00:00Z&end=2026-01-01T00:00:00Z")
    expect(page.get_by_test_id("card-total-requests")).to_be_visible()  # an invalid link falls back to 24h

    page.route("**/api/v1/metrics/aggregate?**", lambda route: route.fulfill(status=500, json={"detail": "Boom."}))
    page.get_by_test_id("refresh").click()
    expect(page.get_by_test_id("error-banner")).to_contain_text("Boom.")
    page.unroute("**/api/v1/metrics/aggregate?**")

    page.get_by_test_id("retry").click()
    expect(page.get_by_test_id("error-banner")).to_have_count(0)
    expect(page.get_by_test_id("card-total-requests-value")).to_have_text(f"{traffic.total():,}")
    page.console.expect("500")


def test_the_last_hour_refreshes_every_30_seconds(page, login, seeded):
    page.clock.install()
    login(page, "/?range=1h")
    with page.expect_request(lambda r: REALTIME in r.url):
        page.clock.run_for("00:31")


def test_invisible_and_bidi_characters_are_shown_as_escapes_and_filter_exactly(page, login, seeded):
    sneaky = {"consumer": "web\u200bapp", "endpoint": "/api/\u202eorders", "node": "node\u00a03"}
    record = {"service": "catalog", "method": "GET", "status": 200, "response_time": 12, **sneaky}
    record["created_at"] = (seeded.seeded_at - timedelta(minutes=5)).isoformat()
    response = APIClient().post(
        "/api/v1/ingest", {"requests": [record]}, format="json", HTTP_X_API_KEY=service_key(seeded.services["catalog"])
    )
    assert response.status_code == 200, response.content
    call_command("refresh_rollups", verbosity=0)
    login(page)

    expect(page.get_by_test_id("consumer-name").filter(has_text="web⟨U+200B⟩app")).to_have_count(1)
    expect(page.get_by_test_id("endpoint-name").filter(has_text="/api/⟨U+202E⟩orders")).to_have_count(1)
    expect(page.get_by_test_id("node-chip").filter(has_text="node⟨U+00A0⟩3")).to_have_count(1)
    options = page.get_by_test_id("filter-consumer").locator("option").all_inner_texts()
    assert "web⟨U+200B⟩app" in options and "web\u200bapp" not in options

    with page.expect_response(lambda r: AGGREGATE in r.url) as response_info:
        page.get_by_test_id("filter-consumer").select_option("web\u200bapp")
    assert response_info.value.status == 200
    assert query_of(response_info.value.url)["consumer"] == "web\u200bapp"
    expect(page.get_by_test_id("card-total-requests-value")).to_have_text("1")
