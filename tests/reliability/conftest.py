"""Fixtures for the reliability tests: real Redis servers and Celery workers (each test its
own), the briefing, and ``record`` for the figures that docs/RELIABILITY.md quotes."""

import json
import platform
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.loopback import free_port
from tests.matchmaking.conftest import _use_broker
from tests.realservices import RedisServer, Worker

FIGURES = Path(__file__).resolve().parent.parent.parent / "var" / "reliability"


@pytest.fixture
def record(request):
    """``record(**figures)``: print the test's figures and write them to
    var/reliability/<test name>.json, with the date and machine."""

    def write(**figures):
        FIGURES.mkdir(parents=True, exist_ok=True)
        data = {
            "test": request.node.nodeid,
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "machine": f"{platform.node()} {platform.machine()} {platform.python_version()}",
            **figures,
        }
        (FIGURES / f"{request.node.name}.json").write_text(json.dumps(data, indent=2))
        print(f"\nFIGURES {request.node.name}: {json.dumps(figures)}")

    return write


@pytest.fixture
def briefing(db):
    """The whole briefing, as `manage.py load_briefing` loads it (rolled back after)."""
    call_command("load_briefing", verbosity=0)


@pytest.fixture
def loaded(transactional_db):
    """The briefing in a committed database, for tests with worker processes."""
    call_command("load_briefing", verbosity=0)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(free_port(), tmp_path)
    server.start()
    yield server
    server.stop()


def broker(server: RedisServer):
    """Point this process's Celery app at ``server``, with the transport options production
    uses for Redis, until the generator is closed."""
    from django.conf import settings

    from config.celery import app

    previous = app.conf.broker_url, app.conf.broker_transport_options
    app.conf.broker_transport_options = settings.REDIS_BROKER_TRANSPORT_OPTIONS
    _use_broker(app, server.url)
    try:
        yield server
    finally:
        app.conf.broker_transport_options = previous[1]
        _use_broker(app, previous[0])


@pytest.fixture
def celery_broker(redis_server):
    yield from broker(redis_server)


@pytest.fixture
def workers(celery_broker, transactional_db):
    """``start(**options)`` starts a Celery worker on the test's Redis (stopped after)."""
    started: list[Worker] = []

    def start(name: str = "w1", **options) -> Worker:
        process = Worker(celery_broker.url, name=name, **options)
        process.start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
