"""The benchmarks' own database, Redis, Celery workers and gunicorn, and the machine they run on.

Everything listens on 127.0.0.1 only and is stopped by the runner, whatever happens.
"""

import os
import platform
import re
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.loopback import free_port, redis_answers, start_redis, wait_until

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "benchmarks"


class BenchmarkError(Exception):
    """The benchmarks cannot run; the message says why, in one line."""


# --- Database -----------------------------------------------------------------------------


def benchmark_database_url(url: str | None, *, quick: bool = False) -> str:
    """The URL of the benchmarks' own database: DATABASE_URL's server and credentials, its
    database name plus ``_benchmarks`` (``_benchmarks_quick`` for the quick run, so that each
    keeps its data between runs); never DATABASE_URL's database itself."""
    if not url:
        raise BenchmarkError(
            "DATABASE_URL is not set: point it at a PostgreSQL server, e.g. "
            "postgres://eumx:eumx@127.0.0.1:5432/eumx (a role allowed to create databases)"
        )
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise BenchmarkError(f"DATABASE_URL must be a PostgreSQL URL, not {parts.scheme}://")
    name = parts.path.lstrip("/") or "postgres"
    suffix = "_benchmarks_quick" if quick else "_benchmarks"
    return urlunsplit(parts._replace(path=f"/{name}{suffix}"))


def ensure_database(url: str) -> None:
    """Create the database of ``url`` if it does not exist (connecting to ``postgres``)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if not exists.fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BenchmarkError(f"cannot create the benchmark database {name}: {first}") from exc


# --- Processes ----------------------------------------------------------------------------


def wait_for(predicate, *, timeout: float, what: str, interval: float = 0.1):
    return wait_until(
        predicate, timeout=timeout, interval=interval, what=what, error=BenchmarkError
    )


def _stop(process: subprocess.Popen | None, *, group: bool = True, timeout: float = 20) -> None:
    if process is None or process.poll() is not None:
        return
    try:
        if group:
            os.killpg(process.pid, signal.SIGTERM)
        else:
            process.terminate()
        process.wait(timeout=timeout)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        try:
            os.killpg(process.pid, signal.SIGKILL) if group else process.kill()
        except ProcessLookupError:
            pass
        process.wait(timeout=10)


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(part) for part in text.split()]


def peak_rss_mb(pid: int) -> float | None:
    """The process's peak resident memory so far (VmHWM), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class Redis:
    """A redis-server of the benchmarks' own, on a free loopback port, no persistence."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        VAR.mkdir(parents=True, exist_ok=True)
        self.process = start_redis(self.port, VAR, new_session=True, error=BenchmarkError)

    def ping(self) -> bool:
        return redis_answers(self.port)

    def version(self) -> str:
        out = subprocess.run(["redis-server", "--version"], capture_output=True, text=True)
        found = re.search(r"v=(\S+)", out.stdout)
        return found.group(1) if found else out.stdout.strip()

    def stop(self) -> None:
        _stop(self.process)
        self.process = None


def _env(**extra) -> dict:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "benchmarks.settings", **extra}


class Workers:
    """``celery worker`` with ``concurrency`` processes (prefork), reading the benchmark DB."""

    def __init__(self, *, concurrency: int = 2, name: str = "bench"):
        self.concurrency = concurrency
        self.name = name
        self.process: subprocess.Popen | None = None
        self.log = VAR / f"worker-{name}.log"

    def start(self, *, wait: bool = True) -> None:
        """Start the worker; unless ``wait`` is false, return once its processes run."""
        VAR.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork",
             f"--concurrency={self.concurrency}", "--loglevel=WARNING", "--without-gossip",
             "--without-mingle", "--without-heartbeat", f"--hostname={self.name}@%h",
             "--include=benchmarks.tasks"],
            cwd=ROOT, env=_env(), stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

        def ready():
            if self.process.poll() is not None:
                raise BenchmarkError(f"the Celery worker exited; see {self.log}")
            return len(children(self.process.pid)) >= self.concurrency

        if wait:
            wait_for(ready, timeout=60, what="Celery worker processes")

    def peak_rss_mb(self) -> list[float]:
        if self.process is None:
            return []
        found = (peak_rss_mb(pid) for pid in children(self.process.pid))
        return [value for value in found if value is not None]

    def stop(self) -> None:
        _stop(self.process, timeout=30)
        self.process = None


class Gunicorn:
    """gunicorn serving the site (benchmarks.settings) on 127.0.0.1, with ``workers``
    processes, threads and keep-alive, and Django's PostgreSQL connection pool."""

    def __init__(self, *, workers: int = 2, threads: int = 4):
        self.port = free_port()
        self.workers = workers
        self.threads = threads
        self.process: subprocess.Popen | None = None
        self.log = VAR / "gunicorn.log"

    def start(self) -> None:
        VAR.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application",
             "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
             "--worker-class", "gthread", "--threads", str(self.threads),
             "--keep-alive", "30", "--backlog", "512", "--log-level", "warning"],
            cwd=ROOT, env=_env(DATABASE_POOL="true", DATABASE_POOL_MIN="2",
                               DATABASE_POOL_MAX=str(self.threads + 1)),
            stdout=self.log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

        def answers():
            if self.process.poll() is not None:
                raise BenchmarkError(f"gunicorn exited; see {self.log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                return False

        wait_for(answers, timeout=60, what="gunicorn")

    def stop(self) -> None:
        _stop(self.process)
        self.process = None


# --- Machine ------------------------------------------------------------------------------


def machine(redis: Redis) -> dict[str, str]:
    from django.db import connection

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    import django

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": ram,
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": postgres,
        "redis": redis.version(),
    }


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"
