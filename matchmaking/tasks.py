"""Celery tasks: thin, idempotent, taking ids. The work is ``matching.suggest``'s."""

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta

from celery import shared_task
from celery.exceptions import Reject
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError
from django.utils import timezone

from matchmaking.matching import engine, storage, suggest
from matchmaking.matching.storage import StoreResult
from matchmaking.models import Interest, MatchRun, PendingClusterChange
from matchmaking.notifications import send_digests

logger = logging.getLogger(__name__)


class DeliveryNotCounted(Exception):
    """The shared cache refused to store a delivery count (a database cache on a locked
    SQLite file answers a failed write with False, not an error): transient, retried."""


# Transient errors (a database restart, a dropped connection, a cache write refused): retry
# with backoff, bounded.
RETRY = {
    "autoretry_for": (OperationalError, InterfaceError, DeliveryNotCounted),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 6,
}

# A message whose worker died while running it is delivered again (settings:
# CELERY_TASK_REJECT_ON_WORKER_LOST; the broker's visibility timeout when the whole worker
# died). One that kills its worker every time (a "poison" message: a crash in native code,
# the OOM killer) would loop for ever, so deliveries are counted in the shared cache, and
# past MAX_DELIVERIES the message is given up: logged as a dead letter, recorded as a failed
# MatchRun, and the queue goes on. A retry (``self.retry``) is a new message, counted anew.
MAX_DELIVERIES = 5
DELIVERY_MEMORY = 60 * 60 * 24  # seconds the cache remembers a message


def _task_key(task_id: str, what: str) -> str:
    return f"matchmaking:task:{task_id}:{what}"


def begin_delivery(task, *, trigger: str, subject: str) -> None:
    """Call first in a task: count this delivery of its message, close the MatchRun that an
    interrupted earlier delivery left running, and give the message up (``Reject``) past
    MAX_DELIVERIES. Does nothing when the task is called directly or eagerly."""
    request = task.request
    if request.id is None or request.is_eager:
        return
    previous_run = cache.get(_task_key(request.id, "run"))
    if previous_run is not None:
        MatchRun.objects.filter(pk=previous_run, status=MatchRun.Status.RUNNING).update(
            status=MatchRun.Status.FAILED,
            finished_at=timezone.now(),
            error="Interrupted (its worker died or lost the database); the task ran again.",
        )
    key = _task_key(request.id, f"deliveries:{request.retries or 0}")
    cache.add(key, 0, DELIVERY_MEMORY)
    try:
        deliveries = cache.incr(key)
    except ValueError as exc:  # incr() of a key the cache did not keep: the add() failed
        raise DeliveryNotCounted(f"delivery count of {task.name}[{request.id}] not kept") from exc
    cache.touch(key, DELIVERY_MEMORY)  # the database cache's incr() resets the timeout
    if deliveries <= MAX_DELIVERIES:
        return
    error = f"Given up after {MAX_DELIVERIES} deliveries: the worker running it died each time."
    logger.error("dead letter: %s[%s] args=%r: %s", task.name, request.id, request.args, error)
    now = timezone.now()
    MatchRun.objects.create(
        trigger=trigger,
        subject=subject[:200],
        status=MatchRun.Status.FAILED,
        started_at=now,
        finished_at=now,
        error=error,
    )
    raise Reject(error, requeue=False)


def run_matching(
    interest_ids: list[int], *, trigger: str, subject: str = "", task_id: str | None = None
) -> MatchRun:
    """Score the given interests, record a MatchRun, send one digest per organisation."""

    def scored() -> Iterator[StoreResult]:
        return suggest.rescore_in_batches(interest_ids, context=suggest.load_context())

    return _recorded(scored, trigger=trigger, subject=subject, task_id=task_id)


def run_cluster_change(cluster_id: int, *, task_id: str | None = None) -> MatchRun:
    """Update the suggestions a changed cluster alters (``suggest.apply_cluster_change``), record a
    MatchRun, send one digest per organisation; then clear the cluster's pending change,
    unless it changed again meanwhile (that change has its own task)."""
    pending = PendingClusterChange.objects.filter(cluster_id=cluster_id)
    requested_at = pending.values_list("requested_at", flat=True).first()
    run = _recorded(
        lambda: suggest.apply_cluster_change(cluster_id),
        trigger=MatchRun.Trigger.CLUSTER,
        subject=f"cluster {cluster_id}",
        task_id=task_id,
    )
    if requested_at is not None:
        pending.filter(requested_at=requested_at).delete()
    return run


