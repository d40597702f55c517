"""Validation of ingest batches.

Runs once per record on the hot path, so it is plain Python over the parsed
JSON (no serializer object per record). Every rejection names the record's
index and field.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})
MAX_STRING_LENGTH = 500
MAX_RESPONSE_TIME_MS = 3_600_000
REQUIRED_STRINGS = ("service", "method", "endpoint", "consumer")
OPTIONAL_STRINGS = ("node", "context")
KNOWN_FIELDS = frozenset({*REQUIRED_STRINGS, *OPTIONAL_STRINGS, "status", "response_time", "created_at"})

# Control characters (Unicode category Cc: NUL and the rest of C0, DEL, and C1,
# whose U+009B is a terminal's CSI) are dropped from strings.
_CONTROL_CHARS = dict.fromkeys([*range(0x00, 0x20), *range(0x7F, 0xA0)])

# Column order of the raw table, as COPY writes it.
COLUMNS = ("service", "node", "method", "created_at", "endpoint", "context", "status", "response_time", "consumer")


class InvalidBatch(Exception):
    """The batch as a whole is malformed."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def as_dict(self) -> dict:
        return {"detail": self.message}


class InvalidRecord(InvalidBatch):
    def __init__(self, index: int, field: str | None, message: str):
        where = f"requests[{index}]" + (f".{field}" if field else "")
        super().__init__(f"{where}: {message}")
        self.index = index
        self.field = field

    def as_dict(self) -> dict:
        return {"detail": self.message, "index": self.index, "field": self.field}


@dataclass(frozen=True)
class IngestLimits:
    max_records: int
    oldest: datetime
    newest: datetime


def _stripped(value: str) -> str:
    """Control characters dropped, surrounding space stripped."""
    # isprintable() is a fast C check; most strings need no translation.
    return (value if value.isprintable() else value.translate(_CONTROL_CHARS)).strip()


def _clean_string(value, index: int, field: str, *, optional: bool) -> str | None:
    if value is None:
        if optional:
            return None
        raise InvalidRecord(index, field, "is required")
    if not isinstance(value, str):
        raise InvalidRecord(index, field, f"must be a string, not {type(value).__name__}")
    cleaned = _stripped(value)
    if len(cleaned) > MAX_STRING_LENGTH:
        raise InvalidRecord(index, field, f"is {len(cleaned)} characters long; the limit is {MAX_STRING_LENGTH}")
    return None if optional and not cleaned else cleaned


def _int_field(value, index: int, field: str, low: int, high: int) -> int:
    # bool is an int subclass: true/false are not status codes.
    if type(value) is not int:
        if value is None:
            raise InvalidRecord(index, field, "is required")
        raise InvalidRecord(index, field, f"must be an integer, not {type(value).__name__}")
    if not low <= value <= high:
        raise InvalidRecord(index, field, f"must be between {low} and {high}, got {value}")
    return value


def parse_timestamp(value, index: int, limits: IngestLimits, now: datetime) -> datetime:
    if value is None or value == "":
        return now
    if not isinstance(value, str):
        raise InvalidRecord(index, "created_at", f"must be an ISO 8601 string, not {type(value).__name__}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidRecord(index, "created_at", f"is not an ISO 8601 timestamp: {value[:40]!r}") from None
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


def validate_batch(payload, service_name: str, limits: IngestLimits, now: datetime) -> list[tuple]:
    """Return the batch's rows in COPY column order, or raise InvalidBatch.

    A record for another service raises ForeignServiceRecord (a 403).
    """
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
        raise InvalidBatch(f"The batch has {len(records)} records; the limit is {limits.max_records}.")

    # Batches repeat the same few services, endpoints and consumers: each
    # distinct string is checked and cleaned once, then found by a dict lookup.
    required, optional, methods = _StringCache(_cleaned), _StringCache(_optional), _StringCache(_method)
    rows = []
    append = rows.append
    for index, record in enumerate(records):
        try:
            get = record.get
            service = required[get("service")]
            method = methods[get("method")]
            endpoint = required[get("endpoint")]
            consumer = required[get("consumer")]
            node = optional[get("node")]
            context = optional[get("context")]
            status = get("status")
            response_time = get("response_time")
            if (
                service != service_name
                or not endpoint
                or status.__class__ is not int
                or not 100 <= status <= 599
                or response_time.__class__ is not int
                or not 0 <= response_time <= MAX_RESPONSE_TIME_MS
            ):
                raise _Unusual
        except (_Unusual, AttributeError, TypeError):
            # Something is off: the field-by-field check says what and where.
            append(_checked_row(record, index, service_name, limits, now))
            continue
        created_at = parse_timestamp(get("created_at"), index, limits, now)
        append((service, node, method, created_at, endpoint, context, status, response_time, consumer))
    return rows


class _Unusual(Exception):
    """A value the fast path leaves to the field-by-field check."""


class _StringCache(dict):
    """Raw value -> checked value, computed once per distinct value of a batch.

    A hit is a plain dict lookup; unhashable values raise TypeError, and values
    the check refuses raise _Unusual, both before anything is cached.
    """

    def __init__(self, check):
        super().__init__()
        self.check = check

    def __missing__(self, value):
        checked = self[value] = self.check(value)
        return checked


def _cleaned(value) -> str:
    if value.__class__ is not str:
        raise _Unusual
    cleaned = _stripped(value)
    if len(cleaned) > MAX_STRING_LENGTH:
        raise _Unusual
    return cleaned


def _optional(value) -> str | None:
    return None if value is None else _cleaned(value) or None


def _method(value) -> str:
    method = _cleaned(value).upper()
    if method not in HTTP_METHODS:
        raise _Unusual
    return method


def _checked_row(record, index: int, service_name: str, limits: IngestLimits, now: datetime) -> tuple:
    """One record checked field by field, in order: its row, or InvalidRecord naming the first bad field."""
    if not isinstance(record, dict):
        raise InvalidRecord(index, None, f"must be an object, not {type(record).__name__}")
    service = _clean_string(record.get("service"), index, "service", optional=False)
    if service != service_name:
        raise ForeignServiceRecord(index, service, service_name)
    method = _clean_string(record.get("method"), index, "method", optional=False).upper()
    if method not in HTTP_METHODS:
        raise InvalidRecord(index, "method", f"{method[:20]!r} is not an HTTP method")
    endpoint = _clean_string(record.get("endpoint"), index, "endpoint", optional=False)
    if not endpoint:
        raise InvalidRecord(index, "endpoint", "must not be empty")
    consumer = _clean_string(record.get("consumer"), index, "consumer", optional=False)
    node = _clean_string(record.get("node"), index, "node", optional=True)
    context = _clean_string(record.get("context"), index, "context", optional=True)
    status = _int_field(record.get("status"), index, "status", 100, 599)
    response_time = _int_field(record.get("response_time"), index, "response_time", 0, MAX_RESPONSE_TIME_MS)
    created_at = parse_timestamp(record.get("created_at"), index, limits, now)
    return (service, node, method, created_at, endpoint, context, status, response_time, consumer)


class ForeignServiceRecord(InvalidRecord):
    """A record names a service the key does not belong to."""

    def __init__(self, index: int, service: str, key_service: str):
        super().__init__(index, "service", f"is {service!r}, but this key may only ingest for {key_service!r}")


def ingest_limits(now: datetime, raw_retention: timedelta, max_records: int, max_future_seconds: int) -> IngestLimits:
    return IngestLimits(
        max_records=max_records, oldest=now - raw_retention, newest=now + timedelta(seconds=max_future_seconds)
    )
