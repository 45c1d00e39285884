"""Tasks of the benchmarks alone: a small one for the queue, and a re-match batch that
writes nothing."""

import os

import redis
from celery import shared_task
from django.db import transaction

from matchmaking.matching import features, suggest

_client = None


def counter() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(os.environ["BENCH_COUNTER_URL"])
    return _client


@shared_task(acks_late=False, ignore_result=True)
def noop(key: str) -> None:
    counter().incr(key)


@shared_task(acks_late=False, ignore_result=True)
def rank_only(interest_ids: list[int], key: str) -> None:
    """What ``rescore_interests`` does for a batch before it stores anything: lock and read
    the interests, rank each against the worker's index (the top N's reasons built). Then
    roll back, and count the batch done in Redis."""
    current = features.published(build=True)
    with transaction.atomic():
        interests = suggest.lock_and_read(interest_ids, current.neighbours)
        active = [interest for interest in interests if interest.is_active]
        suggest.rank_batch(active, index=current.index, context=current.index.context)
        transaction.set_rollback(True)
    counter().incr(key)
