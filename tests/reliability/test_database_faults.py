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


def production_database(url: str) -> dict:
    """``DATABASES["default"]`` as config/settings/base.py builds it for ``DATABASE_URL=url``
    and ``DATABASE_POOL=true``, the production recommendation."""
    import runpy
    from unittest import mock

    with mock.patch.dict(os.environ, {"DATABASE_URL": url, "DATABASE_POOL": "true"}):
        settings = runpy.run_path(str(ROOT / "config" / "settings" / "base.py"))
    return settings["DATABASES"]["default"]


def test_the_pool_hands_out_no_dead_connection_after_a_restart(
    own_postgres, record, django_db_blocker
):
    """Before: the pool kept the connections the restart had closed, and handed them out
    (8 of 20 requests answered 500 ten seconds after a restart, in the probe)."""
    from django.db import OperationalError
    from django.db.utils import ConnectionHandler

    database = production_database(own_postgres.url("postgres"))
    assert database["OPTIONS"]["pool"]["min_size"] == 2
    connection = ConnectionHandler({"default": database, "pooled": database})["pooled"]

    def query() -> str:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
            return "ok"
        except OperationalError:
            return "error"
        finally:
            connection.close()  # back to the pool, as at the end of each request

    with django_db_blocker.unblock():  # a connection of its own, to its own server
        try:
            warm = [query() for _ in range(3)]
            own_postgres.stop("fast")  # the server closes every connection the pool holds
            own_postgres.start()
            started = time.monotonic()
            after = [query() for _ in range(10)]
            seconds = time.monotonic() - started
        finally:
            connection.close_pool()
    assert warm == ["ok"] * 3
    assert after == ["ok"] * 10
    record(queries_after_restart=len(after), failed=after.count("error"), seconds=round(seconds, 2))


def test_a_server_error_on_the_api_is_json(client, db, monkeypatch):
    """An API client parses the answer: a 500 under /api/ is JSON, elsewhere the HTML page."""
    import clusters.api
    import clusters.views.directory

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(clusters.api, "run_directory_query", broken)
    monkeypatch.setattr(clusters.views.directory, "run_directory_query", broken)
    client.raise_request_exception = False

    response = client.get("/api/v1/clusters/?q=json-500")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "error": "Server error: the request could not be answered. Try again later."
    }
    response = client.get("/clusters/?q=html-500")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
