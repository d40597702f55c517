"""validate_batch's fast path (cached strings) must give what the field-by-field check gives, row or error,
and both must accept what the original Malti accepts, cutting what is too long."""

from datetime import timedelta

import pytest

from telemetry.ingest import MAX_STRING_LENGTH, InvalidRecord, _Checker, ingest_limits, validate_batch
from telemetry.models.raw import COLUMNS, MAX_RESPONSE_TIME_MS
from tests.conftest import record, utc_now

MISSING = object()  # the field is left out of the record
# Values each field may carry, good and bad: every record below combines one per field.
VARIANTS = {
    "service": ["checkout", " checkout\x00", "Checkout", "", None, 7, MISSING],
    "method": ["GET", "get", " post\t", "PROPFIND", "", None, ["GET"], 5, "\u00df" * 300, MISSING],
    "endpoint": ["/a", " /a ", "\x1b[31m/a", "", "  ", "x" * 500, "x" * 501, " " + "x" * 499 + " y", None, {"a": 1}],
    "consumer": ["web", "", " ", None, 3.5, True, "c" * 501, MISSING, ["c"]],
    "node": ["n1", "", "  ", None, "\x00", 1, "n" * 501, MISSING],
    "context": ["web", "", None, False, "\x00" + "c" * 600, [1]],
    "status": [200, 599, 0, -1, 999, 32767, 32768, -32769, True, "200", " 404 ", "2e2", "200.5", "abc", "\u0663"]
    + [200.0, 200.5, float("nan"), None, MISSING],
    "response_time": [0, 3_600_001, MAX_RESPONSE_TIME_MS, MAX_RESPONSE_TIME_MS + 1, -1, 1.5, 2.5, 1e300, "12"]
    + ["12.7", "-3", "x", float("inf"), None, False, MISSING],
    "created_at": [None, "", "yesterday", True, {"t": 1}, "2999-01-01T00:00:00Z", "2001-01-01T00:00:00Z", 10**30],
}


def with_value(field, value):
    rec = record()
    if value is MISSING:
        del rec[field]
    else:
        rec[field] = value
    return rec


def limits_now():
    now = utc_now()
    return ingest_limits(now, timedelta(days=7), 10_000, 300), now


def validate(records, stored="checkout"):
    limits, now = limits_now()
    return validate_batch({"requests": records}, "checkout", stored, limits, now)


def fast(rec, limits, now):
    try:
        batch = validate_batch({"requests": [record(), rec]}, "checkout", "key-1", limits, now)
    except InvalidRecord as exc:
        return ("error", type(exc), exc.as_dict())
    return ("row", batch.rows[1], batch.truncated)


def slow(rec, limits, now):
    check = _Checker("checkout", "key-1", limits, now)
    try:
        row = check.row(rec, 1)
    except InvalidRecord as exc:
        return ("error", type(exc), exc.as_dict())
    return ("row", row, check.truncated([record(), rec]))


@pytest.mark.parametrize("field", sorted(VARIANTS))
def test_each_value_gives_the_same_row_or_error_as_the_field_by_field_check(field):
    limits, now = limits_now()
    moments = [now - timedelta(minutes=1), now + timedelta(minutes=1)]
    values = VARIANTS[field]
    if field == "created_at":
        values += [m.isoformat() for m in moments] + [m.isoformat().replace("+00:00", "z") for m in moments]
        values += [m.timestamp() for m in moments] + [int(m.timestamp() * 1000) for m in moments]
    for value in values:
        rec = with_value(field, value)
        assert fast(rec, limits, now) == slow(rec, limits, now), rec


def test_the_fast_paths_row_is_in_the_models_column_order():
    limits, now = limits_now()
    (row,) = validate_batch({"requests": [record(created_at=None)]}, "checkout", "key-1", limits, now).rows
    expected = {**record(), "service": "key-1", "created_at": now}
    assert dict(zip(COLUMNS, row, strict=True)) == expected


def test_rows_store_the_value_given_for_the_service_column_not_the_records_name():
    batch = validate([record(), record(status="500")], stored="7f3a-key")
    assert [row[COLUMNS.index("service")] for row in batch.rows] == ["7f3a-key", "7f3a-key"]


def test_a_record_must_still_carry_the_services_name():
    with pytest.raises(InvalidRecord) as caught:
        validate([record(service="7f3a-key")], stored="7f3a-key")
    assert (caught.value.status_code, caught.value.field) == (403, "service")


def test_a_string_cached_for_one_field_is_still_checked_for_another():
    # The method cache upper-cases, the optional one turns "" into NULL: neither leaks into other fields.
    rows = validate([record(method="get", node="", consumer=""), record(endpoint="get", consumer="", context="")]).rows
    values = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
    assert (values[0]["method"], values[0]["node"], values[0]["consumer"]) == ("GET", None, "")
    assert (values[1]["endpoint"], values[1]["consumer"], values[1]["context"]) == ("get", "", None)


def test_cached_strings_are_the_cleaned_ones_in_every_row():
    batch = [record(endpoint=" /a\x00 ", node=" ", method="get"), record(endpoint=" /a\x00 ", node=" ", method="get")]
    rows = validate(batch).rows
    assert [(row[1], row[2], row[4]) for row in rows] == [(None, "GET", "/a")] * 2


def test_long_strings_are_cut_to_500_characters_and_every_cut_value_is_counted():
    long_endpoint = "/search?q=" + "x" * 600
    records = [record(endpoint=long_endpoint) for _ in range(3)] + [record(context="c" * 501), record()]
    batch = validate(records)
    assert batch.truncated == 4
    endpoints = [row[COLUMNS.index("endpoint")] for row in batch.rows]
    assert endpoints[:3] == [long_endpoint[:MAX_STRING_LENGTH]] * 3
    assert batch.rows[3][COLUMNS.index("context")] == "c" * MAX_STRING_LENGTH


def test_a_string_is_cut_after_control_characters_and_space_are_gone_and_never_ends_in_space():
    (row,) = validate([record(node="\x00" * 20 + "n" * 499 + " m" + "\x00")]).rows
    assert row[COLUMNS.index("node")] == "n" * 499


def test_out_of_range_response_times_are_brought_to_the_nearest_end_and_counted():
    batch = validate([record(response_time=-5), record(response_time=2**40), record(response_time=12.6)])
    assert [row[COLUMNS.index("response_time")] for row in batch.rows] == [0, MAX_RESPONSE_TIME_MS, 13]
    assert batch.truncated == 2


def test_nothing_cut_counts_zero():
    assert validate([record(), record(method="propfind", status=0)]).truncated == 0


def test_a_non_object_record_is_named():
    with pytest.raises(InvalidRecord) as caught:
        validate([record(), "x"])
    assert caught.value.as_dict() == {"detail": "requests[1]: must be an object, not str", "index": 1, "field": None}
