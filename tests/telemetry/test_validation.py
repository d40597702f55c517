"""validate_batch's fast path (cached strings) must give what the field-by-field check gives, row or error."""

from datetime import timedelta

import pytest

from telemetry.ingest import InvalidRecord, _checked_row, ingest_limits, validate_batch
from tests.conftest import record, utc_now

# Values each field may carry, good and bad: every record below combines one per field.
VARIANTS = {
    "service": ["checkout", " checkout\x00", "Checkout", "", None, 7],
    "method": ["GET", "get", " post\t", "FETCH", "", None, ["GET"]],
    "endpoint": ["/a", " /a ", "\x1b[31m/a", "", "  ", "x" * 500, "x" * 501, None, {"a": 1}],
    "consumer": ["web", "", " ", None, 3.5, "c" * 501],
    "node": ["n1", "", "  ", None, "\x00", 1, "n" * 501],
    "context": ["web", "", None, False],
    "status": [200, 599, 100, 99, 600, True, "200", 200.0, None],
    "response_time": [0, 3_600_000, 3_600_001, -1, None, False, 1.5],
}


def validate(records):
    now = utc_now()
    return validate_batch({"requests": records}, "checkout", ingest_limits(now, timedelta(days=7), 10_000, 300), now)


def outcome(check, *args):
    try:
        return ("row", check(*args))
    except InvalidRecord as exc:
        return ("error", type(exc), exc.as_dict())


@pytest.mark.parametrize("field", sorted(VARIANTS))
def test_each_value_gives_the_same_row_or_error_as_the_field_by_field_check(field):
    now = utc_now()
    limits = ingest_limits(now, timedelta(days=7), 10_000, 300)
    for value in VARIANTS[field]:
        rec = record(**{field: value})
        fast = outcome(
            lambda records: validate_batch({"requests": records}, "checkout", limits, now)[1], [record(), rec]
        )
        slow = outcome(_checked_row, rec, 1, "checkout", limits, now)
        assert fast == slow, rec


def test_a_string_cached_for_one_field_is_still_checked_for_another():
    # "" is a valid consumer (and an empty node), but not a valid endpoint.
    batch = [record(consumer="", node=""), record(endpoint="")]
    with pytest.raises(InvalidRecord) as caught:
        validate(batch)
    assert (caught.value.index, caught.value.field) == (1, "endpoint")


def test_cached_strings_are_the_cleaned_ones_in_every_row():
    batch = [record(endpoint=" /a\x00 ", node=" ", method="get"), record(endpoint=" /a\x00 ", node=" ", method="get")]
    rows = validate(batch)
    assert [(row[1], row[2], row[4]) for row in rows] == [(None, "GET", "/a")] * 2


def test_a_non_object_record_is_named():
    with pytest.raises(InvalidRecord) as caught:
        validate([record(), "x"])
    assert caught.value.as_dict() == {"detail": "requests[1]: must be an object, not str", "index": 1, "field": None}
