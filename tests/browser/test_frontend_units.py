"""Run the front end's vitest suite as part of pytest, so CI runs it with everything else."""

import subprocess

from tests.browser.conftest import ROOT


def test_the_front_end_unit_tests_pass(dashboard_bundle):
    # dashboard_bundle has run `npm ci` when node_modules was missing.
    result = subprocess.run(
        ["npm", "test", "--silent", "--", "--reporter=dot"],
        cwd=ROOT / "dashboard_ui" / "frontend",
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"vitest failed:\n{result.stdout}\n{result.stderr}"
