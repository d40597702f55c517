"""The HTML shell that serves the dashboard bundle (no browser needed)."""

import re

import pytest
from django.contrib.staticfiles.storage import StaticFilesStorage

from dashboard_ui import vite

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(dashboard_bundle):
    return vite.load_bundle()


def test_it_serves_the_shell_with_the_hashed_bundle(client, built):
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'src="/static/{built.script}"' in html
    assert re.search(r"/static/dashboard_ui/assets/main-[\w-]+\.js", html)
    assert response.cookies["csrftoken"].value
    assert "no-store" in response["Cache-Control"]


class RehashingStorage(StaticFilesStorage):
    """Stands in for ManifestStaticFilesStorage, which renames files a second time."""

    def url(self, name):
        return super().url(name).replace(".js", ".django-hash.js").replace(".svg", ".django-hash.svg")


def test_it_links_the_bundle_by_vites_names_whatever_the_storage(client, built, settings):
    # Chunks import each other by Vite's names; a second name for the entry would
    # make the browser load and run it twice.
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": f"{__name__}.RehashingStorage"}}

    html = client.get("/").content.decode()

    assert f'src="/static/{built.script}"' in html
    for preload in built.preloads:
        assert f'<link rel="modulepreload" href="/static/{preload}">' in html
    assert ".django-hash.js" not in html
    assert "favicon.django-hash.svg" in html  # everything else goes through {% static %}


def test_it_serves_the_shell_for_client_side_routes(client, built):
    assert client.get("/services/checkout?range=7d").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/nope", "/admin/nope", "/static/nope.js", "/health/nope"])
def test_it_never_swallows_the_api_admin_static_or_health(client, built, path):
    response = client.get(path)

    assert response.status_code == 404 or b'id="root"' not in response.content


def test_it_runs_no_inline_script(client, built):
    html = client.get("/").content.decode()

    for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S):
        assert 'src="' in attributes or 'type="application/json"' in attributes, attributes
        if 'src="' in attributes:
            assert not body.strip()


def test_it_tells_the_spa_whether_a_session_came_with_the_page(client, built, user):
    assert '"authenticated": false' in client.get("/").content.decode()
    client.force_login(user)
    assert '"authenticated": true' in client.get("/").content.decode()


def test_it_answers_503_with_instructions_when_the_bundle_is_missing(client, monkeypatch, tmp_path):
    monkeypatch.setattr(vite, "APP_STATIC", tmp_path)
    monkeypatch.setattr("django.conf.settings.STATIC_ROOT", tmp_path / "collected")

    response = client.get("/")

    assert response.status_code == 503
    assert b"scripts/build-dashboard.sh" in response.content


def test_the_manifest_lists_css_and_static_imports(tmp_path, monkeypatch):
    (tmp_path / "dashboard_ui").mkdir()
    (tmp_path / "dashboard_ui" / "manifest.json").write_text(
        '{"src/main.jsx": {"file": "assets/main-abc.js", "isEntry": true, "imports": ["_vendor.js"],'
        ' "css": ["assets/main-abc.css"]},'
        ' "_vendor.js": {"file": "assets/vendor-def.js", "css": ["assets/vendor-def.css"]}}'
    )
    monkeypatch.setattr(vite, "APP_STATIC", tmp_path)

    bundle = vite.load_bundle()

    assert bundle.script == "dashboard_ui/assets/main-abc.js"
    assert bundle.styles == ("dashboard_ui/assets/main-abc.css", "dashboard_ui/assets/vendor-def.css")
    assert bundle.preloads == ("dashboard_ui/assets/vendor-def.js",)
