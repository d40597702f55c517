"""Faults under load: PostgreSQL restarted while clients ingest into a real server, and a rollup
refresher killed mid-way. Restarting PostgreSQL disturbs every test run on the cluster: the
outage is one fast restart, and these tests are marked slow."""

import gzip
import http.client
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from django.conf import settings
from django.db import connection

from telemetry.edition import has_continuous_aggregates
from telemetry.models import Request
from telemetry.rollups import refresher
from telemetry.rollups.catalog import relations
from telemetry.traffic import TrafficModel, as_rows
from tests.conftest import record, utc_now
from tests.reliability.conftest import ROOT, database_url, live_server
from tests.telemetry.helpers import clean_telemetry, raw_count

PG_BIN = Path("/usr/lib/postgresql/15/bin")
RECORDS_PER_BATCH = 40
BATCHES_PER_CLIENT = 30
CLIENTS = 6
MAX_ANSWER_SECONDS = 8.0  # the pool's 5 s timeout, and some slack


def psql_as_postgres(sql: str) -> str:
    db = settings.DATABASES["default"]
    result = subprocess.run(
        [
            "runuser",
            "-u",
            "postgres",
            "--",
            "psql",
            "-h",
            db["HOST"],
            "-p",
            str(db["PORT"]),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-Atqc",
            sql,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode:
        raise RuntimeError(result.stderr)
    return result.stdout.strip()


@pytest.fixture(scope="module")
def data_directory():
    """The cluster's data directory, when this machine may restart it (root, local cluster)."""
    db = settings.DATABASES["default"]
    if os.geteuid() != 0 or not shutil.which("runuser") or not (PG_BIN / "pg_ctl").exists():
        pytest.skip("restarting PostgreSQL needs root, runuser and PostgreSQL 15's pg_ctl")
    if db["HOST"] not in ("127.0.0.1", "localhost"):
        pytest.skip("PostgreSQL is not a local cluster")
    try:
        return Path(psql_as_postgres("SHOW data_directory"))
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"cannot reach the cluster as postgres: {exc}")


def restart_postgres(data_dir: Path) -> float:
    """A fast restart (-m fast: sessions are cut, nothing waits); returns how long it took."""
    log = data_dir.parent / "postgresql.log"
    if not log.exists():
        log = data_dir / "restart.log"
    started = time.monotonic()
    subprocess.run(
        [
            "runuser",
            "-u",
            "postgres",
            "--",
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(data_dir),
            "-l",
            str(log),
            "-m",
            "fast",
            "-w",
            "-t",
            "60",
            "restart",
        ],
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=90,
    )
    return time.monotonic() - started


def reconnect():
    """The restart cut this process's pooled connections too."""
    connection.close()
    if hasattr(connection, "close_pool"):
        connection.close_pool()


@dataclass
class Attempt:
    batch: int
    status: int | None  # None: no HTTP answer
    seconds: float
    at: float
    error: str = ""


@dataclass
class Client:
    url: str
    batches: dict[int, bytes]
    use_gzip: bool
    retry_with_idempotency_key: bool
    attempts: list[Attempt] = field(default_factory=list)
    acknowledged: dict[int, int] = field(default_factory=dict)  # batch -> count
    replayed: int = 0

    def post(self, batch: int, body: bytes) -> Attempt:
        host, port = self.url.removeprefix("http://").split(":")
        headers = {"X-API-Key": self.key, "Content-Type": "application/json"}
        if self.use_gzip:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        if self.retry_with_idempotency_key:
            headers["Idempotency-Key"] = f"batch-{batch}"
        started = time.monotonic()
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            conn.request("POST", "/api/v1/ingest", body=body, headers=headers)
            response = conn.getresponse()
            answer = response.read()
            attempt = Attempt(batch, response.status, time.monotonic() - started, started)
            if response.status == 200:
                self.acknowledged[batch] = orjson.loads(answer)["count"]
                self.replayed += response.getheader("Idempotent-Replayed") == "true"
            elif response.status != 503:
                attempt.error = answer[:300].decode(errors="replace")
        except OSError as exc:
            attempt = Attempt(batch, None, time.monotonic() - started, started, repr(exc))
        finally:
            conn.close()
        self.attempts.append(attempt)
        return attempt

    def run(self, key: str, deadline: float):
        self.key = key
        for batch, body in self.batches.items():
            while time.monotonic() < deadline:
                attempt = self.post(batch, body)
                if attempt.status == 200 or not self.retry_with_idempotency_key:
                    break  # the Python client drops a batch on any other answer
                time.sleep(0.2 + random.random() * 0.3)
            time.sleep(0.05)


def make_batches(client_index: int) -> dict[int, bytes]:
    now = utc_now()
    batches = {}
    for n in range(BATCHES_PER_CLIENT):
        batch = client_index * 1000 + n
        records = [
            record(
                consumer=f"batch-{batch}",
                status=random.choice([200, 201, 404, 500]),
                response_time=random.randint(1, 5000),
                created_at=(now - timedelta(seconds=random.randint(120, 5 * 3600))).isoformat(),
            )
            for _ in range(RECORDS_PER_BATCH)
        ]
        batches[batch] = orjson.dumps({"requests": records})
    return batches


def rows_per_batch() -> dict[int, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT consumer, count(*) FROM requests GROUP BY consumer")
        return {int(consumer.removeprefix("batch-")): count for consumer, count in cursor.fetchall()}


def rollups_against_raw() -> list[tuple[str, int, int]]:
    """(relation, rolled-up count, raw count) for every relation, each up to its level's watermark."""
    marks = refresher.watermarks()
    out = []
    with connection.cursor() as cursor:
        for level, materialisation in relations():
            relation = materialisation.relation(level)
            mark = marks[level.name]
            cursor.execute(f"SELECT coalesce(sum(request_count), 0) FROM {relation} WHERE bucket < %s", [mark])
            rolled = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM requests WHERE created_at < %s", [mark])
            out.append((relation, rolled, cursor.fetchone()[0]))
    return out


@pytest.fixture
def clean():
    clean_telemetry()
    yield
    reconnect()
    clean_telemetry()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_ingest_rides_out_a_postgres_restart_without_losing_or_doubling_a_record(
    data_directory, clean, service_api_key, tmp_path
):
    if has_continuous_aggregates():
        pytest.skip("compares Malti's own refresher's tables (Apache edition)")
    clients = [
        Client("", make_batches(i), use_gzip=i % 2 == 0, retry_with_idempotency_key=i < 4) for i in range(CLIENTS)
    ]
    total_batches = CLIENTS * BATCHES_PER_CLIENT
    with live_server(tmp_path, workers=2) as server:
        deadline = time.monotonic() + 120
        threads = []
        for client in clients:
            client.url = server.url
            threads.append(threading.Thread(target=client.run, args=(service_api_key, deadline), daemon=True))
            threads[-1].start()
        while sum(len(c.acknowledged) for c in clients) < total_batches // 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        outage_start = time.monotonic()
        outage_seconds = restart_postgres(data_directory)
        outage_end = time.monotonic()
        for thread in threads:
            thread.join(timeout=max(1, deadline - time.monotonic()))
        assert not any(thread.is_alive() for thread in threads), "clients still sending at the deadline"
        # Malti recovered by itself: the same server answers a new batch.
        after = Client(
            server.url,
            {99_999: orjson.dumps({"requests": [record(consumer="batch-99999")]})},
            use_gzip=False,
            retry_with_idempotency_key=False,
        )
        after.key = service_api_key
        assert after.post(99_999, after.batches[99_999]).status == 200
        assert server.process.poll() is None, "the server died"
        log = server.log_tail(400)
    attempts = [a for c in clients for a in c.attempts]
    statuses = sorted({a.status for a in attempts}, key=str)
    during = [a for a in attempts if outage_start <= a.at <= outage_end]
    late = [a for a in attempts if a.at > outage_end and a.status == 503]
    print(
        f"\nrestart took {outage_seconds:.2f} s; {len(attempts)} requests, statuses {statuses}; "
        f"{len(during)} during the outage, {len(late)} answered 503 after it (stale pooled connections); "
        f"slowest {max(a.seconds for a in attempts):.2f} s; {sum(c.replayed for c in clients)} idempotent replays"
    )
    bad = [a for a in attempts if a.status not in (200, 503)]
    assert not bad, f"answers other than 200 and 503: {bad[:5]}\n{log}"
    slow = [a for a in attempts if a.seconds > MAX_ANSWER_SECONDS]
    assert not slow, f"requests that hung: {slow[:5]}"
    assert log.count("Booting worker") == 2, f"workers were restarted:\n{log}"
    retried = [c for c in clients if c.retry_with_idempotency_key]
    assert all(len(c.acknowledged) == BATCHES_PER_CLIENT for c in retried), "retrying clients got every batch in"

    reconnect()
    stored = rows_per_batch()
    acknowledged = {batch: count for c in clients + [after] for batch, count in c.acknowledged.items()}
    half = {batch: count for batch, count in stored.items() if count not in (0, acknowledged.get(batch))}
    assert not half, f"batches stored partly or twice: {half}"
    assert set(stored) == set(acknowledged), "stored batches are exactly the acknowledged ones"
    assert raw_count() == sum(acknowledged.values())

    refresher.refresh()
    mismatched = [(relation, rolled, raw) for relation, rolled, raw in rollups_against_raw() if rolled != raw]
    assert not mismatched, mismatched


@pytest.mark.django_db
def test_a_database_error_while_authenticating_is_a_503_with_retry_after(api, service_api_key, monkeypatch):
    from django.db import OperationalError

    from accounts.models import ApiKey

    def unavailable(*args, **kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(ApiKey.objects, "for_key", unavailable)
    response = api.post(
        "/api/v1/ingest",
        orjson.dumps({"requests": [record()]}),
        content_type="application/json",
        HTTP_X_API_KEY=service_api_key,
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert "retry" in response.json()["detail"]
    assert raw_count() == 0


# A database fault while storing: provoked in the real database, never mocked.
FAIL_ON_INSERT_SQL = """
CREATE FUNCTION malti_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'internal detail 7f3a: relation malti_secret_table is corrupt'; END $$;
CREATE TRIGGER malti_test_refuse BEFORE INSERT ON requests FOR EACH ROW EXECUTE FUNCTION malti_test_refuse();
"""


def post_one(api, key):
    return api.post(
        "/api/v1/ingest", orjson.dumps({"requests": [record()]}), content_type="application/json", HTTP_X_API_KEY=key
    )


@pytest.mark.django_db
def test_a_database_fault_while_storing_is_a_500_that_tells_the_log_not_the_client(api, service_api_key, caplog):
    with connection.cursor() as cursor:
        cursor.execute(FAIL_ON_INSERT_SQL)  # undone with the test's transaction
    response = post_one(api, service_api_key)
    assert response.status_code == 500
    assert response.json() == {"detail": "The batch could not be stored because of a server error; nothing was stored."}
    assert "7f3a" not in response.content.decode() and "malti_secret_table" not in response.content.decode()
    logged = [r for r in caplog.records if r.name == "telemetry.api.ingest_views" and r.levelname == "ERROR"]
    assert logged and "7f3a" in str(logged[0].exc_info[1]), "the details are in the server's log"
    assert raw_count() == 0


@pytest.mark.django_db
def test_a_lock_timeout_while_storing_is_a_503_worth_retrying(api, service_api_key):
    import psycopg

    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"], dbname=db["NAME"]
    ) as other:
        other.execute("LOCK TABLE requests IN ACCESS EXCLUSIVE MODE")  # held until this block ends
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '200ms'")
        try:
            response = post_one(api, service_api_key)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert "lock" not in response.json()["detail"]
    assert post_one(api, service_api_key).status_code == 200, "the retry succeeds"
    assert raw_count() == 1


def run_refresh_command(tmp_path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url(), "MALTI_DB_POOL": "0"}
    return subprocess.Popen(
        [sys.executable, "manage.py", "refresh_rollups", "--verbosity", "1"],
        cwd=ROOT,
        env=env,
        stdout=(tmp_path / "refresh.log").open("wb"),
        stderr=subprocess.STDOUT,
    )


def refresher_backend() -> int | None:
    """The backend holding the refresher's advisory lock, if any."""
    key = refresher.ADVISORY_LOCK_KEY
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = %s AND objid = %s "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [key >> 32, key & 0xFFFFFFFF],
        )
        row = cursor.fetchone()
        return row[0] if row else None


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["sigkill", "terminate-backend"])
def test_a_refresher_killed_mid_way_leaves_rollups_the_next_run_completes(clean, service, tmp_path, how):
    if has_continuous_aggregates():
        pytest.skip("Malti's own refresher runs on the Apache edition only")
    now = utc_now()
    model = TrafficModel(services=["checkout"], endpoints_per_service=30, consumers=300, seed=5)
    Request.objects.ingest(as_rows(model.records(5_000, now - timedelta(hours=5), now - timedelta(minutes=2))))
    refresher.refresh()
    before = [rolled for _, rolled, _ in rollups_against_raw()]
    # A large backlog (about 5 s of work): every minute of five hours dirty again, and new rows.
    Request.objects.ingest(as_rows(model.records(40_000, now - timedelta(hours=5), now - timedelta(minutes=2))))
    refresher.mark_dirty(now - timedelta(hours=5, minutes=1), now)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM malti_dirty_minutes")
        backlog = cursor.fetchone()[0]

    process = run_refresh_command(tmp_path)
    deadline = time.monotonic() + 60
    pid = None
    while pid is None and time.monotonic() < deadline and process.poll() is None:
        pid = refresher_backend()
        time.sleep(0.02)
    assert pid is not None, (tmp_path / "refresh.log").read_text()
    time.sleep(1.0)  # well into the recomputation
    assert process.poll() is None, "the refresh finished before it could be killed: make the backlog larger"
    if how == "sigkill":
        process.send_signal(signal.SIGKILL)
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    process.wait(timeout=30)
    assert process.returncode != 0

    # The killed transaction rolled back: rollups as before, the backlog intact.
    deadline = time.monotonic() + 30
    while refresher_backend() is not None and time.monotonic() < deadline:
        time.sleep(0.1)  # after SIGKILL the backend notices at its next write to the client
    assert [rolled for _, rolled, _ in rollups_against_raw()] == before
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM malti_dirty_minutes")
        assert cursor.fetchone()[0] >= backlog

    rerun = run_refresh_command(tmp_path)
    assert rerun.wait(timeout=120) == 0, (tmp_path / "refresh.log").read_text()
    mismatched = [(relation, rolled, raw) for relation, rolled, raw in rollups_against_raw() if rolled != raw]
    assert not mismatched, mismatched
    assert raw_count() == 45_000
