import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_signs_in_with_a_password(page, seeded):
    page.goto("/")
    page.get_by_test_id("login-username").fill(seeded.username)
    page.get_by_test_id("login-password").fill(seeded.password)
    page.get_by_test_id("login-submit").click()

    expect(page.get_by_test_id("card-total-requests")).to_be_visible()
    expect(page.get_by_test_id("user-name")).to_have_text("alice")


def test_it_signs_in_with_an_api_key(page, seeded):
    page.goto("/")
    page.get_by_test_id("login-tab-apikey").click()
    page.get_by_test_id("login-apikey").fill(seeded.api_key)
    page.get_by_test_id("login-submit").click()

    expect(page.get_by_test_id("card-total-requests")).to_be_visible()
    expect(page.get_by_test_id("user-name")).to_have_text("alice")


def test_it_says_why_a_wrong_password_was_refused(page, seeded):
    page.goto("/")
    page.get_by_test_id("login-username").fill(seeded.username)
    page.get_by_test_id("login-password").fill("not the password")
    page.get_by_test_id("login-submit").click()

    expect(page.get_by_test_id("login-error")).to_contain_text("Wrong username or password")
    expect(page.get_by_test_id("card-total-requests")).to_have_count(0)
    page.console.expect("(Unauthorized)", "(Forbidden)")


def test_it_refuses_an_unknown_api_key(page, seeded):
    page.goto("/")
    page.get_by_test_id("login-tab-apikey").click()
    page.get_by_test_id("login-apikey").fill("malti_not-a-real-key")
    page.get_by_test_id("login-submit").click()

    expect(page.get_by_test_id("login-error")).to_be_visible()
    page.console.expect("(Unauthorized)", "(Forbidden)")


def test_it_keeps_the_session_across_a_reload(page, login):
    login(page)
    page.reload()

    expect(page.get_by_test_id("card-total-requests")).to_be_visible()
    expect(page.get_by_test_id("login-username")).to_have_count(0)


def test_an_expired_session_returns_to_the_login_page_with_a_message(page, login):
    login(page)
    page.context.clear_cookies(name="sessionid")
    page.get_by_test_id("refresh").click()

    expect(page.get_by_test_id("login-message")).to_have_text("Your session has expired, please sign in again.")
    expect(page.get_by_test_id("login-username")).to_be_visible()
    page.console.expect("(Unauthorized)", "(Forbidden)")


def test_it_signs_out(page, login):
    login(page)
    page.get_by_test_id("logout").click()

    expect(page.get_by_test_id("login-message")).to_have_text("You have signed out.")
    assert page.request.get("/api/v1/auth/test").status == 401
    page.reload()
    expect(page.get_by_test_id("login-username")).to_be_visible()
