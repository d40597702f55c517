"""Fixtures for the reliability suites: keys of every kind, a clean slate, a live server."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import ApiKey
from tests.conftest import utc_now
from tests.factories import UserFactory, service_key, user_key

ROOT = Path(__file__).resolve().parents[2]
FAULTS = Path(__file__).resolve().parent / "test_faults.py"


def pytest_collection_modifyitems(config, items):
    """Run the tests that restart PostgreSQL or kill a refresher last, after every other test of the run."""
    last = [item for item in items if item.path == FAULTS and item.get_closest_marker("slow")]
    if last:
        moved = {id(item) for item in last}
        items[:] = [item for item in items if id(item) not in moved] + last


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's million rounds cost half a second per user created.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def keys(service, user):
    """A key of every kind the ingest endpoint may be sent, by name."""
    from datetime import timedelta

    revoked, revoked_raw = ApiKey.issue(service=service)
    revoked.revoke()
    inactive_user = UserFactory(username="mallory", is_active=False)
    return {
        "service": service_key(service),
        "user": user_key(user),
        "revoked": revoked_raw,
        "expired": service_key(service, expires_at=utc_now() - timedelta(seconds=1)),
        "expired-user": user_key(user, expires_at=utc_now() - timedelta(seconds=1)),
        "inactive-user": user_key(inactive_user),
        "unknown": "malti_s_" + "x" * 40,
        "none": None,
        "empty": "",
        "blank": "   ",
        "huge": "malti_s_" + "k" * 20_000,
        "latin-1": "malti_s_cl\u00e9",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The pytest test database, as a URL a server process can use."""
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class LiveServer:
    def __init__(self, url: str, process: subprocess.Popen, log: Path):
        self.url = url
        self.process = process
        self.log = log

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def live_server(tmp_path: Path, *, workers: int = 2, gunicorn_args: Sequence[str] = (), **env_overrides):
    """gunicorn with uvicorn workers, as in production, serving the pytest test database.

    gunicorn_args go after the usual ones, e.g. a second `-b` address shared with other servers.
    """
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "MALTI_SECRET_KEY": "reliability-live-server-secret-0123456789-abcdefghij",
        "MALTI_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "MALTI_SECURE_COOKIES": "0",
        "MALTI_RATELIMIT_ENABLE": "0",
        "LOG_LEVEL": "WARNING",
        "HOME": str(tmp_path),
        # gunicorn's default (127.0.0.1,::1) has uvicorn replace the client address
        # with X-Forwarded-For for loopback peers before Django runs; Malti's own
        # MALTI_TRUSTED_PROXIES must decide instead.
        "FORWARDED_ALLOW_IPS": "",
        **env_overrides,
    }
    log = tmp_path / "server.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "malti_site.asgi:application",
            "-k",
            "uvicorn_worker.UvicornWorker",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--reuse-port",  # as scripts/run.sh and the Docker image serve
            "--no-control-socket",
            "--graceful-timeout",
            "5",
            *gunicorn_args,
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}:\n{server.log_tail()}")
            try:
                with urllib.request.urlopen(server.url + "/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer within 30 s:\n{server.log_tail()}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
