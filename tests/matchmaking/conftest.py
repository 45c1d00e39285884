import kombu.pools
import pytest

from tests.loopback import free_port
from tests.realservices import RedisServer, Worker


@pytest.fixture
def redis_server(tmp_path):
    """A redis-server of this test's own, which the test may stop and restart."""
    server = RedisServer(free_port(), tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def celery_broker(redis_server):
    """Point this process's Celery app at the test's Redis (and back afterwards)."""
    from config.celery import app

    previous = app.conf.broker_write_url or app.conf.broker_url
    _use_broker(app, redis_server.url)
    yield redis_server
    _use_broker(app, previous)


def _use_broker(app, url: str) -> None:
    """Switch the producer side of ``app`` to another broker URL. Celery has no public call
    for this; it is what Celery itself does after a fork (``Celery._after_fork``)."""
    # broker_url itself is read once from Django's settings; the write/read URLs win.
    app.conf.broker_url = app.conf.broker_write_url = app.conf.broker_read_url = url
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    kombu.pools.reset()  # kombu's process-wide producer pools are keyed by connection


@pytest.fixture
def worker(celery_broker, transactional_db):
    """Two real Celery worker processes consuming from the test's Redis."""
    process = Worker(celery_broker.url, concurrency=2)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def beat(celery_broker, worker, tmp_path):
    """`celery beat` sending the introductions sweep every second to the test's worker."""
    from tests.realservices import Beat

    process = Beat(celery_broker.url, tmp_path, env={"INTRODUCTION_SWEEP_SECONDS": "1"})
    process.start()
    yield process
    process.stop()
