"""The malti-client sender against a real HTTP server on loopback: batches, retries, keys, limits, fork, exit."""

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from malti_client import Config, Sender
from malti_client.sender import parse_retry_after

from tests.clients.fake_malti import FakeMaltiServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def malti():
    with FakeMaltiServer() as server:
        yield server


def config(url: str, **overrides) -> Config:
    settings = {
        "service_name": "shop",
        "api_key": "malti_s_test",
        "url": url,
        "node": "node-1",
        "batch_size": 500,
        "batch_interval": 3600,
        "retry_delay": 0,
    }
    return Config(**(settings | overrides))


def record(n: int, status: int = 200) -> tuple:
    return ("GET", f"/items/{{id}}/{n}", status, n, "web", None, 1_800_000_000.5)


def test_a_batch_is_sent_gzipped_as_the_ingest_contract_says(malti):
    sender = Sender(config(malti.url), background=False)
    for n in range(3):
        sender.add(record(n))

    assert sender.flush(5)

    (request,) = malti.fake.received
    assert request.headers["X-API-Key"] == "malti_s_test"
    assert request.headers["Content-Encoding"] == "gzip"
    assert request.headers["Content-Type"] == "application/json"
    assert len(request.headers["Idempotency-Key"]) == 32
    assert json.loads(gzip.decompress(request.raw_body)) == request.body
    assert request.body["requests"][1] == {
        "service": "shop",
        "node": "node-1",
        "method": "GET",
        "endpoint": "/items/{id}/1",
        "status": 200,
        "response_time": 1,
        "consumer": "web",
        "context": None,
        "created_at": 1_800_000_000.5,
    }
    assert (sender.stats.sent, sender.stats.failed, sender.pending) == (3, 0, 0)


def test_each_batch_has_its_own_idempotency_key(malti):
    sender = Sender(config(malti.url, batch_size=2), background=False)
    for n in range(5):
        sender.add(record(n))

    sender.flush(5)

    assert [len(r.body["requests"]) for r in malti.fake.received] == [2, 2, 1]
    assert len({r.headers["Idempotency-Key"] for r in malti.fake.received}) == 3
    assert [r["response_time"] for r in malti.fake.records()] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_a_retry_sends_the_same_key_and_body_again(malti, status):
    malti.fake.answers = [(status, {}), (status, {})]
    sender = Sender(config(malti.url), background=False)
    sender.add(record(1))

    assert sender.flush(5)

    first, second, third = malti.fake.received
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"] == third.headers["Idempotency-Key"]
    assert first.raw_body == second.raw_body == third.raw_body
    assert (sender.stats.sent, sender.stats.retries, sender.stats.failed) == (1, 2, 0)


def test_retry_after_is_waited_for_on_429_and_503(malti):
    malti.fake.answers = [(429, {"Retry-After": "1"}), (503, {"Retry-After": "1"})]
    sender = Sender(config(malti.url), background=False)  # retry_delay 0: only Retry-After makes it wait
    sender.add(record(1))

    sender.flush(10)

    first, second, third = malti.fake.received
    assert second.at - first.at >= 1
    assert third.at - second.at >= 1
    assert sender.stats.sent == 1


def test_a_retry_after_beyond_the_limit_gives_the_batch_up(malti):
    malti.fake.answers = [(503, {"Retry-After": "3600"})]
    sender = Sender(config(malti.url, max_retry_after=60), background=False)
    sender.add(record(1))

    sender.flush(5)

    assert len(malti.fake.received) == 1
    assert (sender.stats.sent, sender.stats.failed) == (0, 1)


def test_backoff_doubles_between_tries(malti):
    malti.fake.answers = [(500, {}), (500, {})]
    sender = Sender(config(malti.url, retry_delay=0.5), background=False)
    sender.add(record(1))

    sender.flush(10)

    first, second, third = malti.fake.received
    assert second.at - first.at >= 0.5
    assert third.at - second.at >= 1.0


