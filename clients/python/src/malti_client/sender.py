"""The background sender: a bounded queue the request thread appends to, and one thread that posts batches.

The request thread only appends a tuple under an uncontended lock; building JSON, gzip and
HTTP happen on the sender's thread (or in `flush()`/at exit, in the caller's). Every batch
carries an Idempotency-Key kept across its retries: Malti stores a repeated key and body
only once, so a retry after a lost answer never counts a request twice.
"""

import atexit
import email.utils
import gzip
import json
import logging
import os
import signal
import threading
import time
import urllib.error
import urllib.request
import uuid
import weakref
from collections import deque
from dataclasses import dataclass

from .config import Config

logger = logging.getLogger("malti_client")

# Answers worth another try with the same key and body: Malti stored nothing.
RETRIED_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# Answers that say when to come back.
RETRY_AFTER_STATUSES = frozenset({429, 503})

# (method, endpoint, status, response_time_ms, consumer, context, created_at as Unix seconds)
Record = tuple[str, str, int, int, str, str | None, float]


@dataclass
class SenderStats:
    """What happened to the records handed to this sender (in this process)."""

    queued: int = 0
    sent: int = 0
    # Refused by Malti (4xx other than 408/425/429) or still failing after every retry.
    failed: int = 0
    # Dropped before sending because the queue was full (the oldest go first).
    dropped: int = 0
    batches: int = 0
    retries: int = 0


