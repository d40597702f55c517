"""Idempotency receipts past their 24 hours are pruned on the community edition too, where no worker runs."""

from datetime import timedelta

import pytest
from django.db import connection

from telemetry.edition import has_continuous_aggregates
from telemetry.models import IngestReceipt
from telemetry.models.idempotency import IDEMPOTENCY_WINDOW
from tests.conftest import utc_now

pytestmark = pytest.mark.django_db(transaction=True)

PRUNE_JOB_SQL = "SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = 'malti_prune_ingest_receipts'"


def test_timescaledb_prunes_expired_receipts_on_the_community_edition(service):
    if not has_continuous_aggregates():
        pytest.skip("the Apache edition's worker prunes receipts (test_worker)")
    now = utc_now()
    IngestReceipt.objects.create(
        service=service, key="old", body_digest="x", created_at=now - IDEMPOTENCY_WINDOW - timedelta(minutes=1)
    )
    IngestReceipt.objects.create(service=service, key="fresh", body_digest="x", created_at=now - timedelta(hours=23))
    with connection.cursor() as cursor:
        cursor.execute(PRUNE_JOB_SQL)
        (job_id,) = cursor.fetchone()
        cursor.execute("CALL run_job(%s)", [job_id])
    assert list(IngestReceipt.objects.values_list("key", flat=True)) == ["fresh"]
