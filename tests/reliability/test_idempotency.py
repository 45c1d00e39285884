"""Tasks are safe to run twice, at once, or not at all: the same message delivered twice, two
re-scores of the same interests at once, an enqueue rolled back with its transaction, and no
countdown a broker could outlive."""

import json
import os
import re
import subprocess
import sys
import threading
import uuid

import pytest
from django.db import connection, transaction

from matchmaking import services
from matchmaking.models import Interest, MatchRun
from matchmaking.tasks import match_interest, match_interests, run_matching
from tests.realservices import ROOT, wait_for
from tests.reliability import workload

THREADS = 6
ROUNDS = 3


def test_two_rescores_of_the_same_interests_at_once(loaded, record):
    """Six threads (six database connections) re-score the same interests at the same time,
    in batches that overlap in opposite orders: no error, no deadlock, one consistent set."""
    ids = workload.seed_interests(24)
    run_matching(ids[:8], trigger=MatchRun.Trigger.FULL)
    marks = workload.mark_some(ids[:8])
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def rescore(batch):
        try:
            for _ in range(ROUNDS):
                barrier.wait(timeout=30)
                run_matching(batch, trigger=MatchRun.Trigger.FULL)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    batches = [ids, ids[::-1], ids[:16], ids[8:][::-1], [ids[0]], [ids[-1]]]
    threads = [threading.Thread(target=rescore, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    report = workload.verify(ids)
    assert report["matched"] == len(ids) and report["duplicates"] == 0, report
    assert workload.marks_kept(marks) == len(marks)
    record(
        threads=THREADS,
        rounds=ROUNDS,
        concurrent_runs=THREADS * ROUNDS,
        errors=len(errors),
        interests=len(ids),
        matched=report["matched"],
        duplicates=report["duplicates"],
        marks_kept=f"{workload.marks_kept(marks)}/{len(marks)}",
    )


@pytest.mark.slow
def test_the_same_message_delivered_twice_to_two_workers(loaded, celery_broker, workers, record):
    ids = workload.seed_interests(20)
    first = workers("w1", concurrency=1)
    second = workers("w2", concurrency=1)
    # Each message published twice with the same task id: what a broker redelivery (or a
    # producer retry after a lost acknowledgement) looks like to the workers.
    published = 0
    for interest_id in ids[:10]:
        task_id = str(uuid.uuid4())
        for _ in range(2):
            match_interest.apply_async(args=[interest_id], task_id=task_id)
            published += 1
    task_id = str(uuid.uuid4())
    for _ in range(2):
        match_interests.apply_async(args=[ids, MatchRun.Trigger.FULL], task_id=task_id)
        published += 1

    wait_for(
        lambda: MatchRun.objects.filter(status="done").count() >= published
        and celery_broker.unacked() == 0 and celery_broker.queue_length() == 0,
        timeout=120, what="every delivery done",
    )  # fmt: skip
    logs = first.log.read_text(errors="replace") + second.log.read_text(errors="replace")
    errors = re.findall(r"^\[[^]]*: ERROR/.*$", logs, flags=re.MULTILINE)
    runs = MatchRun.objects.values_list("status", flat=True)
    report = workload.verify(ids)
    assert errors == []
    assert list(runs).count("done") == published
    assert report["matched"] == len(ids) and report["duplicates"] == 0, report
    record(
        deliveries=published,
        distinct_messages=published // 2,
        runs_done=list(runs).count("done"),
        runs_failed=list(runs).count("failed"),
        worker_errors=len(errors),
        interests=len(ids),
        matched=report["matched"],
        duplicates=report["duplicates"],
    )


@pytest.fixture
def interest_form_data(transactional_db):
    from tests.factories import make_organisation, make_sector

    return {
        "organisation": make_organisation(),
        "title": "Aerospace suppliers",
        "sectors": [make_sector("aerospace")],
        "kinds": ["technology"],
    }


def test_an_enqueue_in_a_rolled_back_transaction_sends_nothing(
    celery_broker, interest_form_data, record
):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.save_interest(**interest_form_data)
        raise RuntimeError("the request failed after saving")
    rolled_back = celery_broker.queue_length()

    with transaction.atomic():  # a savepoint rolled back inside a transaction that commits
        try:
            with transaction.atomic():
                services.save_interest(**interest_form_data)
                raise RuntimeError("this part failed")
        except RuntimeError:
            pass
    savepoint = celery_broker.queue_length()

    assert (rolled_back, savepoint) == (0, 0)
    assert not Interest.objects.exists()

    services.save_interest(**interest_form_data)  # committed: exactly one message
    committed = celery_broker.queue_length()
    assert committed == 1
    record(rolled_back_sent=rolled_back, savepoint_rolled_back_sent=savepoint, committed_sent=1)


def _worker_config() -> dict:
    """The Celery configuration a production worker on Redis has."""
    code = (
        "import json, django; django.setup(); from config.celery import app; "
        "app.loader.import_default_modules(); c = app.conf; "
        "tasks = {name: {'autoretry': bool(getattr(t, 'autoretry_for', ())), "
        "'backoff': getattr(t, 'retry_backoff', False), "
        "'backoff_max': getattr(t, 'retry_backoff_max', 600), "
        "'retry_delay': t.default_retry_delay, 'max_retries': t.max_retries, "
        "'time_limit': t.time_limit or c.task_time_limit}"
        " for name, t in app.tasks.items() if not name.startswith('celery.')}; "
        "print(json.dumps({'transport': c.broker_transport_options, 'tasks': tasks, "
        "'acks_late': c.task_acks_late, 'reject_on_worker_lost': c.task_reject_on_worker_lost}))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 50,
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    }
    env.pop("CELERY_VISIBILITY_TIMEOUT", None)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# Calls that would delay a message inside a worker, and those reviewed as safe.
DELAYING_CALL = re.compile(r"\b(countdown|eta)\s*=|\.retry\(")
REVIEWED: set[str] = set()


def test_no_countdown_outlives_the_visibility_timeout(record):
    """A worker holds a delayed message unacknowledged until it runs, so a countdown longer
    than the visibility timeout would have Redis hand the message out a second time."""
    config = _worker_config()
    visibility = config["transport"]["visibility_timeout"]
    assert config["acks_late"] and config["reject_on_worker_lost"]
    longest = {}
    for name, task in config["tasks"].items():
        countdown = 0
        if task["autoretry"] and task["backoff"]:  # Celery's exponential backoff, capped
            countdown = task["backoff_max"]
            if task["max_retries"] is not None:
                factor = int(task["backoff"])  # True counts as 1
                countdown = min(countdown, factor * 2 ** max(task["max_retries"] - 1, 0))
        elif task["autoretry"]:
            countdown = task["retry_delay"]
        longest[name] = countdown + task["time_limit"]
        assert longest[name] < visibility, (name, longest[name], visibility)

    found = set()
    for folder in ("matchmaking", "clusters", "config"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if DELAYING_CALL.search(line):
                    found.add(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found <= REVIEWED, f"review these countdowns against {visibility}s: {found}"
    record(
        visibility_timeout=visibility,
        tasks=len(longest),
        longest_hold_seconds=max(longest.values()),
        longest_hold_task=max(longest, key=longest.get),
        explicit_countdowns=len(found),
    )
