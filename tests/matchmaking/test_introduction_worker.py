"""Reminders and expiry of introduction requests, sent by a real `celery beat` and run by
real Celery worker processes against PostgreSQL and Redis."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from matchmaking.models import Introduction
from matchmaking.tasks import expire_introduction, sweep_introductions
from tests.factories import make_cluster, make_introduction, make_manager
from tests.realservices import wait_for

pytestmark = pytest.mark.slow


def test_beat_schedules_the_introductions_sweep():
    entry = settings.CELERY_BEAT_SCHEDULE["introductions-sweep"]
    assert entry["task"] == sweep_introductions.name
    assert entry["schedule"] == settings.INTRODUCTION_SWEEP_SECONDS


def test_beat_and_the_worker_remind_and_expire_open_requests(beat):
    cluster = make_cluster()
    make_manager(cluster)
    now = timezone.now()
    overdue = make_introduction(cluster=cluster, created=now - timedelta(days=15))
    week_old = make_introduction(cluster=cluster, created=now - timedelta(days=8))
    fresh = make_introduction(cluster=cluster)

    def swept() -> bool:
        overdue.refresh_from_db()
        week_old.refresh_from_db()
        return overdue.status == "expired" and week_old.reminded_at is not None

    wait_for(swept, timeout=60, what="beat's sweep run by the worker")
    week_old.refresh_from_db()
    fresh.refresh_from_db()
    assert week_old.status == "requested"
    assert (fresh.status, fresh.reminded_at) == ("requested", None)


def test_an_expiry_delivered_twice_expires_once(worker):
    overdue = make_introduction(created=timezone.now() - timedelta(days=15))
    expire_introduction.delay(overdue.pk)
    wait_for(
        lambda: Introduction.objects.get(pk=overdue.pk).status == "expired",
        timeout=60,
        what="the expiry",
    )
    answered_at = Introduction.objects.get(pk=overdue.pk).answered_at
    result = expire_introduction.apply(args=[overdue.pk]).get()
    assert result is False
    assert Introduction.objects.get(pk=overdue.pk).answered_at == answered_at
