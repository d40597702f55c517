"""What every benchmark shares: the bench database, Django set-up, the server under test, /proc readings."""

import math
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://malti:malti@127.0.0.1:5433/malti_bench")
# The benchmarks create their database as the cluster's superuser (trust auth on loopback).
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5433/postgres")
DEFAULT_PORT = 8765
SECRET_KEY = "bench-only-secret-key-0123456789-abcdefghijklmnopq"  # 50 characters, loopback use only

# The server's environment for measuring: no rate limits,
# Redis db 3 (not the dev instance's db 0), quiet logs.
SERVER_ENV = {
    "DATABASE_URL": DATABASE_URL,
    "MALTI_SECRET_KEY": SECRET_KEY,
    "MALTI_ALLOWED_HOSTS": "127.0.0.1",
    "MALTI_SECURE_COOKIES": "0",
    "MALTI_RATELIMIT_ENABLE": "0",
    "MALTI_REDIS_URL": "redis://127.0.0.1:6379/3",
    "LOG_LEVEL": "WARNING",
}

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def setup_django():
    """Point this process at the bench database and set Django up."""
    for name, value in SERVER_ENV.items():
        os.environ[name] = value
    # Plain connections for the bench's own process: after a cluster restart a pool would hand
    # out dead connections one by one. The server keeps its pool (Server.start drops this).
    os.environ["MALTI_DB_POOL"] = "0"
    os.environ["DJANGO_SETTINGS_MODULE"] = "malti_site.settings"
    import django

    django.setup()


def ensure_database():
    """Create malti_bench if it is missing and bring its schema up to date."""
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}" OWNER malti')
            print(f"created database {name}", flush=True)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def wait_for_database(timeout: float = 300) -> None:
    """Block until the cluster accepts connections again (it may be restarted under us)."""
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(DATABASE_URL, connect_timeout=5) as conn:
                conn.execute("SELECT 1")
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


def connect(**kwargs):
    """A plain psycopg connection to the bench database (no Django)."""
    import psycopg

    return psycopg.connect(DATABASE_URL, **kwargs)


def code_version() -> str:
    """The commit measured, plus application files changed in the shared working tree since."""

    def git(*args):
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False).stdout

    head = git("log", "-1", "--format=%h %ci").strip()
    changed = [
        line[3:]
        for line in git("status", "--porcelain").splitlines()
        if line[3:].endswith(".py") and not line[3:].startswith(("tests/", "bench/"))
    ]
    return head + (f" + uncommitted: {', '.join(changed)}" if changed else "")


def loadavg() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return f"load average: {loadavg()}"


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(child) for child in f.read().split()]
    except OSError:
        pass
    return found


def process_tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo += _children(current)
    return pids


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, MiB, from /proc."""
    total_kb = 0
    for member in process_tree(pid):
        try:
            with open(f"/proc/{member}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total_kb += int(line.split()[1])
                        break
        except OSError:
            pass
    return total_kb / 1024


def _established_socket_inodes(port: int) -> set[str]:
    """'socket:[inode]' of each established TCP connection whose local port is `port` (/proc/net/tcp)."""
    inodes = set()
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                inodes.add(f"socket:[{fields[9]}]")
    return inodes


class Server:
    """The app under gunicorn + uvicorn workers, exactly as scripts/run.sh serves it, on a loopback port."""

    def __init__(self, port: int = DEFAULT_PORT, workers: int = 2):
        self.port = port
        self.workers = workers
        self.url = f"http://127.0.0.1:{port}"
        self.process = None
        self.log_path = Path(tempfile.gettempdir()) / f"malti-bench-server-{port}.log"

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        env = {**os.environ, **SERVER_ENV}
        env.pop("MALTI_DB_POOL", None)  # served as configured by default
        command = [
            str(VENV_BIN / "gunicorn"),
            "malti_site.asgi:application",
            "-k",
            "uvicorn_worker.UvicornWorker",
            "--workers",
            str(self.workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--no-control-socket",
            "--reuse-port",
        ]
        log = open(self.log_path, "w")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/health/ready", timeout=2) as response:
                    if response.status == 200 and len(self.worker_pids()) >= self.workers:
                        pid, workers = self.process.pid, self.workers
                        print(f"server pid {pid} on {self.url} ({workers} workers), log {self.log_path}", flush=True)
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the server did not become ready in 60 s; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        return _children(self.process.pid) if self.process else []

    def rss_mb(self) -> float:
        return rss_mb(self.process.pid)

    def connections_per_worker(self) -> list[int]:
        """Established client connections each worker holds, busiest first.

        A uvicorn worker accepts every connection pending when it wakes, so a
        few long-lived clients may all land on one worker, which then has one
        core for all of them.
        """
        established = _established_socket_inodes(self.port)
        counts = []
        for pid in self.worker_pids():
            try:
                links = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
            except OSError:
                links = set()
            counts.append(len(links & established))
        return sorted(counts, reverse=True)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def percentile(values, q: float) -> float:
    """Nearest-rank percentile of a list of numbers (0 for an empty list)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered) - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]
