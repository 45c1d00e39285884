"""PostgreSQL restarts in the middle of a task: the task retries with backoff and completes.

Restarting the shared server would cut every other test's connections, so this test runs
its own throwaway PostgreSQL server (``PostgresCluster``: initdb in a temporary folder, a
free port), migrated and loaded with the briefing, and a Celery worker writing to it.

To be sure the restart falls *inside* the task, the test holds a row lock on one of the
interests the task must lock: the task starts (its MatchRun is recorded) and then waits on
that lock, a real query, when the server is stopped.
"""

import json
import os
import re
import subprocess
import sys
import time

import psycopg
import pytest

from matchmaking.tasks import RETRY, match_interests
from tests.loopback import free_port
from tests.realservices import ROOT, PostgresCluster, Worker, wait_for
from tests.reliability.conftest import broker

pytestmark = pytest.mark.slow

INTERESTS = 200
OUTAGE_SECONDS = 4
SAMPLE = 100  # interests whose suggestions are compared with the engine's


@pytest.fixture
def own_postgres():
    cluster = PostgresCluster(free_port())
    if cluster.bindir is None:
        pytest.skip("the PostgreSQL server binaries are not installed")
    cluster.init()
    cluster.start()
    yield cluster
    cluster.destroy()


@pytest.fixture
def own_broker(redis_server):
    yield from broker(redis_server)


def manage(database_url: str, *args: str) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def python_json(database_url: str, code: str):
    """Run ``code`` (which prints one JSON line last) in ``manage.py shell`` on the database."""
    return json.loads(manage(database_url, "shell", "-c", code).strip().splitlines()[-1])


def query(url: str, sql: str, *params):
    with psycopg.connect(url, autocommit=True, connect_timeout=3) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else None


def try_query(url: str, sql: str, *params):
    try:
        return query(url, sql, *params)
    except psycopg.OperationalError:
        return None


def test_postgres_restart_during_a_task(own_postgres, own_broker, record):
    admin = own_postgres.url()
    query(admin, "CREATE DATABASE eumx")
    url = own_postgres.url("eumx")
    for command in (["migrate", "-v0"], ["createcachetable"], ["load_briefing", "-v0"]):
        manage(url, *command)
    ids = python_json(
        url,
        "import json; from tests.reliability.workload import seed_interests; "
        f"print(json.dumps(seed_interests({INTERESTS})))",
    )
    worker = Worker(
        own_broker.url,
        name="pg",
        database_url=own_postgres.url("eumx", application_name="eumx-worker"),
    )
    worker.start()
    try:
        blocker = psycopg.connect(url)  # a transaction holding one interest's row
        blocker.execute("SELECT id FROM matchmaking_interest WHERE id = %s FOR UPDATE", [ids[-1]])
        match_interests.delay(ids, "full")
        wait_for(
            lambda: query(
                url,
                "SELECT 1 FROM pg_stat_activity WHERE application_name = 'eumx-worker' "
                "AND wait_event_type = 'Lock'",
            ),
            timeout=60, what="the task waiting on the locked row",
        )  # fmt: skip
        running = query(url, "SELECT count(*) FROM matchmaking_matchrun WHERE status = 'running'")
        assert running == [(1,)]
        own_postgres.stop()  # fast shutdown: every transaction rolled back, connections cut
        blocker.close()
        stopped_at = time.monotonic()
        time.sleep(OUTAGE_SECONDS)
        own_postgres.start()
        restarted_at = time.monotonic()

        done = wait_for(
            lambda: try_query(
                url, "SELECT finished_at FROM matchmaking_matchrun WHERE status = 'done'"
            ),
            timeout=180, interval=0.5, what="the task done after the restart",
        )  # fmt: skip
        completed_in = time.monotonic() - restarted_at
    finally:
        worker.stop()

    log = worker.log.read_text(errors="replace")
    retries = [int(seconds) for seconds in re.findall(r"Retry in (\d+)s", log)]
    assert retries, log[-3000:]
    assert len(retries) <= RETRY["max_retries"]
    runs = query(url, "SELECT status, error FROM matchmaking_matchrun ORDER BY started_at, id")
    assert runs[0][0] == "failed" and runs[-1][0] == "done"
    assert [status for status, _error in runs].count("done") == 1
    assert not [status for status, _error in runs if status == "running"]
    never_matched = query(
        url,
        "SELECT count(*) FROM matchmaking_interest WHERE id = ANY(%s) AND matched_at IS NULL",
        ids,
    )[0][0]
    assert never_matched == 0
    report = python_json(
        url,
        "import json; from tests.reliability.workload import verify; "
        f"print(json.dumps(verify({ids[:: max(1, len(ids) // SAMPLE)]!r})))",
    )
    assert report["mismatched"] == 0 and report["duplicates"] == 0, report
    record(
        interests=INTERESTS,
        outage_seconds=OUTAGE_SECONDS,
        retries=len(retries),
        retry_countdowns_seconds=retries,
        runs=[f"{status}: {error[:90]}" if error else status for status, error in runs],
        never_matched=never_matched,
        sample_checked=report["interests"],
        sample_matched=report["matched"],
        duplicates=report["duplicates"],
        seconds_from_restart_to_done=round(completed_in, 1),
        seconds_down=round(restarted_at - stopped_at, 1),
        done_at=str(done[0][0]),
    )
