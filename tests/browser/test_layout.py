import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# The seeded traffic spans the last five hours (ingest refuses rows older than raw retention).
SCREENSHOT_VIEW = "/?range=6h"


def wait_for_chart(page):
    expect(page.get_by_test_id("latency-chart").locator(".recharts-line").first).to_be_visible()
    page.mouse.move(0, 0)  # no chart tooltip in the picture


def test_desktop_screenshot(page, login):
    login(page, SCREENSHOT_VIEW)
    wait_for_chart(page)
    path = screenshot(page, "desktop")
    assert path.stat().st_size > 10_000


def test_a_phone_shows_everything_without_sideways_scrolling(open_page, login):
    page = open_page(viewport=PHONE, color_scheme="dark", is_mobile=True, has_touch=True)
    login(page, SCREENSHOT_VIEW)
    wait_for_chart(page)

    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for panel in ("metric-cards", "panel-status", "panel-latency", "panel-endpoints", "panel-consumers"):
        box = page.get_by_test_id(panel).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], panel
    expect(page.get_by_test_id("logout")).to_be_visible()
    screenshot(page, "phone")


def test_the_theme_toggle_is_remembered(open_page, login):
    page = open_page(viewport=DESKTOP, color_scheme="light")
    login(page)
    toggle = page.get_by_test_id("theme-toggle")
    expect(toggle).to_have_attribute("data-mode", "light")

    toggle.click()
    expect(toggle).to_have_attribute("data-mode", "dark")
    page.reload()
    expect(page.get_by_test_id("theme-toggle")).to_have_attribute("data-mode", "dark")
    wait_for_chart(page)
    screenshot(page, "desktop-dark")
