"""``python -m benchmarks [--quick]``: every target of issue 4, beside its floor, in one table.

Needs DATABASE_URL pointing at a PostgreSQL server (a role that may create databases) and
``redis-server`` installed; runs against a database of its own (DATABASE_URL's name plus
``_benchmarks``, or ``_benchmarks_quick``; created and filled on first use, reused after),
its own Redis, Celery workers and gunicorn on 127.0.0.1, all stopped at the end. Writes
benchmarks/RESULTS.md. Exit status: 0 all targets met, 1 some missed, 2 error.

``--quality`` runs only the match quality check (``benchmarks.quality``), on an in-memory
SQLite database: no PostgreSQL, Redis or worker needed.
"""

import argparse
import os
import sys
import time
import traceback
from dataclasses import dataclass

from benchmarks.env import VAR, BenchmarkError, Redis, benchmark_database_url, ensure_database


@dataclass(frozen=True)
class Plan:
    mode: str
    clusters: int  # synthetic clusters (the briefing's are extra)
    organisations: int  # synthetic organisations in the database
    small: int  # organisations of the smaller re-match
    few_clusters: int  # synthetic clusters published for the "fewer clusters" re-match
    sample: int  # interests timed one by one (target 1)
    write_rows: int
    row_by_row: int  # update_or_create rows actually run (extrapolated to write_rows)
    small_tasks: int
    load_seconds: float


FULL = Plan("full", 10_000, 100_000, 10_000, 1_000, 300, 10_000, 10_000, 5_000, 8.0)
QUICK = Plan("quick", 10_000, 10_000, 1_000, 1_000, 100, 10_000, 1_000, 2_000, 3.0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller run (about 2 minutes)")
    parser.add_argument(
        "--quality",
        action="store_true",
        help="only the match quality check (issue 16): the engine against the expert lists "
        "of benchmarks/quality/personas.toml; exit 1 below its threshold",
    )
    parser.add_argument(
        "--only",
        metavar="N[,N...]",
        help="run only these targets (e.g. 3,4) while working on them; RESULTS.md is not "
        "written, and figures compared with a skipped one's are MISSED",
    )
    args = parser.parse_args(argv)
    if args.quality:
        from benchmarks.quality.evaluate import main as quality

        return quality()
    only = set(args.only.split(",")) if args.only else None
    plan = QUICK if args.quick else FULL
    started = time.monotonic()
    redis = Redis()
    try:
        url = benchmark_database_url(os.environ.get("DATABASE_URL"), quick=args.quick)
        ensure_database(url)
        redis.start()
        _configure(url, redis)
        from benchmarks import runner

        return runner.run(plan, redis, started=started, only=only)
    except BenchmarkError as exc:
        print(f"benchmarks: {exc}", file=sys.stderr)
        return 2
    except Exception:  # noqa: BLE001 - say what broke, stop the services
        traceback.print_exc()
        return 2
    finally:
        redis.stop()


def _configure(url: str, redis: Redis) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
            "DATABASE_URL": url,
            "CELERY_BROKER_URL": redis.url(0),
            "CACHE_URL": redis.url(1),
            "BENCH_COUNTER_URL": redis.url(2),
            "STATIC_ROOT": str(VAR / "static"),
        }
    )
    for name in ("DATABASE_POOL", "CELERY_TASK_ALWAYS_EAGER"):
        os.environ.pop(name, None)
    import django

    django.setup()


if __name__ == "__main__":
    sys.exit(main())
