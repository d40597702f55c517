import os
import secrets
import subprocess
import sys

from django.conf import settings


def test_production_settings_pass_the_deployment_checklist():
    env = {
        **os.environ,
        "MALTI_SECRET_KEY": secrets.token_urlsafe(50),
        "MALTI_ALLOWED_HOSTS": "malti.example.com",
        "MALTI_SSL_REDIRECT": "1",
        "MALTI_REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    # DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser tests' Playwright, never in production.
    for name in ("MALTI_DEBUG", "MALTI_SECURE_COOKIES", "MALTI_HSTS_SECONDS", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALTI_SECRET_KEY")}
    env.pop("MALTI_DEBUG", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "MALTI_SECRET_KEY" in result.stderr
