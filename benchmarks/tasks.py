"""A small task for the queue benchmark: it only counts itself in Redis."""

import os

import redis
from celery import shared_task

_client = None


def counter() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(os.environ["BENCH_COUNTER_URL"])
    return _client


@shared_task(acks_late=False, ignore_result=True)
def noop(key: str) -> None:
    counter().incr(key)
