"""What the sample keeps: every 5xx, every slow request, a share of the rest; inside ingest's transaction."""

import math
import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings

from explorer.models import RequestSample, SamplingPolicy
from explorer.sampling import Rule, Rules, rules_cache
from telemetry.models import Request
from telemetry.traffic import as_rows
from tests.conftest import post_batch, utc_now
from tests.explorer.conftest import tagged
from tests.telemetry.helpers import raw_count

pytestmark = pytest.mark.django_db


def row(service, *, status=200, response_time=10) -> tuple:
    """A row in the raw table's COPY order (created_at left out: the rules do not read it)."""
    return (service.telemetry_key, None, "GET", None, "/x", None, status, response_time, "c")


def kept_contexts() -> set[str]:
    return set(RequestSample.objects.values_list("context", flat=True))


def test_every_5xx_and_every_request_at_least_the_fixed_threshold_is_kept(api, service, service_api_key):
    SamplingPolicy.objects.create(service=service, slow_threshold_ms=500, share=0)
    records = [
        tagged(0, status=503),
        tagged(1, status=500, response_time=1),
        tagged(2, status=200, response_time=500),
        tagged(3, status=404, response_time=499),
        tagged(4, status=200, response_time=10),
        tagged(5, status=302, response_time=9000),
    ]
    assert post_batch(api, service_api_key, records).status_code == 200
    assert kept_contexts() == {"r0", "r1", "r2", "r5"}
    assert RequestSample.objects.get(context="r2").service == service.telemetry_key


def test_without_a_fixed_threshold_the_previous_days_p99_decides(api, service, service_api_key):
    SamplingPolicy.objects.create(service=service, share=0)
    yesterday = utc_now().replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=1)
    # Yesterday: response times 1..1000 ms, so the p99 is about 990 ms (a histogram estimate).
    history = [
        {**tagged(n, response_time=n + 1), "service": service.telemetry_key, "created_at": yesterday}
        for n in range(1000)
    ]
    Request.objects.ingest(as_rows(history))
    RequestSample.objects.all().delete()
    rules_cache.forget()
    threshold = rules_cache.current().for_service(service.telemetry_key).slow_ms
    assert 950 <= threshold <= 1000
    today = [tagged(5000, response_time=1200), tagged(5001, response_time=900), tagged(5002, response_time=30)]
    assert post_batch(api, service_api_key, today).status_code == 200
    assert kept_contexts() == {"r5000"}


def test_a_service_without_traffic_yesterday_keeps_5xx_and_its_share_only(service):
    rules = Rules(policies={}, p99={}, default_share=0.0)
    assert rules.for_service(service.telemetry_key) == Rule(slow_ms=None, share=0.0)
    slow, failed = (row(service, status=200, response_time=10**6), row(service, status=503, response_time=1))
    assert rules.select([slow, failed]) == [failed]


@pytest.mark.parametrize("share", [0.01, 0.2])
def test_the_share_of_the_rest_is_within_a_binomial_bound(share):
    draws = random.Random(20261202).random  # seeded: the assertion is on the rule, not on luck
    rows = [("svc", None, "GET", None, "/x", None, 200, 10, "c")] * 100_000
    kept = len(Rules({}, {}, share).select(rows, draws))
    mean, sigma = len(rows) * share, math.sqrt(len(rows) * share * (1 - share))
    assert abs(kept - mean) <= 5 * sigma


def test_a_service_policy_overrides_the_default_share(service):
    other = ("other", None, "GET", None, "/x", None, 200, 10, "c")
    mine = (service.telemetry_key, None, "GET", None, "/x", None, 200, 10, "c")
    rules = Rules({service.telemetry_key: (None, 1.0)}, {}, 0.0)
    assert rules.select([mine] * 50 + [other] * 50) == [mine] * 50


def test_share_one_keeps_everything_and_share_zero_nothing_but_5xx(api, service, service_api_key):
    policy = SamplingPolicy.objects.create(service=service, share=1.0)
    assert post_batch(api, service_api_key, [tagged(n) for n in range(20)]).status_code == 200
    assert len(kept_contexts()) == 20
    RequestSample.objects.all().delete()
    policy.share = 0.0
    policy.save()
    rules_cache.forget()
    assert (
        post_batch(api, service_api_key, [tagged(n, status=200 + 300 * (n % 2)) for n in range(20)]).status_code == 200
    )
    assert len(kept_contexts()) == 10


@override_settings(MALTI_SAMPLE_ENABLED=False)
def test_sampling_can_be_switched_off(api, service_api_key):
    assert post_batch(api, service_api_key, [tagged(0, status=503)]).status_code == 200
    assert raw_count() == 1 and RequestSample.objects.count() == 0


def test_a_sample_that_cannot_be_stored_rolls_the_whole_batch_back(api, service_api_key):
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE request_samples ADD CONSTRAINT refuse_599 CHECK (status <> 599)")
    response = post_batch(api, service_api_key, [tagged(0), tagged(1, status=599)])
    assert response.status_code == 500
    assert raw_count() == 0 and RequestSample.objects.count() == 0


def test_a_sampling_policys_admin_page_shows_what_the_sample_kept_each_day(admin_client, service):
    now = utc_now()
    for days_ago, count in ((0, 3), (2, 1), (40, 5)):  # 40 days ago: past the sample's 14 days
        at = now - timedelta(days=days_ago)
        for _ in range(count):
            RequestSample.objects.create(
                created_at=at, service=service.telemetry_key, method="GET", endpoint="/x", status=500,
                response_time=5, consumer="c",
            )  # fmt: skip
    RequestSample.objects.create(
        created_at=now, service="another-key", method="GET", endpoint="/x", status=500, response_time=5, consumer="c"
    )
    policy = SamplingPolicy.objects.create(service=service, share=0.05)

    page = admin_client.get(f"/admin/explorer/samplingpolicy/{policy.pk}/change/").content.decode()
    days = [(now - timedelta(days=d)).strftime("%Y-%m-%d") for d in (0, 2, 40)]
    assert f"{days[0]}: 3 records" in page and f"{days[1]}: 1 record<" in page
    assert days[2] not in page and page.index(days[0]) < page.index(days[1])
