"""Read replicas: telemetry reads go to a streaming replica that keeps up, else to the primary.

DATABASE_REPLICA_URL names one or more streaming replicas of DATABASE_URL,
each a database alias `replica_<n>` (settings). A replica serves reads while
it answers, is still a standby streaming from its primary, and has replayed
what it received to within MALTI_REPLICA_MAX_LAG seconds. Each process
checks each replica at most every CHECK_EVERY seconds, when it next reads
(and /health/ready checks every time); a statement that fails on a replica
takes it out until the next check. Each process prefers one replica (by its
pid, so processes spread over them) and takes the next usable one when its own
is not; with none usable, reads use the primary's reads pool. Writes, admin
and logins never leave the primary: reads there right after a write must see it.
"""

import os
import threading
import time
from dataclasses import dataclass

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

# The database alias whose connections carry the metrics statement timeout
# (settings.DATABASES["reads"]): the primary's, a pool apart from ingest's.
READS = "reads"
CHECK_EVERY = 5.0  # seconds
CONNECT_TIMEOUT = 3  # seconds
# Replay lag: 0 when the standby has replayed all it received (an idle primary
# sends nothing), else the age of the last transaction it replayed. A standby
# whose WAL receiver stopped would show 0 forever: it must also be streaming.
# (pg_stat_wal_receiver has its row, pid at least, for any role while it runs.)
REPLICA_STATE_SQL = """
SELECT pg_is_in_recovery(),
       EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE pid IS NOT NULL),
       CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) END
"""


@dataclass(frozen=True)
class ReplicaState:
    alias: str
    checked_at: float  # time.monotonic()
    lag_seconds: float | None = None
    problem: str = ""  # why it does not serve reads; empty when it does

    @property
    def serving(self) -> bool:
        return not self.problem

    def as_json(self) -> dict:
        db = settings.DATABASES[self.alias]
        return {
            "database": f"{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "serving": self.serving,
            "lag_seconds": round(self.lag_seconds, 3) if self.lag_seconds is not None else None,
            **({"problem": self.problem} if self.problem else {}),
        }


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica_")]


def measure(alias: str) -> ReplicaState:
    """Connect to a replica afresh (not through its pool) and read its state."""
    db = settings.DATABASES[alias]
    now = time.monotonic()
    try:
        with psycopg.connect(
            host=db["HOST"],
            port=db["PORT"] or 5432,
            dbname=db["NAME"],
            user=db["USER"],
            password=db["PASSWORD"],
            connect_timeout=CONNECT_TIMEOUT,
            autocommit=True,
        ) as replica:
            in_recovery, streaming, lag = replica.execute(REPLICA_STATE_SQL).fetchone()
    except psycopg.Error as exc:
        return ReplicaState(alias, now, problem=f"unreachable: {exc.__class__.__name__}")
    lag = float(lag) if lag is not None else None
    if not in_recovery:
        return ReplicaState(alias, now, problem="not a standby (promoted, or not a replica)")
    if not streaming:
        return ReplicaState(alias, now, lag, problem="not streaming from its primary")
    if lag is None or lag > settings.MALTI_REPLICA_MAX_LAG:
        return ReplicaState(alias, now, lag, problem=f"replay lag over MALTI_REPLICA_MAX_LAG ({lag}s)")
    return ReplicaState(alias, now, lag)


class Replicas:
    """This process's view of its replicas, re-measured when older than CHECK_EVERY."""

    def __init__(self):
        self._states: dict[str, ReplicaState] = {}
        self._lock = threading.Lock()

    def state(self, alias: str, fresh: bool = False) -> ReplicaState:
        known = self._states.get(alias)
        if fresh or known is None or time.monotonic() - known.checked_at > CHECK_EVERY:
            # One thread measures; the others keep the last state meanwhile.
            if self._lock.acquire(blocking=known is None or fresh):
                try:
                    known = self._states[alias] = measure(alias)
                finally:
                    self._lock.release()
        return known

    def states(self, fresh: bool = False) -> list[ReplicaState]:
        return [self.state(alias, fresh) for alias in replica_aliases()]

    def reads_alias(self) -> str:
        """The replica this process reads from now, or the primary's reads alias."""
        aliases = replica_aliases()
        if not aliases:
            return READS
        first = os.getpid() % len(aliases)
        for alias in aliases[first:] + aliases[:first]:
            if self.state(alias).serving:
                return alias
        return READS

    def failed(self, alias: str, exc: Exception):
        """A statement lost its replica: read from elsewhere until it is measured again.

        A statement the replica itself stopped (the statement timeout, or a
        conflict with replay) says nothing about the replica: it stays.
        """
        if alias not in replica_aliases() or not lost_connection(exc):
            return
        self._states[alias] = ReplicaState(alias, time.monotonic(), problem=f"a read failed: {exc.__class__.__name__}")
        # Its pooled connections may all be dead (a restarted replica): start afresh.
        connections[alias].close_pool()


def lost_connection(exc: Exception) -> bool:
    """No answer from the server, or one that says it is going away (SQLSTATE classes 08 and 57P)."""
    state = getattr(exc.__cause__, "sqlstate", None)
    return state is None or state.startswith(("08", "57P"))


replicas = Replicas()


class TelemetryReadsRouter:
    """Where reads go: telemetry statements may use a replica, everything else the primary.

    The metrics, filters and explorer statements ask with `telemetry_read=True`
    (telemetry.rollups.query.reads_alias); ORM reads (admin, accounts) and
    every write use the primary.
    """

    def db_for_read(self, model, **hints):
        return replicas.reads_alias() if hints.get("telemetry_read") else None

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The reads pool and the replicas are the primary's database, or copies of it.
        return db == DEFAULT_DB_ALIAS
