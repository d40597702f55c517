"""Read replicas, for real: a primary and a streaming replica of its own (pg_basebackup), Malti on both.

The primary is made by scripts/provision-db.sh (the edition of the test
database), the replica by pg_basebackup -R from it. Malti is migrated on the
primary, serves with DATABASE_REPLICA_URL, and its answers are compared with
those of a server that reads the primary alone. Pausing the replica's replay
shows where reads go: a replica within its lag limit answers without what the
primary took since; past the limit, or stopped, the primary answers.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
from django.db import connection

from tests.conftest import record, utc_now
from tests.live_tenant import recent_metrics
from tests.reliability.conftest import ROOT, free_port, live_server

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

PG_BIN = Path("/usr/lib/postgresql/15/bin")
SECRET_KEY = "replica-test-secret-0123456789-abcdefghijklmnop"


def as_postgres(*command: str):
    """initdb and pg_ctl refuse root: run them as the postgres user then."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=300)


def manage(url: str, *args: str) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MALTI_SECRET_KEY": SECRET_KEY,
        "MALTI_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_REPLICA_URL": "",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


class Clusters:
    def __init__(self, state: Path, primary_port: int, replica_port: int):
        self.state = state
        self.primary_url = f"postgres://malti:malti@127.0.0.1:{primary_port}/malti"
        self.replica_url = f"postgres://malti:malti@127.0.0.1:{replica_port}/malti"
        self.replica_data = state / "replica"

    def caught_up(self, timeout: float = 30):
        """Wait until the replica has replayed everything the primary has written so far."""
        with psycopg.connect(self.primary_url, autocommit=True) as primary:
            target = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        deadline = time.monotonic() + timeout
        with psycopg.connect(self.replica_url, autocommit=True) as replica:
            while not replica.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]).fetchone()[0]:
                assert time.monotonic() < deadline, "the replica did not catch up"
                time.sleep(0.1)

    def replica_sql(self, sql: str):
        with psycopg.connect(self.replica_url, autocommit=True) as replica:
            replica.execute(sql)

    def stop_replica(self):
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.replica_data), "-m", "fast", "-w", "stop")


@pytest.fixture(scope="module")
def clusters(django_db_blocker):
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('timescaledb.license')")
        license = cursor.fetchone()[0]
    state = Path(tempfile.mkdtemp(prefix="malti-replicas-"))
    state.chmod(0o755)  # the postgres user runs the clusters
    primary_port, replica_port = free_port(), free_port()
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(
        MALTI_STATE_DIR=str(state / "primary"),
        MALTI_DB_PORT=str(primary_port),
        MALTI_TIMESCALEDB_LICENSE=license,
    )
    found = Clusters(state, primary_port, replica_port)
    primary_data = state / "primary" / "pgdata"
    try:
        subprocess.run(["bash", "scripts/provision-db.sh"], cwd=ROOT, env=env, check=True, timeout=600)
        found.replica_data.mkdir(mode=0o700)
        replica_log = state / "replica.log"
        replica_log.touch()
        if os.geteuid() == 0:
            for path in (found.replica_data, replica_log):
                shutil.chown(path, "postgres", "postgres")
        as_postgres(
            str(PG_BIN / "pg_basebackup"),
            *("-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres"),
            *("-D", str(found.replica_data), "-R", "-X", "stream", "-c", "fast"),
        )
        with (found.replica_data / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {replica_port}\nhot_standby = on\n")
        as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(found.replica_data), "-l", str(replica_log), "-w", "start"
        )
        manage(found.primary_url, "migrate", "--no-input")
        manage(found.primary_url, "refresh_rollups")  # as the worker would: /health/ready says "ready"
        manage(found.primary_url, "malti_accounts", "tenant", "Replicated")
        manage(found.primary_url, "malti_accounts", "service", "catalog", "--tenant", "Replicated")
        manage(found.primary_url, "malti_accounts", "user", "reader", "--tenant", "Replicated")
        found.service_key = manage(found.primary_url, "malti_accounts", "key", "service", "catalog")
        found.user_key = manage(found.primary_url, "malti_accounts", "key", "user", "reader")
        yield found
    finally:
        for data in (found.replica_data, primary_data):
            if (data / "postmaster.pid").exists():
                as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(state, ignore_errors=True)


def serve(tmp_path, clusters, **env):
    tmp_path.mkdir()
    return live_server(
        tmp_path,
        workers=1,
        DATABASE_URL=clusters.primary_url,
        MALTI_SECRET_KEY=SECRET_KEY,
        **env,
    )


