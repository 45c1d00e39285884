"""Celery tasks: thin, idempotent, taking ids. Scoring itself is in matching/engine."""

import logging
from collections import Counter

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.utils import timezone

from matchmaking import engine
from matchmaking.matching import affected_interest_ids, load_context, rescore_interest
from matchmaking.models import Interest, MatchRun
from matchmaking.notifications import send_digests

logger = logging.getLogger(__name__)

# Transient database errors (a restart, a dropped connection): retry with backoff, bounded.
RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 6,
}


def run_matching(interest_ids: list[int], *, trigger: str, subject: str = "") -> MatchRun:
    """Score the given interests, record a MatchRun, send one digest per organisation."""
    run = MatchRun.objects.create(trigger=trigger, subject=subject[:200])
    new_by_organisation: Counter[int] = Counter()
    context = load_context()
    try:
        for interest_id in interest_ids:
            result = rescore_interest(interest_id, context=context)
            if result is None:
                continue
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
    run.save()
    return run


@shared_task(acks_late=True, **RETRY)
def match_interest(interest_id: int) -> None:
    """An interest was saved: score it."""
    run_matching(
        [interest_id], trigger=MatchRun.Trigger.INTEREST, subject=f"interest {interest_id}"
    )


@shared_task(acks_late=True, **RETRY)
def match_interests(interest_ids: list[int], trigger: str = MatchRun.Trigger.SWEEP) -> None:
    """A batch of interests (from the sweep or a full re-match)."""
    run_matching(interest_ids, trigger=trigger, subject=f"{len(interest_ids)} interests")


@shared_task(acks_late=True, **RETRY)
def match_for_cluster(cluster_id: int) -> None:
    """A cluster changed, was published or unpublished: re-score only the interests it affects."""
    run_matching(
        affected_interest_ids(cluster_id),
        trigger=MatchRun.Trigger.CLUSTER,
        subject=f"cluster {cluster_id}",
    )


def batches(ids: list[int], size: int):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


@shared_task(**RETRY)
def sweep() -> int:
    """Enqueue every active interest whose suggestions are missing or stale (a registration
    made while the broker was down, an engine change). Returns how many were enqueued."""
    ids = list(
        Interest.objects.needing_match(engine.ENGINE_VERSION)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for batch in batches(ids, settings.MATCH_BATCH_SIZE):
        match_interests.delay(batch, MatchRun.Trigger.SWEEP)
    if ids:
        logger.info("sweep: %d interests enqueued", len(ids))
    return len(ids)
