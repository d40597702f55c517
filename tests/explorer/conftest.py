"""Helpers for the request explorer's tests: records with an identity, and reading pages."""

from datetime import timedelta

import pytest

from explorer.models import RequestSample
from explorer.sampling import rules_cache
from tests.conftest import record, utc_now

REQUESTS = "/api/v1/requests"


@pytest.fixture(autouse=True)
def _fresh_sampling_rules():
    """Sampling rules are cached per process: each test reads its own policies."""
    rules_cache.forget()
    yield
    rules_cache.forget()


def tagged(n: int, **overrides) -> dict:
    """A checkout record whose context names it (`r<n>`), so pages can be checked record by record."""
    return record(context=f"r{n}", **overrides)


def get_page(api, key, **params):
    response = api.get(REQUESTS, params, HTTP_X_API_KEY=key)
    assert response.status_code == 200, response.content
    return response.json()


def every_page(api, key, between=None, **params) -> tuple[list[dict], list[dict]]:
    """All records, page by page (calling `between(page_number)` after each page), and the pages' answers."""
    answers = [get_page(api, key, **params)]
    while answers[-1]["next_cursor"]:
        if between is not None:
            between(len(answers))
        answers.append(get_page(api, key, **params, cursor=answers[-1]["next_cursor"]))
    return [r for answer in answers for r in answer["requests"]], answers


def sampled(service, n: int, age: timedelta, **fields) -> RequestSample:
    """A record in the sample only, `age` ago (as if raw retention had dropped its raw row)."""
    values = {
        "service": service.telemetry_key,
        "node": "node-1",
        "method": "GET",
        "endpoint": "/api/orders/{id}",
        "context": f"s{n}",
        "status": 200,
        "response_time": 42,
        "consumer": "web-app",
        "created_at": utc_now() - age,
        **fields,
    }
    return RequestSample.objects.create(**values)
