"""Real Redis servers and Celery worker processes for integration tests.

Each test session gets its own redis-server on a free loopback port, so a test may stop and
restart it without disturbing anything else, and worker processes that consume from it and
write to the test database.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

from django.db import connection

from tests.loopback import redis_answers, start_redis, wait_until

ROOT = Path(__file__).resolve().parent.parent


def wait_for(predicate, *, timeout: float = 60, interval: float = 0.2, what: str = "condition"):
    return wait_until(predicate, timeout=timeout, interval=interval, what=what)


class RedisServer:
    """``appendonly=True``: persist every write to an append-only file in ``workdir``, fsynced
    every second (what production needs so that queued tasks survive a restart)."""

    def __init__(self, port: int, workdir: Path, *, appendonly: bool = False):
        self.port = port
        self.workdir = workdir
        self.appendonly = appendonly
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = start_redis(self.port, self.workdir, appendonly=self.appendonly)

    def ping(self) -> bool:
        return redis_answers(self.port)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def kill(self) -> None:
        """SIGKILL: a crash, with no chance to write anything more to disk."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def client(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, db=0, socket_timeout=5)

    def queue_length(self, queue: str = "celery") -> int:
        """Messages waiting in a Celery queue (not those a worker holds unacknowledged)."""
        return self.client().llen(queue)

    def unacked(self) -> int:
        """Messages workers hold and have not acknowledged (kombu's ack emulation)."""
        return self.client().hlen("unacked")

    def flush(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            sock.sendall(b"FLUSHALL\r\n")
            sock.recv(16)


def test_database_url(**options: str) -> str:
    """The URL of the database this test session uses (pytest-django's test_… database);
    ``options`` become query parameters (``application_name="eumx-worker"``)."""
    s = connection.settings_dict
    url = (
        f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/"
        f"{s['NAME']}"
    )
    return url + ("?" + urlencode(options) if options else "")


def celery_env(broker_url: str, database_url: str | None, extra: dict[str, str]) -> dict:
    """The environment of a Celery process: test settings, the test database (by default),
    the test's broker, and ``extra``."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url or test_database_url(),
        "CELERY_BROKER_URL": broker_url,
        **extra,
    }


class Worker:
    """`celery worker` processes consuming from ``broker_url`` and writing to the test database."""

    def __init__(
        self,
        broker_url: str,
        *,
        concurrency: int = 2,
        name: str = "w1",
        database_url: str | None = None,
        env: dict[str, str] | None = None,
    ):
        self.broker_url = broker_url
        self.concurrency = concurrency
        self.name = name
        self.database_url = database_url  # default: the test session's database
        self.env = env or {}  # more environment, e.g. CELERY_VISIBILITY_TIMEOUT
        self.process: subprocess.Popen | None = None
        self.log = ROOT / "var" / f"test-worker-{name}.log"

    def start(self) -> None:
        self.log.parent.mkdir(exist_ok=True)
        env = celery_env(self.broker_url, self.database_url, self.env)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker",
             "--pool=prefork", f"--concurrency={self.concurrency}", "--loglevel=INFO",
             "--without-gossip", "--without-mingle", f"--hostname={self.name}@%h"],
            cwd=ROOT, env=env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        wait_for(lambda: b"ready" in self.log.read_bytes(), timeout=60, what="worker ready")

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and its children)."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None


class Beat:
    """A `celery beat` process sending the settings' schedule to ``broker_url``; ``env``
    shortens intervals (``INTRODUCTION_SWEEP_SECONDS="1"``)."""

    def __init__(self, broker_url: str, workdir: Path, *, env: dict[str, str] | None = None):
        self.broker_url = broker_url
        self.workdir = workdir
        self.env = env or {}
        self.process: subprocess.Popen | None = None
        self.log = ROOT / "var" / "test-beat.log"

    def start(self) -> None:
        self.log.parent.mkdir(exist_ok=True)
        env = celery_env(self.broker_url, None, self.env)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO",
             f"--schedule={self.workdir / 'beat-schedule'}",
             f"--pidfile={self.workdir / 'beat.pid'}"],
            cwd=ROOT, env=env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None


class PostgresCluster:
    """A throwaway PostgreSQL server of a test's own (``initdb`` in a temporary folder, a free
    loopback port, trust authentication, no fsync), which the test may stop and restart
    without touching the shared server other tests use. Run as the ``postgres`` system user
    when the tests run as root (initdb refuses root)."""

    def __init__(self, port: int):
        self.port = port
        self.workdir = Path(tempfile.mkdtemp(prefix="eumx-pg-"))
        self.data = self.workdir / "data"
        self.bindir = self.find_bindir()

    @staticmethod
    def find_bindir() -> Path | None:
        candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)
        for folder in reversed(candidates):
            if (folder / "initdb").exists():
                return folder
        initdb = shutil.which("initdb")
        return Path(initdb).parent if initdb else None

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--no-sync")  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.workdir / "log"), "-w",
                  "-o", options, "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """``fast``: the server rolls back every transaction and closes every connection."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, database: str = "postgres", **options: str) -> str:
        query = "?" + urlencode(options) if options else ""
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}{query}"

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # not running
        shutil.rmtree(self.workdir, ignore_errors=True)
