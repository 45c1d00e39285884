"""A small HTTP load generator: keep-alive connections to 127.0.0.1 only, bounded by time.

Each connection sends a GET, reads the whole response (Content-Length), and sends the next;
latencies are recorded after a warm-up. Enough for a local server at a few thousand
requests a second; it shares the machine's cores with the server it measures.
"""

import asyncio
import statistics
import time
from dataclasses import dataclass


@dataclass
class Load:
    requests: int
    seconds: float
    latencies: list[float]
    errors: int
    statuses: dict[int, int]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("nan")

    def __add__(self, other: "Load") -> "Load":
        statuses = dict(self.statuses)
        for status, count in other.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
        return Load(
            self.requests + other.requests,
            self.seconds + other.seconds,
            self.latencies + other.latencies,
            self.errors + other.errors,
            statuses,
        )


async def _connection(port, paths, offset, start, warm, stop, latencies, statuses, errors):
    reader = writer = None
    number = offset
    while time.perf_counter() < stop:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            path = paths[number % len(paths)]
            number += 1
            sent = time.perf_counter()
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n".encode("ascii")
            )
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            await reader.readexactly(int(headers.get("content-length", "0")))
            done = time.perf_counter()
            if warm <= sent and done <= stop:
                latencies.append(done - sent)
                statuses[status] = statuses.get(status, 0) + 1
            if headers.get("connection", "").lower() == "close":
                writer.close()
                writer = None
        except (OSError, asyncio.IncompleteReadError, ValueError, asyncio.LimitOverrunError):
            errors.append(1)
            if writer is not None:
                writer.close()
            writer = None
            await asyncio.sleep(0.01)
    if writer is not None:
        writer.close()


async def _run(port, paths, connections, seconds, warmup):
    start = time.perf_counter()
    warm, stop = start + warmup, start + warmup + seconds
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[int] = []
    await asyncio.gather(
        *(
            _connection(port, paths, offset, start, warm, stop, latencies, statuses, errors)
            for offset in range(connections)
        )
    )
    return Load(len(latencies), seconds, latencies, len(errors), statuses)


def generate(
    port: int, paths: list[str], *, connections: int = 8, seconds: float, warmup: float = 1.0
) -> Load:
    """GET ``paths`` in turn on ``connections`` keep-alive connections for ``seconds``."""
    return asyncio.run(_run(port, paths, connections, seconds, warmup))


def side_by_side(
    port: int, sets: dict[str, list[str]], *, seconds: float, rounds: int = 4
) -> dict[str, Load]:
    """Each set of paths loaded for ``seconds`` in all, in ``rounds`` alternating turns (a
    short warm-up each), so that the machine's other load weighs on every set alike."""
    found: dict[str, Load] = {}
    for _round in range(rounds):
        for name, paths in sets.items():
            load = generate(port, paths, seconds=seconds / rounds, warmup=0.25)
            found[name] = found[name] + load if name in found else load
    return found
