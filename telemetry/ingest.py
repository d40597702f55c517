"""Validation of ingest batches.

Runs once per record on the hot path, so it is plain Python over the parsed
JSON (no serializer object per record). The official clients drop a whole batch
(500 records by default) on any answer but 200, so a value is refused only when
it cannot be stored faithfully; what the original Malti accepts is accepted,
over-long strings are cut as it cuts them, and every refusal names the record's
index and field. The README's ingest contract lists each rule and why.
"""

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from telemetry.models.raw import COLUMNS, MAX_RESPONSE_TIME_MS, STATUS_RANGE

MAX_STRING_LENGTH = 500
# A record's fields are the raw table's columns; any other field is ignored.
KNOWN_FIELDS = frozenset(COLUMNS)
# Numbers in created_at are Unix time as pydantic reads them: seconds, or
# milliseconds past 2·10^10 (a moment in 2603 in seconds, in 1970 in ms).
UNIX_MILLISECONDS_FROM = 2e10
# A number written as a string (pydantic's lax mode reads "200" as 200): JSON's
# number syntax, ASCII digits only, surrounding space allowed.
NUMERIC_STRING = r"^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$"
_numeric_string = re.compile(NUMERIC_STRING, re.ASCII).match

# Control characters (Unicode category Cc: NUL and the rest of C0, DEL, and C1,
# whose U+009B is a terminal's CSI) are dropped from strings.
_CONTROL_CHARS = dict.fromkeys([*range(0x00, 0x20), *range(0x7F, 0xA0)])


class InvalidBatch(Exception):
    """The body was read but cannot be stored as sent."""

    status_code = 422

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def as_dict(self) -> dict:
        return {"detail": self.message}


class BatchTooLarge(InvalidBatch):
    status_code = 413


class InvalidRecord(InvalidBatch):
    def __init__(self, index: int, field: str | None, message: str):
        where = f"requests[{index}]" + (f".{field}" if field else "")
        super().__init__(f"{where}: {message}")
        self.index = index
        self.field = field

    def as_dict(self) -> dict:
        return {"detail": self.message, "index": self.index, "field": self.field}


class ForeignServiceRecord(InvalidRecord):
    """A record names a service the key does not belong to."""

    status_code = 403

    def __init__(self, index: int, service: str, key_service: str):
        super().__init__(index, "service", f"is {service!r}, but this key may only ingest for {key_service!r}")


@dataclass(frozen=True)
class IngestLimits:
    max_records: int
    oldest: datetime
    newest: datetime


@dataclass(frozen=True)
class ValidBatch:
    rows: list[tuple]  # in COLUMNS order
    truncated: int  # values cut to fit: strings to 500 characters, response times to the column's range


def ingest_limits(now: datetime, raw_retention: timedelta, max_records: int, max_future_seconds: int) -> IngestLimits:
    return IngestLimits(
        max_records=max_records, oldest=now - raw_retention, newest=now + timedelta(seconds=max_future_seconds)
    )


def validate_batch(payload, service_name: str, stored_service: str, limits: IngestLimits, now: datetime) -> ValidBatch:
    """The batch's rows and how many values were cut, or InvalidBatch.

    Records must carry `service_name` (a record for another service raises
    ForeignServiceRecord, a 403); the rows' service column holds `stored_service`.
    """
    records = _records(payload, limits)
    check = _Checker(service_name, stored_service, limits, now)
    expected, texts, consumers, optional, methods = (
        check.expected_service,
        check.texts,
        check.consumers,
        check.optional,
        check.methods,
    )
    low, high = STATUS_RANGE
    rows = []
    append = rows.append
    for index, record in enumerate(records):
        try:
            get = record.get
            service = texts[get("service")]
            method = methods[get("method")]
            endpoint = texts[get("endpoint")]
            consumer = consumers[get("consumer")]
            node = optional[get("node")]
            context = optional[get("context")]
            status = get("status")
            response_time = get("response_time")
            if (
                service != expected
                or status.__class__ is not int
                or not low <= status <= high
                or response_time.__class__ is not int
                or not 0 <= response_time <= MAX_RESPONSE_TIME_MS
            ):
                raise _Unusual
        except (_Unusual, AttributeError, TypeError):
            # Something is off: the field-by-field check says what and where, or converts it.
            append(check.row(record, index))
            continue
        created_at = parse_timestamp(get("created_at"), index, limits, now)
        # COLUMNS order; test_validation checks it against the field-by-field row.
        append((stored_service, node, method, created_at, endpoint, context, status, response_time, consumer))
    return ValidBatch(rows, check.truncated(records))


