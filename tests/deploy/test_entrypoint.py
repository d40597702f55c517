"""The container entrypoint and its helpers, run here as the image runs them."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"


def entrypoint(*args, **env) -> subprocess.CompletedProcess:
    # The entrypoint calls `python`; make it this interpreter.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PATH": path, **env},
    )


def database_url(**changes) -> str:
    """The test run's database URL with some parts changed."""
    db = {**settings.DATABASES["default"], **changes}
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def test_it_runs_any_other_command_as_given():
    result = entrypoint("python", "-c", "print('as given')")
    assert result.returncode == 0
    assert result.stdout == "as given\n"


def test_it_refuses_the_example_database_password():
    result = entrypoint("web", DATABASE_URL="postgres://malti:change-me@timescaledb:5432/malti")
    assert result.returncode == 1
    assert "MALTI_DB_PASSWORD" in result.stderr


def test_it_refuses_the_example_admin_password():
    result = entrypoint("web", MALTI_ADMIN_USERNAME="admin", MALTI_ADMIN_PASSWORD="change-me")
    assert result.returncode == 1
    assert "MALTI_ADMIN_PASSWORD" in result.stderr


def test_it_gives_up_waiting_for_an_unreachable_database():
    result = entrypoint("web", DATABASE_URL=database_url(HOST="127.0.0.1", PORT=1), MALTI_DB_WAIT_TIMEOUT="2")
    assert result.returncode == 1
    assert "waiting for the database at 127.0.0.1:1/" in result.stdout
    assert "gave up after 2s" in result.stderr


def test_it_does_not_wait_for_a_database_that_does_not_exist():
    result = entrypoint("web", DATABASE_URL=database_url(NAME="malti_no_such_database"), MALTI_DB_WAIT_TIMEOUT="30")
    assert result.returncode == 1
    assert "refused Malti" in result.stderr and "does not exist" in result.stderr


def test_the_wait_answers_at_once_when_the_database_is_up():
    result = subprocess.run(
        [sys.executable, str(ROOT / "docker" / "wait_for_db.py"), "5"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DATABASE_URL": database_url(), "MALTI_DB_POOL": "0"},
    )
    assert result.returncode == 0, result.stderr
    assert "is up" in result.stdout


def test_containers_starting_together_set_up_one_at_a_time(tmp_path):
    """Two web containers' set-up never overlaps: concurrent migrations would collide."""
    turns = tmp_path / "turns"
    take_a_turn = f"echo start >> {turns}; sleep 1; echo end >> {turns}; exit 3"
    starting = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "docker" / "one_at_a_time.py"), "sh", "-c", take_a_turn],
            env={**os.environ, "DATABASE_URL": database_url(), "MALTI_DB_POOL": "0"},
        )
        for _ in range(2)
    ]
    assert [process.wait(timeout=60) for process in starting] == [3, 3], "the command's status is passed on"
    assert turns.read_text().split() == ["start", "end", "start", "end"]


def load_healthcheck():
    spec = importlib.util.spec_from_file_location("malti_healthcheck", ROOT / "docker" / "healthcheck.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("allowed_hosts", "host"),
    [
        ("malti.example.com,localhost", "malti.example.com"),
        (".example.com", "example.com"),
        ("*", "localhost"),
        ("", "localhost"),
    ],
)
def test_the_healthcheck_sends_an_allowed_host(monkeypatch, allowed_hosts, host):
    monkeypatch.setenv("MALTI_ALLOWED_HOSTS", allowed_hosts)
    assert load_healthcheck().probe_host() == host
