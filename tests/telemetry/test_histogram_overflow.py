"""Histogram slots cannot overflow: a week of one busy slot rolls up, and 0009 widens old databases keeping history."""

import importlib
from datetime import datetime, timedelta

import pytest
from django.db import connection

from telemetry.edition import has_continuous_aggregates
from telemetry.migrations.sql import wide_slots
from telemetry.models import Request
from telemetry.rollups import refresher
from telemetry.rollups.catalog import LEVEL_BY_NAME, LEVELS, MATERIALISATIONS, relations
from telemetry.traffic import TrafficModel, as_rows
from tests.conftest import refresh_rollups, utc_now
from tests.telemetry.aggregate_cleanup import clean_aggregates  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("clean_aggregates")]
migration_0009 = importlib.import_module("telemetry.migrations.0009_wide_slots")

# 400 million a day in one slot (4,630/s): six days of it are 2.4e9, past 2^31 - 1.
PER_DAY = 400_000_000
RECORD = {
    "service": "checkout",
    "node": "node-1",
    "method": "GET",
    "endpoint": "/x",
    "context": None,
    "status": 200,
    "response_time": 0,  # slot 1
    "consumer": "web",
}
REFRESH_SQL = "CALL refresh_continuous_aggregate(%s, %s::timestamptz, %s::timestamptz)"
MATERIALISED_SQL = (
    "SELECT format('%%I.%%I', materialization_hypertable_schema, materialization_hypertable_name) "
    "FROM timescaledb_information.continuous_aggregates WHERE view_name = %s"
)
ROW_SQL = (
    "INSERT INTO {table} (bucket, {dims}, request_count, error_count, client_error_count, server_error_count, "
    "response_time_sum, response_time_min, response_time_max, h10) VALUES (%s, {values}, %s, 0, 0, 0, %s, 9, 10, %s)"
)
DIMENSION_VALUES = {
    "service": "'checkout'",
    "node": "'node-1'",
    "method": "'GET'",
    "endpoint": "'/x'",
    "consumer": "'web'",
    "context": "NULL",
    "status": "200",
}
SLOT_TYPES_SQL = """
SELECT c.relname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relname = ANY(%s) AND a.attname = 'h1' AND c.relnamespace = current_schema()::regnamespace
"""


def a_past_monday() -> datetime:
    today = utc_now().replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=today.weekday() + 21)


def storage_of(relation: str) -> str:
    """Where rows of a relation are written: its table, or a continuous aggregate's materialisation."""
    if not has_continuous_aggregates():
        return relation
    with connection.cursor() as cursor:
        cursor.execute(MATERIALISED_SQL, [relation])
        return cursor.fetchone()[0]


def settle_watermarks():
    """Community: materialise up to now, so rows written into a materialisation show in its view."""
    now = utc_now()
    Request.objects.ingest(
        as_rows(TrafficModel(services=["checkout"], seed=5).records(5, now - timedelta(hours=1), now))
    )
    refresh_rollups()


def write_rows(level, buckets, count: int, time_sum: int):
    """One crafted row per bucket in every materialisation of a level: `count` requests, all in slot 10."""
    with connection.cursor() as cursor:
        for m in MATERIALISATIONS:
            sql = ROW_SQL.format(
                table=storage_of(m.relation(level)),
                dims=", ".join(m.dimensions),
                values=", ".join(DIMENSION_VALUES[dim] for dim in m.dimensions),
            )
            for bucket in buckets:
                cursor.execute(sql, [bucket, count, time_sum, count])


def refresh_aggregates(week: datetime):
    """Community: refresh every aggregate over the week, finest first (only what changed is recomputed)."""
    if has_continuous_aggregates():
        with connection.cursor() as cursor:
            for level, m in relations():
                cursor.execute(REFRESH_SQL, [m.relation(level), week, week + timedelta(days=7)])


def refresh_week(week: datetime):
    """Roll one raw record on the week's Sunday up through every level: the week's bucket is recomputed."""
    sunday = week + timedelta(days=6, hours=12)
    Request.objects.ingest(as_rows([{**RECORD, "created_at": sunday}]))
    refresh_aggregates(week)
    if not has_continuous_aggregates():
        refresher.refresh()


