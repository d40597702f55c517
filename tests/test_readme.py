"""The README's commands work: each one shown is run here or by CI (Docker aside)."""

import os
import re
import shlex
import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager, suppress
from io import StringIO
from pathlib import Path

import dj_database_url
import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command

from tests.conftest import edition_is_community, utc_now
from tests.databases import connect, scratch_database
from tests.factories import ServiceFactory, TenantFactory
from tests.telemetry import original_malti

README = (Path(settings.BASE_DIR) / "README.md").read_text()


def bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, flags=re.S)


def section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_set_up_has_exactly_two_commands_run_and_test():
    commands = [line for block in bash_blocks(section("Set up")) for line in block.splitlines() if line.strip()]
    assert commands == ["scripts/run.sh", "scripts/test.sh"]
    assert (Path(settings.BASE_DIR) / ".ci/run").read_text().count("scripts/test.sh") == 1


def manage_lines():
    for block in bash_blocks(README):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith(".venv/bin/python manage.py "):
                yield shlex.split(line)[2:]


@pytest.mark.django_db
@pytest.mark.parametrize("argv", list(manage_lines()), ids=lambda argv: " ".join(argv))
def test_every_manage_py_command_in_the_readme_runs(argv, tmp_path, request):
    argv = list(argv)
    if argv[0] == "import_malti_data":
        ServiceFactory(name="checkout", tenant=TenantFactory(name="Acme"))
        now = utc_now()
        original = original_malti.create(now, original_malti.generate(now, ("checkout",), days=2, per_day=5), 1, 2)
        request.addfinalizer(lambda: original_malti.drop(original))
        argv[1] = original.url
    if argv[0] == "import_malti_config":
        config = tmp_path / "malti.toml"
        config.write_text('[services.checkout]\napi_key = "k-1"\ndescription = "x"\n')
        argv[1] = str(config)
    if argv[0] == "malti_worker":
        argv.append("--once")
    if argv[0] == "refresh_rollups" and edition_is_community():
        pytest.skip("continuous aggregates cannot refresh inside the test's transaction")
    call_command(*argv, stdout=StringIO(), stderr=StringIO())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


USER_TABLES_SQL = (
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY 1"
)
# What a restart or a test run must never change in a user's database: logins and keys.
USER_LOGINS_SQL = "SELECT username, password FROM auth_user ORDER BY id"
USER_KEYS_SQL = "SELECT digest, revoked_at FROM accounts_apikey ORDER BY id"


def fingerprint(dbname: str):
    """The tables, logins and keys of a database, or None if it does not exist."""
    try:
        connection = connect(dbname)
    except psycopg.OperationalError:
        return None
    with connection, connection.cursor() as cursor:
        tables = [row[0] for row in cursor.execute(USER_TABLES_SQL)]
        found = [tables]
        for table, sql in (("auth_user", USER_LOGINS_SQL), ("accounts_apikey", USER_KEYS_SQL)):
            found.append(cursor.execute(sql).fetchall() if table in tables else None)
        return found


@pytest.fixture
def own_database():
    """A database of this test's own on the test server (never the user's), dropped afterwards."""
    with scratch_database(f"test_malti_run_{os.getpid()}") as name:
        yield name


@contextmanager
def serving(env: dict, *args):
    """scripts/run.sh until it serves; yields its output so far and stops it afterwards."""
    server = subprocess.Popen(
        ["bash", "scripts/run.sh", *args],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = []
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            if not line and server.poll() is not None:
                break
            output.append(line)
            if "serving on" in line:
                break
        text = "".join(output)
        assert "serving on" in text, text
        for _ in range(60):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{env['MALTI_PORT']}/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        yield text
    finally:
        with suppress(ProcessLookupError):  # it may have exited on its own
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def run_env(tmp_path, database: str) -> dict:
    """run.sh on a database, state directory and port of the test's own."""
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "MALTI_PORT": str(free_port()),
        "MALTI_STATE_DIR": str(tmp_path / "state"),
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT']}/{database}",
        # Not the port in DATABASE_URL: provision-db.sh then uses that server as it is and
        # leaves the private cluster (and its `malti` database) alone.
        "MALTI_DB_PORT": str(free_port()),
    }
    for name in ("MALTI_SECRET_KEY", "MALTI_ALLOWED_HOSTS", "MALTI_TEST_DATABASE", "MALTI_STATIC_ROOT"):
        env.pop(name, None)
    return env


def send_curl_example(port: str, key: str) -> str:
    curl = next(block for block in bash_blocks(section("Sending data")) if "curl" in block)
    curl = curl.replace("http://127.0.0.1:8000", f"http://127.0.0.1:{port}").replace("$MALTI_SERVICE_KEY", key)
    result = subprocess.run(["bash", "-c", curl], capture_output=True, text=True, timeout=30)
    return (result.stdout + result.stderr).replace(" ", "")


@pytest.mark.slow
def test_the_run_command_serves_the_demo_and_a_restart_keeps_its_logins_and_keys(tmp_path, own_database):
    users_database = fingerprint(dj_database_url.parse(settings.DATABASE_URL)["NAME"])
    env = run_env(tmp_path, own_database)
    port = env["MALTI_PORT"]
    with serving(env) as first:
        assert re.search(rf"admin\s+http://127.0.0.1:{port}/admin/\s+user admin / \S+", first)
        key = re.search(r"service key\s+checkout: (\S+)", first).group(1)
        assert '"count":1' in send_curl_example(port, key)
        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).status == 200
    logins = fingerprint(own_database)[1:]

    with serving(env) as second:
        assert "passwords and keys unchanged" in second and "service key" not in second
        assert '"count":1' in send_curl_example(port, key)
    assert fingerprint(own_database)[1:] == logins
    # Everything above ran on the test's own database: the user's is as it was.
    assert fingerprint(dj_database_url.parse(settings.DATABASE_URL)["NAME"]) == users_database


def test_the_set_up_text_names_the_reset_option_run_sh_has():
    assert "`scripts/run.sh --reset-demo`" in section("Set up")
    usage = subprocess.run(["bash", "scripts/run.sh", "--help"], cwd=settings.BASE_DIR, capture_output=True, text=True)
    assert usage.returncode == 0 and "--reset-demo" in usage.stdout
    refused = subprocess.run(["bash", "scripts/run.sh", "--no-such-option"], cwd=settings.BASE_DIR, capture_output=True)
    assert refused.returncode == 2
