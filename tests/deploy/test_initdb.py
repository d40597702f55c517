"""docker/initdb/010_malti_role.sh, run as the timescaledb container runs it, against a real server."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.databases import connect, scratch_database

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docker" / "initdb" / "010_malti_role.sh"
PASSWORD = "owner-pass-7Q2"
ROLE_SQL = "SELECT rolsuper, rolcreaterole, rolcanlogin FROM pg_roles WHERE rolname = %s"
OWNERS_SQL = (
    "SELECT pg_get_userbyid(d.datdba), pg_get_userbyid(n.nspowner) FROM pg_database d, pg_namespace n "
    "WHERE d.datname = current_database() AND n.nspname = 'public'"
)
SUPERUSER_SQL = "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"


@pytest.fixture
def fresh_volume():
    """A new database with TimescaleDB created by a superuser, as the image's first script leaves it."""
    db = settings.DATABASES["default"]
    with connect("postgres") as admin:
        if not admin.execute(SUPERUSER_SQL).fetchone()[0]:
            pytest.skip("needs a superuser, as the container's initialisation runs")
    name, role = f"test_malti_initdb_{os.getpid()}", f"malti_owner_{os.getpid()}"
    env = {
        **os.environ,
        "PGHOST": db["HOST"] or "127.0.0.1",
        "PGPORT": str(db["PORT"] or 5432),
        "PGPASSWORD": db["PASSWORD"],
        "POSTGRES_USER": db["USER"],
        "POSTGRES_DB": name,
        "MALTI_DB_USER": role,
        "MALTI_DB_PASSWORD": PASSWORD,
    }
    try:
        with scratch_database(name):
            with connect(name) as database:
                database.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
            yield name, role, env
    finally:
        with connect("postgres") as admin:  # after its database: the role owns it
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def initdb(env) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", str(SCRIPT)], capture_output=True, text=True, timeout=60, env=env)


@pytest.mark.slow
def test_malti_s_role_owns_its_database_migrates_it_and_is_no_superuser(fresh_volume):
    name, role, env = fresh_volume
    result = initdb(env)
    assert result.returncode == 0, result.stderr
    with connect(name) as database:
        assert database.execute(ROLE_SQL, [role]).fetchone() == (False, False, True)
        assert database.execute(OWNERS_SQL).fetchone() == (role, role)
    url = f"postgres://{role}:{PASSWORD}@{env['PGHOST']}:{env['PGPORT']}/{name}"
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "DATABASE_URL": url, "MALTI_DB_POOL": "0"},
    )
    assert migrate.returncode == 0, migrate.stderr
    with connect(name, USER=role, PASSWORD=PASSWORD) as database:
        assert database.execute(SUPERUSER_SQL).fetchone() == (False,)
        assert database.execute("SELECT count(*) FROM requests").fetchone() == (0,)


def test_running_it_again_changes_nothing_but_the_password(fresh_volume):
    name, role, env = fresh_volume
    assert initdb(env).returncode == 0
    result = initdb({**env, "MALTI_DB_PASSWORD": "second-pass-9"})
    assert result.returncode == 0, result.stderr
    with connect(name, USER=role, PASSWORD="second-pass-9") as database:
        assert database.execute(OWNERS_SQL).fetchone() == (role, role)


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"MALTI_DB_PASSWORD": ""}, "MALTI_DB_PASSWORD is not set"), ({"MALTI_DB_USER": None}, "is the superuser")],
)
def test_it_refuses_a_missing_password_or_the_superuser_as_malti_s_role(fresh_volume, changes, message):
    name, role, env = fresh_volume
    env = {**env, **changes}
    if changes.get("MALTI_DB_USER", "") is None:
        env["MALTI_DB_USER"] = env["POSTGRES_USER"]
    result = initdb(env)
    assert result.returncode != 0
    assert message in result.stderr
