"""How a range is cut into pieces: whole buckets of the coarsest level that fits, open buckets, raw rows."""

from datetime import UTC, datetime

from telemetry.rollups.catalog import LEVEL_BY_NAME
from telemetry.rollups.query import Piece, decompose


def at(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


# As the refresher leaves them at 09:07 on Wednesday 2026-11-25 (weeks start on Monday the 23rd).
HORIZON = at(25, 9, 7)
MARKS = {
    "1min": HORIZON,
    "5min": at(25, 9, 5),
    "1hour": at(25, 9),
    "6hour": at(25, 6),
    "1day": at(25, 0),
    "1week": at(23, 0),
}
START, END = at(24, 9, 5), at(25, 9, 10)  # a 24-hour range at 5-minute resolution, ending now
WEEK, SIX_HOURS, HOUR, FIVE_MINUTES = (LEVEL_BY_NAME[name] for name in ("1week", "6hour", "1hour", "5min"))


def describe(pieces):
    return [(p.level.name if p.level else "raw", p.start, p.end, p.open) for p in pieces]


def test_without_open_buckets_the_current_day_is_read_from_finer_levels():
    assert describe(decompose(START, END, WEEK, MARKS)) == [
        ("5min", at(24, 9, 5), at(24, 10), False),
        ("1hour", at(24, 10), at(24, 12), False),
        ("6hour", at(24, 12), at(25, 6), False),
        ("1hour", at(25, 6), at(25, 9), False),
        ("5min", at(25, 9), at(25, 9, 5), False),
        ("1min", at(25, 9, 5), HORIZON, False),
        ("raw", HORIZON, END, False),
    ]


def test_the_open_bucket_of_the_coarsest_level_the_range_holds_replaces_the_finer_levels():
    assert describe(decompose(START, END, WEEK, MARKS, open_until=HORIZON)) == [
        ("5min", at(24, 9, 5), at(24, 10), False),
        ("1hour", at(24, 10), at(24, 12), False),
        ("6hour", at(24, 12), at(25, 0), False),
        ("1day", at(25, 0), HORIZON, True),
        ("raw", HORIZON, END, False),
    ]


def test_a_time_series_uses_open_buckets_no_coarser_than_its_resolution():
    pieces = decompose(START, END, FIVE_MINUTES, MARKS, open_until=HORIZON)
    assert pieces[-2:] == [Piece(FIVE_MINUTES, at(25, 9, 5), HORIZON, open=True), Piece(None, HORIZON, END)]
    assert all(piece.level in (FIVE_MINUTES, None) for piece in pieces)


def test_a_range_ending_before_the_horizon_reads_no_open_bucket():
    end = at(25, 9, 5)
    assert decompose(START, end, WEEK, MARKS, open_until=HORIZON) == decompose(START, end, WEEK, MARKS)
    assert Piece(HOUR, at(25, 6), at(25, 9)) in decompose(START, end, WEEK, MARKS)


def test_an_open_bucket_written_for_another_watermark_is_not_read():
    # A watermark moved since (a reset, a new level filled by a migration) no longer matches the version.
    moved = {**MARKS, "1day": datetime(1970, 1, 1, tzinfo=UTC)}
    assert ("1day", at(25, 0), HORIZON, True) not in describe(decompose(START, END, WEEK, moved, open_until=HORIZON))


def test_the_pieces_meet_without_gap_or_overlap():
    for coarsest in (WEEK, SIX_HOURS, HOUR, FIVE_MINUTES):
        for open_until in (None, HORIZON):
            pieces = decompose(START, END, coarsest, MARKS, open_until=open_until)
            assert pieces[0].start == START and pieces[-1].end == END
            assert all(a.end == b.start for a, b in zip(pieces, pieces[1:], strict=False))
