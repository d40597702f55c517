"""Keyset pagination: every record exactly once, whatever is ingested between pages."""

from datetime import timedelta

import pytest

from explorer.models import SamplingPolicy
from telemetry.models import Request
from telemetry.traffic import as_rows
from tests.conftest import post_batch, utc_now
from tests.explorer.conftest import every_page, get_page, sampled, tagged

pytestmark = pytest.mark.django_db


def contexts(records) -> list[str]:
    return [r["context"] for r in records]


@pytest.fixture
def crowded(api, service_api_key):
    """60 records in 12 timestamps of 5 ties each, with 4 distinct latencies (ties in both sorts)."""
    base = utc_now() - timedelta(minutes=30)
    records = [
        tagged(n, created_at=(base - timedelta(seconds=n // 5)).isoformat(), response_time=100 * (n % 4))
        for n in range(60)
    ]
    for half in (records[:30], records[30:]):  # two batches: ties span chunks' insert order too
        assert post_batch(api, service_api_key, half).status_code == 200
    return records


@pytest.mark.parametrize("sort", ["time", "latency"])
def test_pages_hold_every_record_once_while_records_arrive_between_them(
    api, service_api_key, user_api_key, crowded, sort
):
    now = utc_now()

    def ingest_between(page: int):
        # Newer than the first page (and, for latency, slower than any), and older late arrivals in the range.
        newer = tagged(1000 + page, created_at=(now - timedelta(seconds=1)).isoformat(), response_time=5000)
        late = tagged(2000 + page, created_at=(now - timedelta(minutes=40)).isoformat(), response_time=0)
        assert post_batch(api, service_api_key, [newer, late]).status_code == 200

    records, answers = every_page(api, user_api_key, between=ingest_between, sort=sort, limit=7)
    seen = contexts(records)
    assert len(seen) == len(set(seen))  # no duplicates
    assert {f"r{n}" for n in range(60)} <= set(seen)  # no gaps
    # A record newer (slower) than the first page never shifts the pages after it.
    assert not any(c.startswith("r1") and len(c) == 5 for c in seen)
    assert [len(a["requests"]) for a in answers[:-1]] == [7] * (len(answers) - 1)
    key = (lambda r: r["created_at"]) if sort == "time" else (lambda r: (r["response_time"], r["created_at"]))
    assert [key(r) for r in records] == sorted((key(r) for r in records), reverse=True)


def test_a_cursor_keeps_the_first_pages_range(api, service_api_key, user_api_key, crowded):
    first = get_page(api, user_api_key, limit=50)
    rest = get_page(api, user_api_key, limit=50, cursor=first["next_cursor"])
    assert (rest["start_time"], rest["end_time"]) == (first["start_time"], first["end_time"])
    assert len(first["requests"]) + len(rest["requests"]) == 60 and rest["next_cursor"] is None


@pytest.mark.parametrize("sort", ["time", "latency"])
def test_a_range_across_the_raw_horizon_reads_raw_then_the_sample(api, service, user_api_key, sort):
    SamplingPolicy.objects.create(service=service, slow_threshold_ms=10**6, share=0)  # no 2xx into the sample
    now = utc_now()
    # Raw rows: 30 recent ones, and 5 past raw retention that the sample stands for in the answer.
    recent = [tagged(n, created_at=now - timedelta(minutes=n + 1), response_time=10 * n) for n in range(30)]
    expired = [tagged(100 + n, created_at=now - timedelta(hours=7, minutes=n)) for n in range(5)]
    rows = as_rows([{**r, "service": service.telemetry_key} for r in recent + expired])
    Request.objects.ingest(rows)
    for n in range(20):
        sampled(service, n, timedelta(hours=7, minutes=n), response_time=5 * n, status=503)
    params = {"start_time": (now - timedelta(hours=8)).isoformat(), "end_time": now.isoformat(), "sort": sort}

    records, answers = every_page(api, user_api_key, limit=8, **params)
    seen = contexts(records)
    sample_contexts = {f"s{n}" for n in range(20)}
    assert len(seen) == len(set(seen)) and set(seen) == {f"r{n}" for n in range(30)} | sample_contexts
    assert {r["source"] for r in records if r["context"] in sample_contexts} == {"sample"}
    assert all(answer["source"] == "mixed" and answer["total"] is None for answer in answers)
    assert answers[0]["sample_note"] and "5xx" in answers[0]["sample_note"]
    if sort == "time":
        assert [r["source"] for r in records] == ["raw"] * 30 + ["sample"] * 20
        assert [a["sampled"] for a in answers] == [False, False, False, True, True, True, True]


def test_a_cursor_from_other_filters_or_made_up_is_refused(api, user_api_key, crowded):
    first = get_page(api, user_api_key, limit=5)
    for params in (
        {"cursor": first["next_cursor"], "endpoint": "/other"},
        {"cursor": first["next_cursor"], "sort": "latency"},
        {"cursor": "not-a-cursor"},
        {"cursor": first["next_cursor"][:-12]},
    ):
        response = api.get("/api/v1/requests", params, HTTP_X_API_KEY=user_api_key)
        assert response.status_code == 422, params
        assert "cursor" in response.json()["detail"]
