"""Target 6: small tasks drained through real Redis by two worker processes."""

import time
import uuid
from dataclasses import dataclass

from benchmarks.env import BenchmarkError, Workers, wait_for
from benchmarks.tasks import noop


class Counter:
    """Counts tasks done, in Redis (the benchmark tasks increment it)."""

    def __init__(self, client):
        self.client = client

    def value(self, key: str) -> int:
        return int(self.client.get(key) or 0)

    def ping(self, timeout: float = 60) -> None:
        """Wait until a worker runs a task: its processes are consuming."""
        key = f"ping:{uuid.uuid4().hex}"
        noop.delay(key)
        wait_for(lambda: self.value(key) >= 1, timeout=timeout, what="a worker to answer")


@dataclass
class Drain:
    tasks: int
    seconds: float  # first task done -> last task done
    enqueue_seconds: float

    @property
    def per_second(self) -> float:
        return (self.tasks - 1) / self.seconds if self.seconds else 0.0


def drain(counter: Counter, *, tasks: int) -> Drain:
    """Enqueue ``tasks`` small tasks, then start two worker processes and time how fast they
    empty the queue (from the first task done to the last)."""
    key = f"drain:{uuid.uuid4().hex}"
    started = time.perf_counter()
    for _ in range(tasks):
        noop.delay(key)
    enqueued = time.perf_counter() - started
    workers = Workers(concurrency=2, name="drain")
    workers.start(wait=False)
    try:
        first = wait_for(
            lambda: counter.value(key) >= 1 and time.perf_counter(),
            timeout=60,
            what="the first small task",
            interval=0.001,
        )
        last = wait_for(
            lambda: counter.value(key) >= tasks and time.perf_counter(),
            timeout=300,
            what=f"{tasks} small tasks",
            interval=0.005,
        )
    finally:
        workers.stop()
    if counter.value(key) < tasks:
        raise BenchmarkError("the queue was not drained")
    return Drain(tasks=tasks, seconds=last - first, enqueue_seconds=enqueued)
