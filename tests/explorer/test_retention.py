"""The sample keeps 14 days by default: a level of `manage.py retention` on both editions."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from explorer.models import RequestSample
from telemetry.models import RetentionPolicy
from tests.conftest import edition_is_community
from tests.explorer.conftest import sampled

pytestmark = pytest.mark.django_db

SAMPLE_POLICY_SQL = """
SELECT config->>'drop_after' FROM timescaledb_information.jobs
WHERE proc_name = 'policy_retention' AND hypertable_name = 'request_samples'
"""


def retention(*args) -> str:
    out = StringIO()
    call_command("retention", *args, stdout=out)
    return out.getvalue()


def test_show_lists_the_sample_and_its_14_days(service):
    sampled(service, 1, timedelta(days=2))
    line = next(line for line in retention("show").splitlines() if line.startswith("sample"))
    assert "14 days" in line and "UTC" in line


def test_apply_drops_the_samples_days_past_retention(service):
    for n, days in enumerate((20, 16, 13, 1)):
        sampled(service, n, timedelta(days=days))
    assert "from sample" in retention("apply")
    assert sorted(RequestSample.objects.values_list("context", flat=True)) == ["s2", "s3"]
    retention("set", "sample", "7 days")
    retention("apply")
    assert list(RequestSample.objects.values_list("context", flat=True)) == ["s3"]


def test_set_changes_the_community_editions_retention_policy(db):
    if not edition_is_community():
        pytest.skip("the community edition's TimescaleDB policy (the Apache edition's worker runs `apply`)")
    with connection.cursor() as cursor:
        cursor.execute(SAMPLE_POLICY_SQL)
        assert cursor.fetchone()[0] == "14 days"
        retention("set", "sample", "30 days")
        cursor.execute(SAMPLE_POLICY_SQL)
        assert cursor.fetchone()[0] in ("30 days", "2592000 seconds", "720:00:00")
    assert RetentionPolicy.objects.duration("sample") == timedelta(days=30)
