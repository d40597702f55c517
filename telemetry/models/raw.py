"""The raw `requests` hypertable.

Created by migration 0001 with RunSQL rather than django-timescaledb's
TimescaleModel: that model always drops the table's primary key and adds an
`id` column, and COPY into a table without an id is markedly faster.
The model is unmanaged and read-only for the ORM; writes go through
`Request.objects.ingest()`, which uses binary COPY.
"""

from datetime import UTC, datetime

from django.db import connection, models, transaction

from telemetry.edition import has_continuous_aggregates

# The raw table's columns in COPY order, each with its binary COPY type: the one
# definition of a row. Validation builds its row tuples in this order.
COLUMN_TYPES = {
    "service": "text",
    "node": "text",
    "method": "text",
    "created_at": "timestamptz",
    "endpoint": "text",
    "context": "text",
    "status": "int2",
    "response_time": "int4",
    "consumer": "text",
}
COLUMNS = tuple(COLUMN_TYPES)
CREATED_AT = COLUMNS.index("created_at")
# What the integer columns hold: SMALLINT status, INT milliseconds.
STATUS_RANGE = (-(2**15), 2**15 - 1)
MAX_RESPONSE_TIME_MS = 2**31 - 1

COPY_SQL = f"COPY requests ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)"
COPY_TYPES = list(COLUMN_TYPES.values())
# Rows the cardinality guard changed carry what was sent, too (telemetry/cardinality.py).
ORIGINAL_COLUMNS = ("endpoint_original", "consumer_original", "node_original", "context_original")
COPY_GUARDED_SQL = f"COPY requests ({', '.join(COLUMNS + ORIGINAL_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
COPY_GUARDED_TYPES = COPY_TYPES + ["text"] * len(ORIGINAL_COLUMNS)
# Minutes touched by a batch, for the Apache-edition refresher (continuous
# aggregates track this themselves on the community edition).
MARK_DIRTY_SQL = "INSERT INTO malti_dirty_minutes (bucket) SELECT unnest(%s::timestamptz[])"


def minutes_of(moments) -> list[datetime]:
    """The distinct minutes of aware datetimes, in order, in UTC (by arithmetic: replace() costs 10 times more)."""
    return [datetime.fromtimestamp(minute * 60, UTC) for minute in sorted({m.timestamp() // 60 for m in moments})]


class RequestManager(models.Manager):
    def ingest(self, rows: list[tuple]) -> int:
        """Store rows (COLUMNS order) in one transaction: all of them or none.

        Inside a caller's transaction no savepoint is made (two round trips
        fewer): an error rolls the whole transaction back.
        """
        from telemetry.cardinality import guard

        with transaction.atomic(savepoint=False), connection.cursor() as cursor:
            # Django turns driver errors into django.db ones in execute() only: the COPY,
            # often the transaction's first statement, needs the same (a lost server is a 503).
            stored, guarded = guard.apply(cursor, rows)
            copy_sql, copy_types = (COPY_GUARDED_SQL, COPY_GUARDED_TYPES) if guarded else (COPY_SQL, COPY_TYPES)
            with connection.wrap_database_errors, cursor.copy(copy_sql) as copy:
                copy.set_types(copy_types)
                write_row = copy.write_row
                for row in stored:
                    write_row(row)
            if not has_continuous_aggregates():
                cursor.execute(MARK_DIRTY_SQL, [minutes_of(row[CREATED_AT] for row in rows)])
            # The request explorer's sample, as sent, in the same transaction (explorer imports this module).
            from explorer.sampling import keep_sample

            with connection.wrap_database_errors:
                keep_sample(cursor, rows)
        return len(rows)


class Request(models.Model):
    """One HTTP request a service served."""

    # Django needs a primary key; the hypertable has none, and this model is
    # never saved through the ORM, so the time column stands in for it.
    created_at = models.DateTimeField(primary_key=True)
    service = models.TextField()
    node = models.TextField(null=True)
    method = models.TextField()
    endpoint = models.TextField()
    context = models.TextField(null=True)
    status = models.SmallIntegerField()
    response_time = models.IntegerField(help_text="milliseconds")
    consumer = models.TextField()

    objects = RequestManager()

    class Meta:
        managed = False
        db_table = "requests"

    def __str__(self):
        return f"{self.service} {self.method} {self.endpoint} {self.status} at {self.created_at:%Y-%m-%d %H:%M:%S}"