def _recorded(
    work: Callable[[], Iterable[StoreResult]], *, trigger: str, subject: str, task_id: str | None
) -> MatchRun:
    with storage.derived_transaction():
        run = MatchRun.objects.create(trigger=trigger, subject=subject[:200])
    if task_id:  # for begin_delivery, should this delivery be interrupted
        cache.set(_task_key(task_id, "run"), run.pk, DELIVERY_MEMORY)
    new_by_organisation: Counter[int] = Counter()
    try:
        for result in work():
            run.interests_scored += 1
            run.suggestions_stored += result.stored
            run.new_suggestions += result.new
            new_by_organisation[result.organisation_id] += result.new
        run.emails_sent = send_digests(new_by_organisation)
    except DatabaseError as exc:
        MatchRun.objects.filter(pk=run.pk).update(
            status=MatchRun.Status.FAILED, finished_at=timezone.now(), error=str(exc)[:2000]
        )
        raise
    run.status = MatchRun.Status.DONE
    run.finished_at = timezone.now()
    with storage.derived_transaction():
        run.save()
    return run


@shared_task(bind=True, acks_late=True, **RETRY)
def match_interest(self, interest_id: int) -> None:
    """An interest was saved: score it."""
    trigger, subject = MatchRun.Trigger.INTEREST, f"interest {interest_id}"
    begin_delivery(self, trigger=trigger, subject=subject)
    run_matching([interest_id], trigger=trigger, subject=subject, task_id=self.request.id)


@shared_task(bind=True, acks_late=True, **RETRY)
def match_interests(self, interest_ids: list[int], trigger: str = MatchRun.Trigger.SWEEP) -> None:
    """A batch of interests (from the sweep or a full re-match)."""
    subject = f"{len(interest_ids)} interests"
    begin_delivery(self, trigger=trigger, subject=subject)
    run_matching(interest_ids, trigger=trigger, subject=subject, task_id=self.request.id)


@shared_task(bind=True, acks_late=True, **RETRY)
def match_for_cluster(self, cluster_id: int) -> None:
    """A cluster changed, was published or unpublished: re-score only the interests it affects."""
    begin_delivery(self, trigger=MatchRun.Trigger.CLUSTER, subject=f"cluster {cluster_id}")
    run_cluster_change(cluster_id, task_id=self.request.id)


ABANDONED_RUN_ERROR = (
    "Interrupted: still running past the task time limit, so its worker died (killed, or "
    "its host lost); the sweep matches its interests again."
)


def close_abandoned_runs() -> int:
    """Mark failed every MatchRun still "running" longer than a task may run (the hard time
    limit kills a living one first). Its worker died as a whole: the message comes back
    only after the visibility timeout (and a message lost in the fetch never does), so
    without this the run would read "running" until then, or for ever."""
    cutoff = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    closed = MatchRun.objects.filter(status=MatchRun.Status.RUNNING, started_at__lt=cutoff).update(
        status=MatchRun.Status.FAILED, finished_at=timezone.now(), error=ABANDONED_RUN_ERROR
    )
    if closed:
        logger.warning("sweep: %d abandoned match runs marked failed", closed)
    return closed


@shared_task(bind=True, **RETRY)
def sweep(self) -> int:
    """Enqueue every active interest whose suggestions are missing or stale (a registration
    made while the broker was down, an engine change), and every cluster change not yet
    applied (its task was never sent, or was lost). Returns how many interests and clusters
    were enqueued."""
    begin_delivery(self, trigger=MatchRun.Trigger.SWEEP, subject="sweep")
    close_abandoned_runs()
    ids = list(
        Interest.objects.needing_match(engine.ENGINE_VERSION)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for batch in suggest.batches(ids, settings.MATCH_BATCH_SIZE):
        match_interests.delay(batch, MatchRun.Trigger.SWEEP)
    if ids:
        logger.info("sweep: %d interests enqueued", len(ids))
    cluster_ids = list(
        PendingClusterChange.objects.order_by("requested_at").values_list("cluster_id", flat=True)
    )
    for cluster_id in cluster_ids:
        match_for_cluster.delay(cluster_id)
    if cluster_ids:
        logger.info("sweep: %d cluster changes enqueued", len(cluster_ids))
    return len(ids) + len(cluster_ids)


# --- Introductions: reminders and expiry (beat) --------------------------------------------


@shared_task(**RETRY, acks_late=True)
def remind_introduction(introduction_id: int) -> bool:
    """Remind the answering side once (a conditional update: running twice sends one)."""
    from matchmaking import introductions

    return introductions.remind(introduction_id)


@shared_task(**RETRY, acks_late=True)
def expire_introduction(introduction_id: int) -> bool:
    """Expire an open request past its date and tell the requester (idempotent)."""
    from matchmaking import introductions

    return introductions.expire(introduction_id)


@shared_task(**RETRY)
def sweep_introductions() -> dict:
    """Beat: enqueue a reminder or an expiry for each open request that is due."""
    from matchmaking import introductions

    reminders = introductions.due_for_reminder()
    expiries = introductions.due_for_expiry()
    for pk in reminders:
        remind_introduction.delay(pk)
    for pk in expiries:
        expire_introduction.delay(pk)
    return {"reminders": len(reminders), "expiries": len(expiries)}
