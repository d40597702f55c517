import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from telemetry.models import Request
from telemetry.traffic import TrafficModel, as_rows
from tests.conftest import utc_now

pytestmark = pytest.mark.django_db


def test_one_worker_pass_refreshes_the_rollups(apache_edition, service):
    Request.objects.ingest(
        as_rows(
            TrafficModel(services=["checkout"], seed=5).records(
                40, utc_now() - timedelta(hours=1), utc_now() - timedelta(minutes=2)
            )
        )
    )
    out = StringIO()
    call_command("malti_worker", "--once", stdout=out)
    assert "refreshed" in out.getvalue()
    with connection.cursor() as cursor:
        cursor.execute("SELECT sum(request_count) FROM requests_1min")
        assert cursor.fetchone()[0] == 40


def test_refresh_rollups_recomputes_a_given_range(apache_edition, service):
    now = utc_now()
    Request.objects.ingest(
        as_rows(
            TrafficModel(services=["checkout"], seed=6).records(30, now - timedelta(hours=2), now - timedelta(hours=1))
        )
    )
    call_command("refresh_rollups", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM requests_svc_1min")
    out = StringIO()
    call_command("refresh_rollups", "--start", (now - timedelta(hours=3)).isoformat(), stdout=out)
    assert "Refreshed" in out.getvalue()
    with connection.cursor() as cursor:
        cursor.execute("SELECT sum(request_count) FROM requests_svc_1min")
        assert cursor.fetchone()[0] == 30


@pytest.mark.django_db(transaction=True)
def test_the_worker_stops_cleanly_on_sigterm():  # on both editions: alerts run on both
    env = {**os.environ, "DATABASE_URL": database_url()}
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "malti_worker"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        line = ""
        while "Malti worker:" not in line and time.monotonic() < deadline:
            line = worker.stdout.readline()
        assert "Malti worker:" in line
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=15) == 0
        assert "Malti worker stopped." in worker.stdout.read()
    finally:
        worker.kill()


def database_url():
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
