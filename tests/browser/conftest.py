"""Browser tests: the built dashboard, served by a live Django server, driven in Debian's Chromium.

Playwright's own browser builds cannot be downloaded here, so the tests launch
/usr/bin/chromium. Run them with `pytest tests/browser -m browser`.
"""

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.browser import traffic
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, ServiceFactory, TenantFactory, UserFactory, service_key, user_key
from tests.telemetry.helpers import clean_telemetry

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = os.environ.get("MALTI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1440, "height": 1000}
LOADED = ", ".join(f'[data-testid="{id}"]' for id in ("card-total-requests", "empty-state", "error-banner"))
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def dashboard_bundle():
    """Build the bundle if a source changed; a no-op (well under a second) when it is current."""
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "build-dashboard.sh")], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"scripts/build-dashboard.sh failed:\n{result.stdout}\n{result.stderr}", pytrace=False)


@pytest.fixture(scope="session")
def chromium():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} not found: apt-get install chromium (scripts/test.sh does)", pytrace=False)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM would
    # then refuse to run here. The tests stay synchronous, so lift that guard.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class Console:
    """What the page said: console errors, uncaught exceptions and dialogs (which must never open)."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.on("dialog", self._on_dialog)

    def _on_dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def expect(self, *fragments):
        """Forget errors the test provoked on purpose (e.g. the 401 of a wrong password)."""
        self.errors = [e for e in self.errors if not any(fragment in e for fragment in fragments)]


@pytest.fixture
def open_page(chromium, dashboard_bundle, live_server):
    """Open a page in a fresh browser profile (viewport, colour scheme, time zone...); its console is watched."""
    contexts, pages = [], []

    def make(viewport=DESKTOP, color_scheme="light", **kwargs):
        context = chromium.new_context(
            base_url=live_server.url, viewport=viewport, color_scheme=color_scheme, locale="en-GB", **kwargs
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.console = Console(page)
        pages.append(page)
        return page

    yield make
    try:
        # Every test ends with a clean console and without a single dialog.
        for page in pages:
            assert page.console.dialogs == [], f"a dialog opened: {page.console.dialogs}"
            assert page.console.errors == [], f"console errors: {page.console.errors}"
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def page(open_page):
    return open_page()


class Seeded:
    """Alice of tenant Demo, her services and keys, and the traffic of tests/browser/traffic.py."""

    username = "alice"
    password = PASSWORD

    def __init__(self, user, api_key, services, seeded_at):
        self.user = user
        self.api_key = api_key
        self.services = services
        self.seeded_at = seeded_at


@pytest.fixture(autouse=True)
def _live_server_settings(settings):
    """Settings for the live server thread, which reads the same settings object as the tests."""
    # PBKDF2's million rounds cost a second per login.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The live server's thread has its own cache connection, which the per-test key
    # prefix of tests/conftest.py does not reach: its rate-limit counters would add
    # up across tests (all from 127.0.0.1). Rate limits have their own tests.
    for name in ("MALTI_RATELIMIT_AUTH_TEST", "MALTI_RATELIMIT_LOGIN", "MALTI_RATELIMIT_METRICS"):
        setattr(settings, name, "100000/m")


@pytest.fixture
def seeded(transactional_db):
    clean_telemetry()
    demo = TenantFactory(name="Demo")
    rival = TenantFactory(name="Rival")
    services = {name: ServiceFactory(name=name, tenant=demo, description=d) for name, d in traffic.SERVICES.items()}
    services[traffic.OTHER_TENANT_SERVICE] = ServiceFactory(name=traffic.OTHER_TENANT_SERVICE, tenant=rival)
    alice = UserFactory(username=Seeded.username)
    MembershipFactory(user=alice, tenant=demo)

    now = datetime.now(UTC)
    client = APIClient()
    for name, batch in traffic.records(now).items():
        response = client.post(
            "/api/v1/ingest", {"requests": batch}, format="json", HTTP_X_API_KEY=service_key(services[name])
        )
        assert response.status_code == 200, response.content
    call_command("refresh_rollups", verbosity=0)
    return Seeded(alice, user_key(alice), services, now)


@pytest.fixture
def login(seeded):
    """Sign a page in with the password form; returns the page on the dashboard."""

    def sign_in(page, path="/"):
        page.goto(path)
        page.get_by_test_id("login-username").fill(seeded.username)
        page.get_by_test_id("login-password").fill(seeded.password)
        page.get_by_test_id("login-submit").click()
        # Data, an empty range or an error: whichever the view leads to.
        page.locator(LOADED).first.wait_for()
        return page

    return sign_in


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
