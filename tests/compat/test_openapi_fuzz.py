"""The OpenAPI schema is the whole contract: schemathesis, every check on, finds nothing against a live server.

As a new user would try it: the served /api/schema/, `--checks all`, a real key. Bounded
(examples per operation, with a time budget as a backstop) and deterministic (schemathesis's
deterministic generation, which replaces a seed), so a failure reproduces. The CLI runs in a
subprocess; its report, with a curl line for each failure, is shown when it finds something.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

INGEST = r"^/api/v1/ingest$"
READS = r"^/api/v1/(metrics/(aggregate|aggregate/realtime|filters)|services|auth/test|requests)$"
# Which answers are expected where OpenAPI cannot say it (the metrics' cross-parameter 422s).
CONFIG = Path(__file__).with_name("schemathesis.toml")


def schemathesis(server, tmp_path: Path, key: str, *selection: str, examples: int, budget: int):
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(CONFIG),
        "run",
        f"{server.url}/api/schema/",
        "--checks",
        "all",
        "--header",
        f"X-API-Key: {key}",
        *selection,
        "--max-examples",
        str(examples),
        "--max-time",
        str(budget),
        "--generation-deterministic",  # implies no example database either
        "--no-shrink",  # the budget goes to finding, not to minimising
        "--workers",
        "1",
        "--no-color",
        "--output-truncate",
        "false",
    ]
    # In tmp_path: schemathesis writes nothing into the project.
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "160"}
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=budget + 60)
    report = result.stdout[-20_000:] + result.stderr[-2_000:]
    assert "Tested: " in result.stdout and "Tested: 0" not in result.stdout, report
    return result.returncode, report


def test_no_read_operation_fails_any_check_with_a_user_key(server, accounts, tmp_path):
    status, report = schemathesis(
        server, tmp_path, accounts.keys.user, "--include-path-regex", READS, examples=10, budget=40
    )
    assert status == 0, report


def test_ingest_fails_no_check_with_a_service_key(server, accounts, tmp_path):
    status, report = schemathesis(
        server, tmp_path, accounts.keys.checkout, "--include-path-regex", INGEST, examples=30, budget=25
    )
    assert status == 0, report
