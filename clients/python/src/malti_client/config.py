"""The client's settings: explicit arguments first, then the MALTI_* variables the other Malti clients read."""

import os
import socket
from dataclasses import dataclass, field, fields


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false, not {raw!r}")


@dataclass(frozen=True)
class Config:
    """Where and how to send; `Config.from_env(**overrides)` is what the middlewares use."""

    service_name: str
    api_key: str
    url: str = "http://localhost:8000"
    node: str = field(default_factory=socket.gethostname)
    batch_size: int = 500
    batch_interval: float = 60.0
    # Records kept while Malti is slow or down; beyond it the oldest are dropped (and counted).
    max_queue: int = 10_000
    max_retries: int = 3
    retry_delay: float = 1.0
    # A Retry-After longer than this gives up on the batch instead of holding the queue.
    max_retry_after: float = 300.0
    http_timeout: float = 15.0
    # How long the exit (atexit) flush may take before records are given up.
    flush_timeout: float = 10.0
    # The original client's "clean mode": 401 and 404 answers are not reported.
    clean_mode: bool = True
    gzip: bool = True

    @classmethod
    def from_env(cls, **overrides) -> "Config":
        """Read MALTI_* variables; a keyword argument that is not None wins over its variable."""
        values = {
            "service_name": os.environ.get("MALTI_SERVICE_NAME", ""),
            "api_key": os.environ.get("MALTI_API_KEY", ""),
            "url": os.environ.get("MALTI_URL", "") or "http://localhost:8000",
            "node": os.environ.get("MALTI_NODE", "") or socket.gethostname(),
            "batch_size": _env_int("MALTI_BATCH_SIZE", 500),
            "batch_interval": _env_float("MALTI_BATCH_INTERVAL", 60.0),
            "max_queue": _env_int("MALTI_MAX_QUEUE", 10_000),
            "max_retries": _env_int("MALTI_MAX_RETRIES", 3),
            "retry_delay": _env_float("MALTI_RETRY_DELAY", 1.0),
            "http_timeout": _env_float("MALTI_HTTP_TIMEOUT", 15.0),
            "flush_timeout": _env_float("MALTI_FLUSH_TIMEOUT", 10.0),
            "clean_mode": _env_bool("MALTI_CLEAN_MODE", True),
        }
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise TypeError(f"unknown Malti client settings: {', '.join(sorted(unknown))}")
        values.update({name: value for name, value in overrides.items() if value is not None})
        config = cls(**values)
        config.check()
        return config

    def check(self) -> None:
        if not 1 <= self.batch_size <= 10_000:
            raise ValueError("MALTI_BATCH_SIZE must be between 1 and 10000 (Malti's limit per batch)")
        if self.batch_interval <= 0:
            raise ValueError("MALTI_BATCH_INTERVAL must be positive")
        if self.max_queue < self.batch_size:
            raise ValueError("MALTI_MAX_QUEUE must hold at least one batch")
        if self.max_retries < 0 or self.retry_delay < 0:
            raise ValueError("MALTI_MAX_RETRIES and MALTI_RETRY_DELAY cannot be negative")

    @property
    def enabled(self) -> bool:
        """Without a service name and key nothing is recorded (the original client warns and sends nothing)."""
        return bool(self.service_name and self.api_key)

    @property
    def ingest_url(self) -> str:
        return self.url.rstrip("/") + "/api/v1/ingest"
