"""The request explorer: from a bar, an endpoint or a status code to the records behind it, page by page, by link."""

import re
from collections import Counter
from datetime import datetime

import pytest
from playwright.sync_api import expect

from tests.browser import traffic
from tests.browser.conftest import Console
from tests.browser.test_dashboard import AGGREGATE, query_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REQUESTS = "/api/v1/requests?"
# Each shown record's fields, read from the table (its time from the cell's title).
READ_ROWS = """rows => rows.map(row => {
  const cell = (key) => row.querySelector(`[data-testid="request-${key}"]`).innerText.trim();
  return {
    created_at: row.querySelector('[data-testid="request-created_at"] [title]').title,
    service: cell('service'), node: cell('node'), method: cell('method'), endpoint: cell('endpoint'),
    status: Number(cell('status')), response_time: Number(cell('response_time').replace(/[ ,]|ms/g, '')),
    consumer: cell('consumer'), context: cell('context'),
  };
})"""
FIELDS = ("service", "node", "method", "endpoint", "status", "response_time", "consumer", "context")


def shown(page) -> list[dict]:
    return page.get_by_test_id("request-row").evaluate_all(READ_ROWS)


def as_records(rows) -> Counter:
    """Records as comparable tuples, counted: equal Counters mean no record repeated, missing or extra."""
    return Counter(tuple(row[field] for field in FIELDS) for row in rows)


def seeded_records(seeded, **match) -> list[dict]:
    """The seeded records of Alice's services (traffic.py) that match `match`."""
    visible = [r for service in traffic.SERVICES for r in traffic.records(seeded.seeded_at)[service]]
    return [r for r in visible if all(r[key] == value for key, value in match.items())]


def load_every_page(page) -> list[dict]:
    """Click "Load more" until the last page is in: every record shown."""
    more = page.get_by_test_id("explorer-load-more")
    rows = page.get_by_test_id("request-row")
    expect(rows.first.or_(page.get_by_test_id("explorer-empty"))).to_be_visible()
    while more.count():
        before = rows.count()
        with page.expect_response(lambda r: REQUESTS in r.url and "cursor=" in r.url):
            more.click()
        expect(rows).not_to_have_count(before)
    return shown(page)


def parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def test_clicking_a_bar_lists_the_records_behind_it(page, login, seeded):
    with page.expect_response(lambda r: AGGREGATE in r.url) as aggregate:
        login(page)
    buckets = {parse(b["bucket"]): b for b in aggregate.value.json()["time_series"]}
    chart = page.get_by_test_id("latency-chart")
    bars = chart.locator(".recharts-bar-rectangle path")
    expect(bars.first).to_be_visible()
    page.wait_for_load_state("networkidle")  # the page's layout settled: no panel still growing
    boxes = [bar.bounding_box() for bar in bars.all()]
    tallest = max(boxes, key=lambda box: box["height"])

    # By position, as a user: hover first, as the chart picks its bucket from the hovered one
    # (a click without a move would take the bucket under the pointer's last position).
    x, y = tallest["x"] + tallest["width"] / 2, tallest["y"] + tallest["height"] / 2
    page.mouse.move(x, y)
    expect(chart.locator(".recharts-tooltip-wrapper")).to_contain_text("requests")
    with page.expect_response(lambda r: REQUESTS in r.url) as first_page:
        page.mouse.click(x, y)
    expect(page).to_have_url(re.compile(r"\?page=requests&range=custom&start=.+&end=.+"))
    view = query_of(page.url)
    start, end = parse(view["start"]), parse(view["end"])
    bucket = buckets[start]
    assert (end - start).total_seconds() == 300  # the dashboard's 24 hours come in 5-minute buckets
    assert bucket["total_requests"] > 1

    # The explorer counts what the bar counts, and lists exactly that many records, all in the bucket.
    answer = first_page.value.json()
    assert (answer["start_time"], answer["end_time"]) == (view["start"], view["end"])
    assert answer["total"] == bucket["total_requests"]
    total = f"{bucket['total_requests']:,} matching request"
    expect(page.get_by_test_id("explorer-summary")).to_contain_text(total)
    expect(page.get_by_test_id("explorer-source")).to_have_attribute("data-source", "raw")
    rows = load_every_page(page)
    assert len(rows) == bucket["total_requests"]
    assert all(start <= parse(row["created_at"]) < end for row in rows)
    assert sum(row["status"] >= 400 for row in rows) == bucket["error_count"]
    expected = [r for r in seeded_records(seeded) if start <= datetime.fromisoformat(r["created_at"]) < end]
    assert as_records(rows) == as_records(expected)

    # Back returns to the dashboard as it was.
    page.go_back()
    expect(page.get_by_test_id("card-total-requests-value")).to_have_text(f"{traffic.total():,}")


