"""malti_capacity: rows per bucket from the traffic, bytes from measured sizes, retention as set or by --keep."""

import math
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from telemetry.capacity import RAW_ROW_BYTES, Traffic, estimate, rows_per_bucket
from telemetry.models.retention import LEVELS, default_keep_for, parse_duration_text
from telemetry.rollups.catalog import LEVEL_BY_NAME, MATERIALISATIONS

FULL, SVC = MATERIALISATIONS[-1], MATERIALISATIONS[0]
GIB = 1024**3


def test_a_bucket_keeps_about_a_row_per_request_until_its_combinations_run_out():
    sparse = Traffic(rps=1, services=1)  # 60 requests a minute over 480,000 combinations
    assert rows_per_bucket(sparse, LEVEL_BY_NAME["1min"], FULL) == pytest.approx(60, rel=1e-3)
    dense = Traffic(rps=10_000, services=2)
    assert rows_per_bucket(dense, LEVEL_BY_NAME["1day"], FULL) == pytest.approx(2 * 3 * 4 * 40 * 5 * 200, rel=1e-6)
    assert rows_per_bucket(dense, LEVEL_BY_NAME["1min"], SVC) == pytest.approx(2)  # one row per service


def test_each_level_keeps_its_buckets_for_its_retention():
    traffic = Traffic(rps=200)
    keep_for = {level: parse_duration_text(default_keep_for(level)) for level in LEVELS}
    levels = {level.name: level for level in estimate(traffic, keep_for)}
    assert levels["raw"].bytes == 200 * keep_for["raw"].total_seconds() * RAW_ROW_BYTES
    hour = levels["1hour"]
    assert hour.rows == pytest.approx(hour.rows_per_bucket * keep_for["1hour"] / timedelta(hours=1))
    assert hour.concentrated_bytes < hour.bytes
    assert math.isclose(levels["sample"].rows, 200 * 0.03 * keep_for["sample"].total_seconds())


def test_the_command_prints_every_level_and_takes_other_retention():
    out = StringIO()
    call_command("malti_capacity", "--rps", "200", "--keep", "raw=12 hours", stdout=out)
    lines = {line.split()[0]: line.split() for line in out.getvalue().splitlines() if line.strip()}
    assert set(LEVELS) | {"total"} <= set(lines)
    assert lines["raw"][1:3] == ["12", "hours"]
    assert float(lines["raw"][-1]) == pytest.approx(200 * 12 * 3600 * RAW_ROW_BYTES / GIB, abs=0.01)
    assert "cores for web workers and PostgreSQL" in out.getvalue()


@pytest.mark.django_db  # an unusual duration is read by PostgreSQL
@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["--rps", "0"], "--rps must be above 0"),
        (["--rps", "10", "--keep", "2min=1 day"], "LEVEL=DURATION"),
        (["--rps", "10", "--keep", "raw"], "LEVEL=DURATION"),
        (["--rps", "10", "--keep", "raw=banana"], "'banana' is not a duration"),
    ],
)
def test_bad_arguments_say_what_is_wrong(arguments, says):
    with pytest.raises(CommandError, match=says):
        call_command("malti_capacity", *arguments)