class Sender:
    """Queue records and send them to Malti in batches from a daemon thread; never raises to the caller."""

    def __init__(self, config: Config, *, background: bool = True, register_exit: bool = True):
        """`background=False`: no thread, records leave only on flush() or close() (scripts, tests)."""
        self.config = config
        self.background = background
        self._reset()
        _live_senders.add(self)
        if register_exit:
            atexit.register(_close_quietly, weakref.ref(self))
            _flush_on_sigterm()

    def _reset(self) -> None:
        """Fresh state: at creation and in a forked child, which must not send its parent's records."""
        self._queue: deque[Record] = deque()
        self._queue_lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._wake = threading.Event()
        self._closing_deadline: float | None = None
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self.stats = SenderStats()

    # The request thread's side: append, wake the thread at a full batch, start it on first use.

    def add(self, record: Record) -> None:
        """Queue one record; with a full queue the oldest record is dropped and counted."""
        try:
            with self._queue_lock:
                if len(self._queue) >= self.config.max_queue:
                    self._queue.popleft()
                    self.stats.dropped += 1
                self._queue.append(record)
                self.stats.queued += 1
                waiting = len(self._queue)
            if self._thread is None:
                if self.background:
                    self._start()
            elif waiting >= self.config.batch_size:
                self._wake.set()
        except Exception:  # telemetry must never break a request
            logger.debug("could not queue a record", exc_info=True)

    def _start(self) -> None:
        with self._queue_lock:
            if self._thread is not None or self._closing_deadline is not None:
                return
            self._thread = threading.Thread(target=self._run, name="malti-sender", daemon=True)
        self._thread.start()

    @property
    def pending(self) -> int:
        return len(self._queue)

    # The sender's side.

    def _run(self) -> None:
        while self._closing_deadline is None:
            self._wake.wait(self.config.batch_interval)
            self._wake.clear()
            if self._closing_deadline is not None:
                break
            try:
                with self._send_lock:
                    self._drain(deadline=None)
            except Exception:  # the thread must outlive any bad batch
                logger.exception("Malti sender: unexpected error")

    def flush(self, timeout: float | None = None) -> bool:
        """Send everything queued now, in this thread; True when the queue is empty afterwards."""
        timeout = self.config.flush_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        if not self._send_lock.acquire(timeout=timeout):
            return False
        try:
            self._drain(deadline)
        except Exception:
            logger.exception("Malti sender: unexpected error while flushing")
        finally:
            self._send_lock.release()
        return not self._queue

    def close(self, timeout: float | None = None) -> bool:
        """Stop the thread and send what is left within `timeout` seconds (the exit flush)."""
        if self._pid != os.getpid():
            return True  # a forked child that never reset (it cannot happen) sends nothing of its parent's
        timeout = self.config.flush_timeout if timeout is None else timeout
        self._closing_deadline = time.monotonic() + timeout
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        return self.flush(max(0.0, self._closing_deadline - time.monotonic()))

    def _take_batch(self) -> list[Record]:
        with self._queue_lock:
            size = min(self.config.batch_size, len(self._queue))
            return [self._queue.popleft() for _ in range(size)]

    def _limit(self, deadline: float | None) -> float:
        """The earlier of a flush's deadline and close()'s."""
        return min(d for d in (deadline, self._closing_deadline, float("inf")) if d is not None)

    def _drain(self, deadline: float | None) -> None:
        while self._queue:
            if time.monotonic() >= self._limit(deadline):
                return
            batch = self._take_batch()
            if batch:
                self._send_batch(batch, deadline)

    def _send_batch(self, batch: list[Record], deadline: float | None) -> None:
        body = self._encode(batch)
        headers = {
            "X-API-Key": self.config.api_key,
            "Content-Type": "application/json",
            "Idempotency-Key": uuid.uuid4().hex,
            "User-Agent": "malti-client-python/0.1",
        }
        if self.config.gzip:
            body = gzip.compress(body, compresslevel=1)  # JSON this repetitive shrinks ~30x even so
            headers["Content-Encoding"] = "gzip"
        self.stats.batches += 1
        for attempt in range(self.config.max_retries + 1):
            status, retry_after = self._post(body, headers)
            if status == 200:
                self.stats.sent += len(batch)
                return
            if status is not None and status not in RETRIED_STATUSES:
                logger.warning("Malti refused a batch of %d records: HTTP %s", len(batch), status)
                break
            if attempt == self.config.max_retries:
                logger.warning("Malti: giving up a batch of %d records after %d tries", len(batch), attempt + 1)
                break
            delay = self.config.retry_delay * 2**attempt
            if retry_after is not None and status in RETRY_AFTER_STATUSES:
                delay = retry_after
            if delay > self.config.max_retry_after or not self._pause(delay, deadline):
                break
            self.stats.retries += 1
        self.stats.failed += len(batch)

    def _encode(self, batch: list[Record]) -> bytes:
        service, node = self.config.service_name, self.config.node
        requests = [
            {
                "service": service,
                "node": node,
                "method": method,
                "endpoint": endpoint,
                "status": status,
                "response_time": response_time,
                "consumer": consumer,
                "context": context,
                "created_at": created_at,
            }
            for method, endpoint, status, response_time, consumer, context, created_at in batch
        ]
        # A lone surrogate (from a badly decoded header) cannot be UTF-8; it becomes "?".
        body = json.dumps({"requests": requests}, separators=(",", ":"), ensure_ascii=False)
        return body.encode("utf-8", "replace")

    def _post(self, body: bytes, headers: dict) -> tuple[int | None, float | None]:
        """POST one batch; the HTTP status (None when no answer came) and Retry-After in seconds."""
        request = urllib.request.Request(self.config.ingest_url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.config.http_timeout) as response:
                response.read()
                return response.status, None
        except urllib.error.HTTPError as error:
            with error:
                return error.code, parse_retry_after(error.headers.get("Retry-After"))
        except (OSError, ValueError) as error:  # refused, reset, timed out, bad URL
            logger.info("Malti unreachable: %s", error)
            return None, None

    def _pause(self, seconds: float, deadline: float | None) -> bool:
        """Sleep before a retry; False when that would pass the flush or exit deadline."""
        end = time.monotonic() + seconds
        while True:
            if end > self._limit(deadline):
                return False
            remaining = end - time.monotonic()
            if remaining <= 0:
                return True
            time.sleep(min(remaining, 0.25))  # short naps notice close() arriving


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


_live_senders: "weakref.WeakSet[Sender]" = weakref.WeakSet()


def _close_quietly(sender_ref) -> None:
    sender = sender_ref()
    if sender is None:
        return
    try:
        sender.close()
    except Exception:  # never fail an interpreter's exit
        logger.debug("Malti sender: exit flush failed", exc_info=True)


def _flush_on_sigterm() -> None:
    """Flush before a SIGTERM nobody handles ends the process: uvicorn, having shut down on SIGTERM,
    raises it again with the handler it found, and the default one skips atexit.

    Only from the main thread and only over the default disposition; an app's own handler stays.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    try:
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _close_all_then_terminate)
    except (ValueError, OSError):
        pass


def _close_all_then_terminate(signum, frame) -> None:
    for sender in list(_live_senders):
        _close_quietly(weakref.ref(sender))
    signal.signal(signum, signal.SIG_DFL)
    signal.raise_signal(signum)  # end as the signal would have: the exit status says SIGTERM


def _reset_after_fork() -> None:
    """A forked worker (gunicorn pre-fork) starts with an empty queue and no thread; its parent keeps its own."""
    for sender in list(_live_senders):
        sender._reset()


os.register_at_fork(after_in_child=_reset_after_fork)