def test_an_endpoints_magnifier_lists_exactly_its_records(page, login, seeded):
    login(page)
    row = page.get_by_test_id("endpoint-row").filter(has=page.get_by_text("/api/orders", exact=True))

    with page.expect_response(lambda r: REQUESTS in r.url) as first_page:
        row.get_by_test_id("endpoint-explore").click()
    params = query_of(first_page.value.url)
    assert (params["service"], params["method"], params["endpoint"]) == ("checkout", "POST", "/api/orders")
    expect(page).to_have_url(re.compile(r"\?page=requests&service=checkout&endpoint=%2Fapi%2Forders&method=POST$"))
    expect(page.get_by_test_id("nav-requests")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("filter-endpoint")).to_have_value("/api/orders")

    expected = seeded_records(seeded, service="checkout", method="POST", endpoint="/api/orders")
    assert len(expected) == traffic.total(endpoint="/api/orders")
    rows = load_every_page(page)
    assert as_records(rows) == as_records(expected)
    # Newest first.
    times = [parse(row["created_at"]) for row in rows]
    assert times == sorted(times, reverse=True)


def test_a_status_code_lists_its_records(page, login, seeded):
    login(page)
    status = page.get_by_test_id("status-service").filter(has_text="checkout")
    status.get_by_test_id("status-expand").click()
    chip = status.get_by_test_id("status-code").filter(has_text=re.compile(r"^500 "))
    count = int(chip.inner_text().split("·")[1].replace(",", ""))

    chip.click()
    expect(page).to_have_url(re.compile(r"\?page=requests&service=checkout&status=500$"))
    rows = load_every_page(page)
    assert len(rows) == count
    assert as_records(rows) == as_records(seeded_records(seeded, service="checkout", status=500))


def test_the_copied_link_reproduces_the_view(page, login, seeded):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    login(page, "/?range=6h")
    page.get_by_test_id("nav-requests").click()
    page.get_by_test_id("filter-service").select_option("catalog")
    page.get_by_test_id("filter-status_class").select_option("error")
    with page.expect_response(lambda r: REQUESTS in r.url and "sort=latency" in r.url):
        page.get_by_test_id("explorer-sort-latency").click()
    expect(page).to_have_url(re.compile(r"\?page=requests&range=6h&service=catalog&status_class=error&sort=latency$"))
    expect(page.get_by_test_id("request-row").first).to_be_visible()
    rows = shown(page)
    assert rows and all(row["service"] == "catalog" and row["status"] >= 400 for row in rows)
    assert as_records(rows) == as_records([r for r in seeded_records(seeded, service="catalog") if r["status"] >= 400])
    latencies = [row["response_time"] for row in rows]
    assert latencies == sorted(latencies, reverse=True)  # slowest first

    page.get_by_test_id("explorer-copy-link").click()
    expect(page.get_by_test_id("explorer-copy-status")).to_have_text("Link copied")
    link = page.evaluate("navigator.clipboard.readText()")
    view = query_of(link)
    # The range is pinned to the one the records were read for: the link shows the same records later on.
    assert view["page"] == "requests" and view["range"] == "custom"
    assert (view["service"], view["status_class"], view["sort"]) == ("catalog", "error", "latency")

    other = page.context.new_page()
    other.console = Console(other)
    with other.expect_response(lambda r: REQUESTS in r.url):
        other.goto(link)
    expect(other.get_by_test_id("request-row")).to_have_count(len(rows))
    assert shown(other) == rows
    assert other.console.errors == [] and other.console.dialogs == []


def test_load_more_pages_through_every_record_once(page, login, seeded):
    login(page)
    with page.expect_response(lambda r: REQUESTS in r.url) as first_page:
        page.get_by_test_id("nav-requests").click()
    expect(page).to_have_url(re.compile(r"\?page=requests$"))
    # The last 24 hours reach back past raw retention: the older part comes from the sample.
    answer = first_page.value.json()
    assert answer["source"] == "mixed" and answer["total"] is None
    expect(page.get_by_test_id("explorer-source")).to_contain_text(answer["sample_note"])
    expect(page.get_by_test_id("request-row")).to_have_count(100)
    expect(page.get_by_test_id("explorer-summary")).to_have_text("Showing 100 requests, more match · newest first")

    rows = load_every_page(page)
    assert len(rows) == traffic.total()
    assert as_records(rows) == as_records(seeded_records(seeded))
    times = [parse(row["created_at"]) for row in rows]
    assert times == sorted(times, reverse=True)
    expect(page.get_by_test_id("explorer-summary")).to_have_text(f"Showing {traffic.total()} requests · newest first")

    # The export asks for the same records as CSV.
    href = page.get_by_test_id("explorer-export").get_attribute("href")
    assert query_of(href)["format"] == "csv" and query_of(href)["start_time"] == answer["start_time"]
    csv = page.request.get(href)
    assert csv.status == 200 and csv.headers["content-type"].startswith("text/csv")
    assert len(csv.text().strip().splitlines()) == 1 + traffic.total()

    # And the page links lead back to the dashboard.
    page.get_by_test_id("nav-dashboard").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_test_id("card-total-requests-value")).to_have_text(f"{traffic.total():,}")
