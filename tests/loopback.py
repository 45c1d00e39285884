"""Throwaway services on 127.0.0.1 for the tests and the benchmarks (never used by the
site itself): a free port, waiting for a condition, and a redis-server of their own."""

import shutil
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(
    predicate,
    *,
    timeout: float = 60,
    interval: float = 0.2,
    what: str = "condition",
    error: type[Exception] = AssertionError,
):
    """``predicate()``'s first true value, polled every ``interval`` seconds; ``error`` when
    ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise error(f"timed out after {timeout:.0f}s waiting for {what}")


def redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_redis(
    port: int,
    workdir: Path,
    *,
    appendonly: bool = False,
    new_session: bool = False,
    error: type[Exception] = AssertionError,
) -> subprocess.Popen:
    """A redis-server on 127.0.0.1:``port`` with its files in ``workdir``, answering when
    this returns. No snapshots; ``appendonly``: every write appended to a file, fsynced each
    second (what production needs for queued tasks to survive a restart)."""
    binary = shutil.which("redis-server")
    if not binary:
        raise error("redis-server is not installed (apt-get install redis-server)")
    persistence = (
        ["--appendonly", "yes", "--appendfsync", "everysec"]
        if appendonly
        else ["--appendonly", "no"]
    )
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", *persistence,
         "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=new_session,
    )  # fmt: skip
    wait_until(
        lambda: redis_answers(port), timeout=10, interval=0.1,
        what=f"redis-server on port {port}", error=error,
    )  # fmt: skip
    return process