@pytest.mark.parametrize("status", [400, 401, 403, 409, 413, 415, 422])
def test_a_refused_batch_is_not_retried(malti, status):
    malti.fake.answers = [(status, {})]
    sender = Sender(config(malti.url), background=False)
    sender.add(record(1))
    sender.add(record(2))

    sender.flush(5)

    assert len(malti.fake.received) == 1
    assert (sender.stats.sent, sender.stats.failed, sender.stats.retries) == (0, 2, 0)


def test_a_full_queue_drops_the_oldest_records_and_counts_them(malti):
    sender = Sender(config(malti.url, batch_size=10, max_queue=10), background=False)
    for n in range(13):
        sender.add(record(n))

    assert (sender.pending, sender.stats.dropped, sender.stats.queued) == (10, 3, 13)
    sender.flush(5)
    assert [r["response_time"] for r in malti.fake.records()] == list(range(3, 13))


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_nothing_is_raised_when_malti_is_down():
    sender = Sender(config(closed_port_url(), max_retries=2), background=False)
    for n in range(3):
        sender.add(record(n))

    assert sender.flush(5)  # the queue is empty: the batch was given up, not kept forever

    assert (sender.stats.sent, sender.stats.failed, sender.stats.retries) == (0, 3, 2)


def test_the_background_thread_sends_a_full_batch_without_waiting_for_the_interval(malti):
    sender = Sender(config(malti.url, batch_size=3), register_exit=False)
    for n in range(3):
        sender.add(record(n))

    deadline = time.monotonic() + 10
    while sender.stats.sent < 3 and time.monotonic() < deadline:
        time.sleep(0.02)

    assert sender.stats.sent == 3
    sender.close(5)


def test_close_sends_what_is_left_and_stops_the_thread(malti):
    sender = Sender(config(malti.url), register_exit=False)
    sender.add(record(1))
    thread = sender._thread

    assert sender.close(5)

    assert not thread.is_alive()
    assert [r["response_time"] for r in malti.fake.records()] == [1]


def test_a_forked_child_starts_empty_and_sends_only_its_own_records(malti):
    sender = Sender(config(malti.url), background=False, register_exit=False)
    sender.add(record(1))
    sender.add(record(2))

    pid = os.fork()
    if pid == 0:  # the child: report what it inherited through the exit code, then send its own
        inherited = sender.pending + sender.stats.queued
        sender.add(record(100))
        sent = sender.flush(5) and sender.stats.sent == 1
        os._exit(0 if inherited == 0 and sent else 1)
    _, status = os.waitpid(pid, 0)

    assert os.waitstatus_to_exitcode(status) == 0
    assert sender.pending == 2, "the parent keeps its records"
    sender.flush(5)
    assert sorted(r["response_time"] for r in malti.fake.records()) == [1, 2, 100]


def test_records_queued_at_exit_are_sent_by_the_exit_flush(malti):
    script = f"""
from malti_client import Config, Sender
sender = Sender(Config(service_name="shop", api_key="k", url={malti.url!r}, batch_interval=3600))
for n in range(7):
    sender.add(("GET", "/x", 200, n, "web", None, 1800000000))
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=30, cwd=ROOT)

    assert [r["response_time"] for r in malti.fake.records()] == list(range(7))


def test_records_queued_when_sigterm_ends_the_process_are_sent_first(malti):
    # As uvicorn ends a worker: the default SIGTERM disposition, which would skip atexit.
    script = f"""
import os, signal
from malti_client import Config, Sender
sender = Sender(Config(service_name="shop", api_key="k", url={malti.url!r}, batch_interval=3600))
for n in range(3):
    sender.add(("GET", "/x", 200, n, "web", None, 1800000000))
os.kill(os.getpid(), signal.SIGTERM)
"""
    process = subprocess.run([sys.executable, "-c", script], timeout=30, cwd=ROOT)

    assert process.returncode == -signal.SIGTERM
    assert [r["response_time"] for r in malti.fake.records()] == [0, 1, 2]


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("7", 7.0), (" 0 ", 0.0), (None, None), ("soon", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(header, seconds):
    assert parse_retry_after(header) == seconds