def ingest(http, clusters, count: int, status: int):
    now = utc_now()
    records = [
        record(service="catalog", status=status, created_at=(now - timedelta(seconds=index)).isoformat())
        for index in range(count)
    ]
    response = http.post("/api/v1/ingest", json={"requests": records}, headers={"X-API-Key": clusters.service_key})
    assert response.status_code == 200, response.text
    manage(clusters.primary_url, "refresh_rollups")  # as the worker would (Apache edition)


def totals(http, clusters) -> tuple[int, int]:
    summary = recent_metrics(http, clusters.user_key, "catalog")["system_overview"]
    return summary["total_requests"], summary["total_errors"]


def readiness(http) -> dict:
    return http.get("/health/ready").json()


def test_reads_come_from_the_replica_and_fall_back_to_the_primary(tmp_path, clusters):
    with (
        serve(tmp_path / "replica", clusters, DATABASE_REPLICA_URL=clusters.replica_url) as on_replica,
        serve(tmp_path / "primary", clusters) as on_primary,
        httpx.Client(base_url=on_replica.url, timeout=30) as replica_http,
        httpx.Client(base_url=on_primary.url, timeout=30) as primary_http,
    ):
        ingest(replica_http, clusters, 40, 200)  # ingest goes to the primary
        ingest(replica_http, clusters, 10, 503)
        clusters.caught_up()
        assert totals(replica_http, clusters) == totals(primary_http, clusters) == (50, 10)
        headers = {"X-API-Key": clusters.user_key}
        now = utc_now()
        window = {"start_time": (now - timedelta(minutes=30)).isoformat(), "end_time": now.isoformat()}
        for path, params in (
            ("/api/v1/metrics/aggregate", {"service": "catalog", **window}),
            ("/api/v1/metrics/filters", window),
            ("/api/v1/services", {}),
            ("/api/v1/requests", {"service": "catalog", **window}),
        ):
            from_replica = replica_http.get(path, params=params, headers=headers)
            assert from_replica.status_code == 200, from_replica.text
            assert from_replica.json() == primary_http.get(path, params=params, headers=headers).json()
        ready = readiness(replica_http)
        assert ready["status"] == "ready", ready
        assert ready["replicas"][0]["serving"] is True and ready["replicas"][0]["lag_seconds"] < 30

        # The replica stops applying what the primary sends: what comes in now is on the primary only.
        clusters.replica_sql("SELECT pg_wal_replay_pause()")
        ingest(replica_http, clusters, 5, 200)
        assert totals(primary_http, clusters) == (55, 10)
        assert totals(replica_http, clusters) == (50, 10), "reads did not come from the replica"

        # Past MALTI_REPLICA_MAX_LAG the same replica is passed over.
        with (
            serve(tmp_path / "strict", clusters, DATABASE_REPLICA_URL=clusters.replica_url, MALTI_REPLICA_MAX_LAG="1")
            as strict,
            httpx.Client(base_url=strict.url, timeout=30) as strict_http,
        ):
            time.sleep(1.5)
            ingest(strict_http, clusters, 1, 200)  # the replica now has a transaction it has not replayed
            time.sleep(1.5)
            ready = readiness(strict_http)
            assert ready["status"] == "degraded"
            assert ready["replicas"][0]["serving"] is False
            assert "lag" in ready["replicas"][0]["problem"]
            assert totals(strict_http, clusters) == (56, 10)
        clusters.replica_sql("SELECT pg_wal_replay_resume()")
        clusters.caught_up()
        assert totals(replica_http, clusters) == (56, 10)

        # A replica that is down: its reads go to the primary.
        clusters.stop_replica()
        ingest(replica_http, clusters, 4, 200)
        deadline = time.monotonic() + 15
        while True:
            response = replica_http.get(
                "/api/v1/metrics/aggregate",
                params={"service": "catalog", "start_time": (utc_now() - timedelta(minutes=30)).isoformat()},
                headers={"X-API-Key": clusters.user_key},
            )
            # At most the statements in flight when it stopped fail (a 503 to retry), never a 500.
            assert response.status_code in (200, 503), response.text
            if response.status_code == 200:
                break
            assert time.monotonic() < deadline
        assert response.json()["system_overview"]["total_requests"] == 60
        ready = readiness(replica_http)
        assert ready["status"] == "degraded"
        assert ready["replicas"][0]["problem"].startswith("unreachable")