def _records(payload, limits: IngestLimits) -> list:
    if not isinstance(payload, dict):
        raise InvalidBatch('The body must be a JSON object like {"requests": [...]}.')
    records = payload.get("requests")
    if records is None:
        raise InvalidBatch('The body has no "requests" list.')
    if not isinstance(records, list):
        raise InvalidBatch(f'"requests" must be a list, not {type(records).__name__}.')
    if not records:
        raise InvalidBatch('"requests" is empty; send at least one record.')
    if len(records) > limits.max_records:
        raise BatchTooLarge(f"The batch has {len(records)} records; the limit is {limits.max_records}.")
    return records


def parse_timestamp(value, index: int, limits: IngestLimits, now: datetime) -> datetime:
    if value is None or value == "":
        return now
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        moment = _moment(value, index)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # naive timestamps are UTC
    # Compare before converting: astimezone(UTC) overflows near years 1 and 9999.
    if moment > limits.newest:
        raise InvalidRecord(index, "created_at", f"is in the future ({value}); clocks may be off")
    if moment < limits.oldest:
        raise InvalidRecord(
            index, "created_at", f"is older than the raw retention window ({value} < {limits.oldest.isoformat()})"
        )
    return moment.astimezone(UTC)


def _moment(value, index: int) -> datetime:
    """What fromisoformat() refused, as the original's pydantic reads it: a lowercase z, or Unix time."""
    if isinstance(value, str):
        if value.endswith("z"):
            try:
                return datetime.fromisoformat(value[:-1] + "Z")
            except ValueError:
                pass
        if not _numeric_string(value):
            raise InvalidRecord(index, "created_at", f"is not an ISO 8601 timestamp or Unix time: {value[:40]!r}")
        value = float(value)
    elif not isinstance(value, int | float) or isinstance(value, bool):
        raise InvalidRecord(index, "created_at", f"must be an ISO 8601 string or Unix time, not {type(value).__name__}")
    try:
        return datetime.fromtimestamp(value / 1000 if abs(value) > UNIX_MILLISECONDS_FROM else value, UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidRecord(index, "created_at", f"is not a representable Unix time: {value!r}") from None


class _Unusual(Exception):
    """A value the fast path leaves to the field-by-field check."""


def _fit(value: str) -> tuple[str, bool]:
    """Control characters dropped, surrounding space stripped, cut to MAX_STRING_LENGTH; and whether it was cut."""
    # isprintable() is a fast C check; most strings need no translation.
    cleaned = (value if value.isprintable() else value.translate(_CONTROL_CHARS)).strip()
    if len(cleaned) <= MAX_STRING_LENGTH:
        return cleaned, False
    return cleaned[:MAX_STRING_LENGTH].rstrip(), True


def _text(value) -> tuple[str, bool]:
    if value.__class__ is not str:
        raise _Unusual
    return _fit(value)


def _consumer(value) -> tuple[str, bool]:
    # The column is NOT NULL: a missing consumer is stored as "", as the Java client sends it.
    return ("", False) if value is None else _text(value)


def _optional(value) -> tuple[str | None, bool]:
    if value is None:
        return None, False
    text, cut = _text(value)
    return text or None, cut


def _method(value) -> tuple[str, bool]:
    # Upper-cased so that "get" and "GET" are one filter value; any method is kept (WebDAV, custom ones).
    if value.__class__ is not str:
        raise _Unusual
    return _fit(value.upper())


class _StringCache(dict):
    """Raw value -> checked value, computed once per distinct value of a batch.

    A hit is a plain dict lookup; unhashable values raise TypeError, and values
    the check leaves to the field-by-field check raise _Unusual, both before
    anything is cached. Raw strings that were cut are remembered in `cut`, so
    that afterwards their occurrences in `fields` can be counted.
    """

    def __init__(self, check, fields: tuple[str, ...]):
        super().__init__()
        self.check = check
        self.fields = fields
        self.cut = set()

    def __missing__(self, value):
        checked, cut = self.check(value)
        if cut:
            self.cut.add(value)
        self[value] = checked
        return checked


class _Checker:
    """One batch's string caches, and the field-by-field check of a record the fast path left to it."""

    def __init__(self, service_name: str, stored_service: str, limits: IngestLimits, now: datetime):
        self.service_name = service_name
        self.expected_service = _fit(service_name)[0]  # records are compared once cleaned, as the original does
        self.stored_service = stored_service
        self.limits = limits
        self.now = now
        self.texts = _StringCache(_text, ("service", "endpoint"))
        self.consumers = _StringCache(_consumer, ("consumer",))
        self.optional = _StringCache(_optional, ("node", "context"))
        self.methods = _StringCache(_method, ("method",))
        self.clamped = 0

    def row(self, record, index: int) -> tuple:
        """The record checked field by field, in order: its row, or InvalidRecord naming the first bad field."""
        if not isinstance(record, dict):
            raise InvalidRecord(index, None, f"must be an object, not {type(record).__name__}")
        service = self.string(record, index, "service", self.texts)
        if service != self.expected_service:
            raise ForeignServiceRecord(index, service, self.service_name)
        values = {
            "service": self.stored_service,
            "method": self.string(record, index, "method", self.methods),
            "endpoint": self.string(record, index, "endpoint", self.texts),
            "consumer": self.string(record, index, "consumer", self.consumers, required=False),
            "node": self.string(record, index, "node", self.optional, required=False),
            "context": self.string(record, index, "context", self.optional, required=False),
            "status": _status(record.get("status"), index),
            "response_time": self.response_time(record.get("response_time"), index),
            "created_at": parse_timestamp(record.get("created_at"), index, self.limits, self.now),
        }
        return tuple(values[name] for name in COLUMNS)

    @staticmethod
    def string(record: dict, index: int, field: str, cache: _StringCache, *, required=True):
        value = record.get(field)
        if value is None:
            if required:
                raise InvalidRecord(index, field, "is required")
        elif isinstance(value, bool | int | float):
            value = str(value)  # as the original's str(v): 42 -> "42", True -> "True"
        elif isinstance(value, str):
            value = str(value)  # a str subclass is a plain str to the cache
        else:
            raise InvalidRecord(index, field, f"must be a string, not {type(value).__name__}")
        return cache[value]

    def response_time(self, value, index: int) -> int:
        """Whole milliseconds: fractions rounded, and brought into the column's range (counted as cut)."""
        milliseconds = round(_number(value, index, "response_time"))
        if 0 <= milliseconds <= MAX_RESPONSE_TIME_MS:
            return milliseconds
        self.clamped += 1
        return 0 if milliseconds < 0 else MAX_RESPONSE_TIME_MS

    def truncated(self, records: list) -> int:
        """Values cut to fit in the whole batch: each occurrence of a cut string, and each clamped response time."""
        count = self.clamped
        for cache in (self.texts, self.consumers, self.optional, self.methods):
            if cache.cut:  # rare: only then are the records walked again
                cut = cache.cut
                count += sum(record.get(field) in cut for record in records for field in cache.fields)
        return count


def _number(value, index: int, field: str) -> int | float:
    """A JSON number or a numeric string, as pydantic's lax mode reads one; never a boolean."""
    if value is None:
        raise InvalidRecord(index, field, "is required")
    if isinstance(value, str):
        if not _numeric_string(value):
            raise InvalidRecord(index, field, f"must be a number, got {value[:20]!r}")
        try:
            return int(value)
        except ValueError:  # a fraction or an exponent, or more digits than int() reads
            number = float(value)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = value
    else:
        raise InvalidRecord(index, field, f"must be a number, not {type(value).__name__}")
    if isinstance(number, float) and not math.isfinite(number):
        raise InvalidRecord(index, field, f"must be a finite number, got {number}")
    return int(number) if isinstance(number, int) else number


def _status(value, index: int) -> int:
    number = _number(value, index, "status")
    if isinstance(number, float):
        if not number.is_integer():
            raise InvalidRecord(index, "status", f"must be a whole number, got {number}")
        number = int(number)
    low, high = STATUS_RANGE
    if not low <= number <= high:
        raise InvalidRecord(index, "status", f"must be between {low} and {high}, got {number}")
    return number
