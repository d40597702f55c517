"""manage.py import_malti_data: an original Malti's history, the same totals per service and per day."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from telemetry import history_import
from telemetry.models import HistoryImport, ImportedDay, Request
from tests.conftest import utc_now
from tests.factories import MembershipFactory, ServiceFactory, TenantFactory, UserFactory, user_key
from tests.telemetry import original_malti

# Transactional: the community edition refreshes its aggregates at the end, which cannot run in a transaction.
pytestmark = pytest.mark.django_db(transaction=True)

DAYS, RAW_DAYS, FIVEMIN_DAYS = 14, 2, 6
AGGREGATE = "/api/v1/metrics/aggregate"


@pytest.fixture(scope="module")
def now():
    return utc_now()


@pytest.fixture(scope="module")
def original(now, django_db_setup, django_db_blocker):
    records = original_malti.generate(now, ("checkout", "search", "legacy"), DAYS, per_day=40)
    with django_db_blocker.unblock():
        database = original_malti.create(now, records, RAW_DAYS, FIVEMIN_DAYS)
    yield database
    original_malti.drop(database)


@pytest.fixture
def acme():
    tenant = TenantFactory(name="Acme")
    services = {name: ServiceFactory(name=name, tenant=tenant) for name in ("checkout", "search")}
    user = UserFactory(username="alice")
    MembershipFactory(user=user, tenant=tenant)
    return tenant, services, user_key(user)


def run(original, *args) -> str:
    out = StringIO()
    call_command("import_malti_data", original.url, "--tenant", "Acme", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def daily(api, key, service, start, end) -> dict:
    answer = api.get(
        AGGREGATE,
        {"service": service, "start_time": start.isoformat(), "end_time": end.isoformat(), "interval": "1day"},
        HTTP_X_API_KEY=key,
    )
    assert answer.status_code == 200, answer.content
    return answer.json()


def totals_by_day(body) -> dict:
    return {point["bucket"][:10]: point["total_requests"] for point in body["time_series"] if point["total_requests"]}


def as_text(totals) -> dict:
    return {day.isoformat(): count for day, count in totals.items()}


def window(now):
    start = (now - timedelta(days=DAYS + 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


def test_the_dashboard_shows_the_same_totals_per_service_and_day_as_the_original(original, acme, api, now):
    _, _, key = acme

    out = run(original)

    assert "legacy" in out and "Skipped 1 service" in out
    start, end = window(now)
    for service in ("checkout", "search"):
        expected = original.aggregate_daily_totals(service)
        assert expected == original.daily_totals(service)  # the original's aggregates hold every request
        assert totals_by_day(daily(api, key, service, start, end)) == as_text(expected), service


def test_counts_errors_and_extremes_are_exact_per_service(original, acme, api, now):
    _, _, key = acme
    run(original)
    start, end = window(now)
    body = daily(api, key, "checkout", start, end)
    records = [r for r in original.records if r[0] == "checkout"]
    summary = body["metrics_summary"]
    assert summary["total_requests"] == len(records)
    assert summary["error_count"] == sum(1 for r in records if r[6] >= 400)
    assert summary["server_error_count"] == sum(1 for r in records if r[6] >= 500)
    assert summary["min_latency"] == min(r[7] for r in records)
    assert summary["max_latency"] == max(r[7] for r in records)
    assert summary["avg_latency"] == pytest.approx(sum(r[7] for r in records) / len(records), abs=0.1)


def test_raw_rows_come_across_exactly_to_the_minute(original, acme, now):
    _, services, _ = acme
    run(original)
    record = HistoryImport.objects.get()
    per_minute = {}
    for r in original.records:
        if r[0] == "search" and record.raw_from <= r[3] < record.until:
            minute = r[3].replace(second=0, microsecond=0)
            per_minute[minute] = per_minute.get(minute, 0) + 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT bucket, request_count FROM requests_svc_1min WHERE service = %s AND bucket >= %s",
            [services["search"].telemetry_key, record.raw_from],
        )
        assert dict(cursor.fetchall()) == per_minute
    assert per_minute  # the generated history has raw rows in the original


def test_percentiles_from_imported_aggregates_are_marked_as_estimates(original, acme, api, now):
    _, _, key = acme
    run(original)
    record = HistoryImport.objects.get()
    old = daily(api, key, "checkout", record.hour_from, record.hour_from + timedelta(days=2))
    recent = api.get(
        AGGREGATE,
        {
            "service": "checkout",
            "start_time": (record.raw_from + timedelta(hours=1)).isoformat(),
            "end_time": (record.raw_from + timedelta(hours=5)).isoformat(),
        },
        HTTP_X_API_KEY=key,
    ).json()

    assert old["percentiles_estimated"] is True and old["metrics_summary"]["p95_latency"] is not None
    assert any(point["percentiles_estimated"] for point in old["time_series"])
    assert recent["percentiles_estimated"] is False
    assert not any(point["percentiles_estimated"] for point in recent["time_series"])


def test_a_second_run_adds_nothing(original, acme, api, now):
    _, _, key = acme
    run(original)
    days = ImportedDay.objects.count()
    start, end = window(now)
    before = totals_by_day(daily(api, key, "checkout", start, end))

    out = run(original)

    assert "Imported 0 day(s)" in out and f"{days} day(s) were imported before" in out
    assert ImportedDay.objects.count() == days
    assert totals_by_day(daily(api, key, "checkout", start, end)) == before


def test_an_interrupted_import_is_resumed_by_the_next_run(original, acme, api, now):
    _, _, key = acme
    with original.connect() as source:
        plan = history_import.plan(source, "Acme", None)
        stopped = []

        def crash_after_five(report):
            stopped.append(report.day)
            if len(stopped) == 5:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            history_import.run(source, plan, crash_after_five)
    assert ImportedDay.objects.count() == 5

    out = run(original)

    assert "5 day(s) were imported before" in out
    start, end = window(now)
    assert totals_by_day(daily(api, key, "search", start, end)) == as_text(original.daily_totals("search"))


def test_history_ends_where_the_services_own_telemetry_begins(original, acme, api, now):
    tenant, services, user = acme
    live_from = (now - timedelta(hours=2)).replace(minute=30, second=0, microsecond=0)
    live = [
        (
            services["search"].telemetry_key,
            "node-9",
            "GET",
            live_from + timedelta(minutes=i),
            "/live",
            None,
            200,
            5,
            "x",
        )
        for i in range(20)
    ]
    Request.objects.ingest(live)

    out = run(original)

    cut = live_from.replace(minute=0)
    assert f"search: until {cut:%Y-%m-%d %H:%M}" in out
    before_cut = sum(1 for r in original.records if r[0] == "search" and r[3] < cut)
    start, end = window(now)
    body = daily(api, user, "search", start, end)
    assert body["metrics_summary"]["total_requests"] == before_cut + len(live)


def test_since_and_dry_run(original, acme, now):
    out = run(original, "--dry-run")
    assert "Would import" in out and "Nothing changed" in out
    assert not HistoryImport.objects.exists() and not ImportedDay.objects.exists()

    since = (now - timedelta(days=5)).replace(hour=0, minute=0, second=0, microsecond=0)
    run(original, "--since", since.isoformat())
    assert ImportedDay.objects.order_by("day").first().day == since.date()


def test_it_says_what_is_wrong_with_the_source(acme):
    with pytest.raises(CommandError, match="Cannot connect"):
        call_command("import_malti_data", "postgresql://nobody@127.0.0.1:1/none", "--tenant", "Acme")
    with pytest.raises(CommandError, match="none of the original Malti's tables"):
        call_command("import_malti_data", original_malti.server_url("postgres"), "--tenant", "Acme")
