import pytest
from playwright.sync_api import expect

from tests.browser import traffic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_endpoint_named_like_html_is_shown_as_text_and_runs_nothing(page, login, seeded):
    login(page)

    name = page.get_by_test_id("endpoint-name").filter(has_text="onerror")
    expect(name).to_have_text(traffic.XSS_ENDPOINT)
    assert page.locator("img[src='x']").count() == 0

    # Selecting it puts it in a <select>, the URL and the API query, still as text.
    page.get_by_test_id("endpoint-row").filter(has=name).click()
    expect(page.get_by_test_id("filter-endpoint")).to_have_value(traffic.XSS_ENDPOINT)
    expect(page.get_by_test_id("card-total-requests-value")).to_have_text("7")
    page.reload()
    expect(page.get_by_test_id("card-total-requests-value")).to_have_text("7")
    assert page.locator("img[src='x']").count() == 0
    # The page fixture fails the test if a dialog (alert) opened.


def test_the_page_runs_under_the_content_security_policy(page, seeded):
    response = page.goto("/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp
    # Every script is an external file or non-executable JSON config.
    for script in page.locator("script").all():
        assert script.get_attribute("src") or script.get_attribute("type") == "application/json"
    expect(page.get_by_test_id("login-username")).to_be_visible()
    # A CSP violation would be a console error, which the page fixture refuses.


def test_another_tenants_service_is_never_offered(page, login, seeded):
    login(page)
    page.goto(f"/?service={traffic.OTHER_TENANT_SERVICE}")

    expect(page.get_by_test_id("empty-state")).to_be_visible()
    assert traffic.OTHER_TENANT_SERVICE not in page.get_by_test_id("filter-endpoint").inner_text()
