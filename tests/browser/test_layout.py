import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# The seeded traffic spans the last five hours (ingest refuses rows older than raw retention).
SCREENSHOT_VIEW = "/?range=6h"
# The dashboard's main panels, in page order.
PANELS = [
    "metric-cards",
    "panel-status",
    "panel-latency",
    "panel-endpoints",
    "panel-consumers",
    "panel-status-codes",
    "panel-nodes",
]
TABLET = {"width": 1024, "height": 768}
# Panels that share a row from a width on (the grids' lg and md breakpoints), left to right.
ROWS = [(1200, "panel-status", "panel-latency"), (900, "panel-consumers", "panel-status-codes")]
EDGE = 1  # px of rounding a box may be off by


def wait_for_chart(page):
    expect(page.get_by_test_id("latency-chart").locator(".recharts-line").first).to_be_visible()
    page.mouse.move(0, 0)  # no chart tooltip in the picture


def boxes(page) -> dict:
    """Each panel's bounding box, all taken at the same scroll position."""
    found = {}
    for panel in PANELS:
        expect(page.get_by_test_id(panel)).to_be_visible()
        found[panel] = page.get_by_test_id(panel).bounding_box()
    return found


def overlap(a, b) -> bool:
    return (
        a["x"] + a["width"] > b["x"] + EDGE
        and b["x"] + b["width"] > a["x"] + EDGE
        and a["y"] + a["height"] > b["y"] + EDGE
        and b["y"] + b["height"] > a["y"] + EDGE
    )


def layout_problems(page, width: int) -> list[str]:
    """Every way the page departs from the layout: sideways scrolling, panels cut off, overlapping or out of place."""
    problems = []
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        problems.append(f"the page scrolls sideways: {scroll_width}px wide in a {width}px viewport")
    found = boxes(page)
    for panel, box in found.items():
        if box["width"] < 100 or box["height"] < 40:
            problems.append(f"{panel} is too small to read: {box}")
        if box["x"] < -EDGE or box["x"] + box["width"] > width + EDGE:
            problems.append(f"{panel} leaves the viewport: x {box['x']:.0f} to {box['x'] + box['width']:.0f}")
    for i, first in enumerate(PANELS):
        for second in PANELS[i + 1 :]:
            if overlap(found[first], found[second]):
                problems.append(f"{first} and {second} overlap")
    for from_width, left, right in ROWS:
        a, b = found[left], found[right]
        beside = abs(a["y"] - b["y"]) <= EDGE and a["x"] + a["width"] <= b["x"] + EDGE
        if width >= from_width and not beside:
            problems.append(f"{left} and {right} should share a row at {width}px")
        if width < from_width and beside:
            problems.append(f"{left} and {right} should be stacked at {width}px")
    # Otherwise in page order, top to bottom.
    tops = [found[panel]["y"] for panel in PANELS]
    if any(later < earlier - EDGE for earlier, later in zip(tops, tops[1:], strict=False)):
        problems.append(f"panels out of order: {dict(zip(PANELS, tops, strict=True))}")
    return problems


@pytest.mark.parametrize(
    ("name", "viewport", "options"),
    [
        ("desktop", DESKTOP, {}),
        ("tablet", TABLET, {"has_touch": True}),
        ("phone", PHONE, {"is_mobile": True, "has_touch": True, "color_scheme": "dark"}),
    ],
)
def test_every_panel_is_visible_apart_and_within_the_width(open_page, login, name, viewport, options):
    page = open_page(viewport=viewport, **options)
    login(page, SCREENSHOT_VIEW)
    wait_for_chart(page)
    assert layout_problems(page, viewport["width"]) == []
    expect(page.get_by_test_id("logout")).to_be_visible()
    screenshot(page, name)


def test_the_layout_check_sees_an_overlap_and_sideways_scrolling(page, login):
    login(page, SCREENSHOT_VIEW)
    wait_for_chart(page)
    # Pull the endpoints up over the status panel and make the cards wider than the page.
    page.get_by_test_id("panel-endpoints").evaluate("el => { el.style.marginTop = '-600px'; }")
    page.get_by_test_id("metric-cards").evaluate("el => { el.style.minWidth = '2000px'; }")
    problems = " | ".join(layout_problems(page, DESKTOP["width"]))
    assert "scrolls sideways" in problems
    assert "metric-cards leaves the viewport" in problems
    assert "overlap" in problems


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
