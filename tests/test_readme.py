"""The README's commands work: each one shown is run here or by CI (Docker aside)."""

import os
import re
import shlex
import signal
import socket
import subprocess
import time
import urllib.request
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.conftest import edition_is_community

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
def test_every_manage_py_command_in_the_readme_runs(argv, tmp_path):
    argv = list(argv)
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


@pytest.mark.slow
def test_the_run_command_serves_the_demo_and_the_curl_example_works():
    port = free_port()
    env = {**os.environ, "MALTI_PORT": str(port)}
    for name in ("MALTI_SECRET_KEY", "MALTI_ALLOWED_HOSTS", "MALTI_REDIS_URL", "MALTI_TEST_DATABASE"):
        env.pop(name, None)
    server = subprocess.Popen(
        ["bash", "scripts/run.sh"],
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
        assert re.search(rf"admin\s+http://127.0.0.1:{port}/admin/\s+user admin / \S+", text)
        key = re.search(r"service key\s+checkout: (\S+)", text).group(1)
        for _ in range(60):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        curl = next(block for block in bash_blocks(section("Sending data")) if "curl" in block)
        curl = curl.replace("http://127.0.0.1:8000", f"http://127.0.0.1:{port}").replace("$MALTI_SERVICE_KEY", key)
        result = subprocess.run(["bash", "-c", curl], capture_output=True, text=True, timeout=30)
        assert '"count":1' in result.stdout.replace(" ", ""), result.stdout + result.stderr
        dashboard = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10)
        assert dashboard.status == 200
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