def week_row(relation: str, week: datetime):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT request_count, h10, response_time_sum FROM {relation} WHERE bucket = %s", [week])
        return cursor.fetchone()


def test_a_week_of_one_busy_slot_rolls_up_past_two_to_the_31(service):
    settle_watermarks()
    week = a_past_monday()
    refresh_aggregates(week)  # nothing left to recompute there: the crafted rows stay as written
    # Monday to Saturday, each day 400 million requests of 3,600,000 ms (the most a record may take).
    write_rows(LEVEL_BY_NAME["1day"], [week + timedelta(days=day) for day in range(6)], PER_DAY, PER_DAY * 3_600_000)
    refresh_week(week)
    expected = (6 * PER_DAY + 1, 6 * PER_DAY, 6 * PER_DAY * 3_600_000)
    for m in MATERIALISATIONS:
        assert week_row(m.relation(LEVELS[-1]), week) == expected, m.name


def test_every_level_from_an_hour_up_counts_slots_in_bigint(db):
    names = [m.relation(level) for level in LEVELS for m in MATERIALISATIONS]
    with connection.cursor() as cursor:
        cursor.execute(SLOT_TYPES_SQL, [names])
        types = dict(cursor.fetchall())
    for level in LEVELS:
        expected = "integer" if level.name in ("1min", "5min") else "bigint"
        assert {types[m.relation(level)] for m in MATERIALISATIONS} == {expected}, level.name


def narrow_slots():
    """Put the coarse levels back as they were before 0009: INTEGER slots."""
    with connection.cursor() as cursor:
        if not has_continuous_aggregates():
            for level, _, _ in wide_slots.LEVELS:
                for name, _, _ in wide_slots.MATERIALISATIONS:
                    cursor.execute(
                        wide_slots.WIDEN_TABLE_SQL.format(relation=wide_slots.relation(level, name)).replace(
                            "TYPE BIGINT", "TYPE INTEGER"
                        )
                    )
            return
        for level, _, _ in reversed(wide_slots.LEVELS):
            for name, _, _ in wide_slots.MATERIALISATIONS:
                cursor.execute(f"DROP MATERIALIZED VIEW {wide_slots.relation(level, name)} CASCADE")
        for level, interval, below in wide_slots.LEVELS:
            for materialisation in wide_slots.MATERIALISATIONS:
                narrow = wide_slots.create_view_sql(level, interval, below, materialisation)
                cursor.execute(narrow.replace("::bigint AS h", "::integer AS h"))


def test_migration_0009_widens_old_rollups_and_keeps_their_history(service):
    settle_watermarks()
    narrow_slots()
    settle_watermarks()
    old = a_past_monday() - timedelta(weeks=15)  # older than the 5-minute level holds
    with connection.cursor() as cursor:
        cursor.execute(SLOT_TYPES_SQL, [["requests_svc_1hour"]])
        assert cursor.fetchone()[1] == "integer"
    write_rows(LEVEL_BY_NAME["1hour"], [old], 7, 70)
    assert week_row("requests_svc_1hour", old) == (7, 7, 70)

    migrate_0009()

    test_every_level_from_an_hour_up_counts_slots_in_bigint(None)
    assert week_row("requests_svc_1hour", old) == (7, 7, 70)
    if has_continuous_aggregates():
        check_rebuilt_aggregates(old)
    test_a_week_of_one_busy_slot_rolls_up_past_two_to_the_31(service)


def check_rebuilt_aggregates(old):
    """The history the 5-minute level no longer holds is kept, and rolled up to every coarser level."""
    for relation in ("requests_svc_6hour", "requests_svc_1day", "requests_svc_1week"):
        assert week_row(relation, old) == (7, 7, 70), relation
    with connection.cursor() as cursor:
        cursor.execute("SELECT sum(request_count) FROM requests_svc_1min")
        recent = cursor.fetchone()[0]
        for relation in ("requests_svc_1hour", "requests_svc_1week", "requests_1day"):
            cursor.execute(f"SELECT sum(request_count) FROM {relation} WHERE bucket > %s", [old])
            assert cursor.fetchone()[0] == recent, relation


def migrate_0009():
    from django.apps import apps

    with connection.schema_editor(atomic=False) as editor:
        migration_0009.forwards(apps, editor)
