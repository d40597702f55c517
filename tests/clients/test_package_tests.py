"""The malti-client package's own unit tests (clients/python/tests), run as part of Malti's suite."""

import os
import subprocess
import sys

from tests.reliability.conftest import ROOT


def test_the_package_tests_pass():
    env = {name: value for name, value in os.environ.items() if name != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q"],
        cwd=ROOT / "clients" / "python", env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "skipped" not in result.stdout, result.stdout
