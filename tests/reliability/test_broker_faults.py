"""Redis goes away: requests still succeed and every change is kept, then matched once it is
back (the sweep); with append-only persistence, a Redis crash loses no queued task."""

import time

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from clusters.models import Sector, State
from matchmaking.enqueue import enqueue_on_commit
from matchmaking.models import Interest, Organisation
from matchmaking.tasks import match_interest, sweep
from tests.loopback import free_port
from tests.realservices import RedisServer, wait_for
from tests.reliability import workload
from tests.reliability.conftest import broker

pytestmark = pytest.mark.slow

ORGANISATIONS = 10
PASSWORD = "a-long-enough-passphrase-42"


def _signup(client: Client, number: int):
    return client.post(
        reverse("matchmaking:signup"),
        {
            "email": f"offline{number}@example.eu",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "name": f"Offline organisation {number}",
            "country": "FR",
            "kind": "sme",
            "website": "",
            "description": "Registered while Redis was down.",
            "consent": "on",
        },
    )


def _interest_data(title: str, sectors, states) -> dict:
    return {
        "title": title,
        "sectors": [sector.pk for sector in sectors],
        "states": [state.pk for state in states],
        "kinds": ["technology", "supply_chain"],
        "description": "Turbine machining, composites and plane interiors.",
    }


def test_redis_down_while_organisations_register_and_edit(
    loaded, celery_broker, workers, settings, record
):
    workers("w1")
    # The cache on the same Redis, as production may configure it (CACHE_URL): the sign-up
    # throttle must not fail a request either when it cannot count.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": celery_broker.url.replace("/0", "/1"),
        }
    }
    sectors = list(Sector.objects.order_by("slug"))
    states = list(State.objects.order_by("code"))
    celery_broker.stop()

    statuses, slowest = [], 0.0
    for number in range(ORGANISATIONS):
        client = Client(REMOTE_ADDR=f"127.0.0.{number + 2}")
        steps = [
            lambda c=client, n=number: _signup(c, n),
            lambda c=client, n=number: c.post(
                reverse("matchmaking:interest_new"),
                _interest_data(f"First draft {n}", sectors[n : n + 1], states[n : n + 1]),
            ),
        ]
        for step in steps:
            started = time.monotonic()
            statuses.append(step().status_code)
            slowest = max(slowest, time.monotonic() - started)
        interest = Interest.objects.get(organisation__user__email=f"offline{number}@example.eu")
        started = time.monotonic()
        response = client.post(
            reverse("matchmaking:interest_edit", args=[interest.pk]),
            _interest_data(f"Edited {number}", sectors[number : number + 2], []),
        )
        slowest = max(slowest, time.monotonic() - started)
        statuses.append(response.status_code)

    assert statuses == [302] * (3 * ORGANISATIONS)  # every request succeeded
    assert Organisation.objects.filter(name__startswith="Offline organisation").count() == (
        ORGANISATIONS
    )
    interests = Interest.objects.filter(organisation__name__startswith="Offline organisation")
    ids = list(interests.values_list("pk", flat=True))
    assert len(ids) == ORGANISATIONS
    assert sorted(interests.values_list("title", flat=True)) == sorted(
        f"Edited {n}" for n in range(ORGANISATIONS)
    )
    for number in range(ORGANISATIONS):  # the edit's sectors and states, saved
        interest = interests.get(title=f"Edited {number}")
        assert {s.pk for s in interest.sectors.all()} == {
            s.pk for s in sectors[number : number + 2]
        }
        assert not interest.states.exists()
    assert not interests.filter(matched_at__isnull=False).exists()

    celery_broker.start()
    enqueued = sweep()  # what beat runs every MATCH_SWEEP_SECONDS
    assert enqueued >= ORGANISATIONS
    started = time.monotonic()
    wait_for(
        lambda: not interests.filter(matched_at__isnull=True).exists(),
        timeout=120, what="every interest matched after Redis returned",
    )  # fmt: skip
    report = workload.verify(ids)
    assert report["matched"] == ORGANISATIONS, report
    record(
        organisations=ORGANISATIONS,
        requests=len(statuses),
        requests_succeeded=statuses.count(302),
        server_errors=sum(1 for status in statuses if status >= 500),
        slowest_request_seconds=round(slowest, 2),
        changes_saved=ORGANISATIONS * 2,
        sweep_enqueued=enqueued,
        matched_after_sweep=report["matched"],
        seconds_to_match_after_sweep=round(time.monotonic() - started, 1),
    )


@pytest.fixture
def durable_redis(tmp_path):
    server = RedisServer(free_port(), tmp_path, appendonly=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def durable_broker(durable_redis):
    yield from broker(durable_redis)


def _enqueue(interest_ids):
    """As saving an interest does: enqueue after the commit."""
    for interest_id in interest_ids:
        with transaction.atomic():
            enqueue_on_commit(match_interest, interest_id)


def test_a_redis_crash_with_tasks_queued_loses_none(loaded, durable_broker, record):
    from tests.realservices import Worker

    ids = workload.seed_interests(20)
    _enqueue(ids)
    queued = durable_broker.queue_length()
    assert queued == len(ids)

    time.sleep(1.5)  # appendfsync everysec: on disk within a second
    durable_broker.kill()  # SIGKILL: a crash, not a clean shutdown
    durable_broker.start()
    after_restart = durable_broker.queue_length()
    assert after_restart == len(ids)

    worker = Worker(durable_broker.url, name="w1")
    worker.start()
    try:
        wait_for(
            lambda: not Interest.objects.filter(pk__in=ids, matched_at__isnull=True).exists(),
            timeout=90, what="the queued interests matched",
        )  # fmt: skip
    finally:
        worker.stop()
    report = workload.verify(ids)
    assert report["matched"] == len(ids), report
    record(
        redis="appendonly yes, appendfsync everysec",
        queued=queued,
        queued_after_crash_and_restart=after_restart,
        matched=report["matched"],
    )


def test_without_append_only_a_redis_crash_loses_the_queue(loaded, celery_broker, record):
    """Why production needs ``appendonly yes``: the same crash without it."""
    ids = workload.seed_interests(20)
    _enqueue(ids)
    queued = celery_broker.queue_length()
    celery_broker.kill()
    celery_broker.start()
    after_restart = celery_broker.queue_length()
    assert (queued, after_restart) == (len(ids), 0)
    # Nothing is lost for good even then: the interests are still unmatched, so the sweep
    # finds them all.
    assert sweep() == len(ids)
    record(redis="appendonly no", queued=queued, queued_after_crash_and_restart=after_restart)
