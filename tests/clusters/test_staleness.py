"""Staleness: profiles not verified for 12 months are listed for staff and emailed weekly."""

import datetime

from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clusters.models import Cluster
from clusters.tasks import remind_stale_profiles

FRESH = "cluster-automotriz-de-guanajuato"
OLD = "cluster-automotriz-de-nuevo-leon"
ALMOST = "cluster-biotq-queretaro"


def set_verification(briefing_today: datetime.date) -> None:
    """Everything verified today except: one 400 days ago, one 364 days ago, one never."""
    Cluster.objects.update(last_verified=briefing_today)
    Cluster.objects.filter(slug=OLD).update(
        last_verified=briefing_today - datetime.timedelta(days=400)
    )
    Cluster.objects.filter(slug=ALMOST).update(
        last_verified=briefing_today - datetime.timedelta(days=364)
    )
    Cluster.objects.filter(slug="it-baja").update(last_verified=None)


def test_needs_verification_filter_lists_never_and_older_than_a_year(briefing, staff_client):
    set_verification(timezone.localdate())
    url = reverse("admin:clusters_cluster_changelist")
    response = staff_client.get(url, {"verification": "stale"})
    assert sorted(c.slug for c in response.context["cl"].result_list) == sorted(["it-baja", OLD])
    fresh = staff_client.get(url, {"verification": "fresh"}).context["cl"].result_count
    assert fresh == Cluster.objects.count() - 2
    page = staff_client.get(url).content.decode()
    assert "2 profiles need verification" in page and "?verification=stale" in page


def test_the_public_page_shows_when_a_profile_was_last_verified(briefing, client):
    Cluster.objects.filter(slug=FRESH).update(last_verified=datetime.date(2026, 3, 1))
    page = client.get(Cluster.objects.get(slug=FRESH).get_absolute_url()).content.decode()
    assert 'datetime="2026-03-01"' in page


def test_reminder_emails_active_staff_the_stale_profiles(briefing, django_user_model):
    set_verification(timezone.localdate())
    users = django_user_model.objects
    users.create_user("a", "a@example.eu", "pw-1234-x", is_staff=True)
    users.create_superuser("b", "b@example.eu", "pw-1234-x")
    users.create_user("gone", "gone@example.eu", "pw-1234-x", is_staff=True, is_active=False)
    users.create_user("member", "member@example.eu", "pw-1234-x")
    users.create_user("nomail", "", "pw-1234-x", is_staff=True)

    assert remind_stale_profiles() == 2

    assert sorted(message.to[0] for message in mail.outbox) == ["a@example.eu", "b@example.eu"]
    message = mail.outbox[0]
    assert message.subject == "2 cluster profiles need verification"
    old = Cluster.objects.get(slug=OLD)
    assert old.name in message.body and "IT@Baja" in message.body
    assert "never verified" in message.body
    assert settings.SITE_URL + reverse("admin:clusters_cluster_change", args=[old.pk]) in (
        message.body
    )
    assert Cluster.objects.get(slug=ALMOST).name not in message.body
    assert Cluster.objects.get(slug=FRESH).name not in message.body


def test_no_reminder_when_every_profile_is_fresh(briefing, django_user_model):
    Cluster.objects.update(last_verified=timezone.localdate())
    django_user_model.objects.create_superuser("b", "b@example.eu", "pw-1234-x")
    assert remind_stale_profiles() == 0
    assert mail.outbox == []


def test_reminder_is_on_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["clusters-stale-reminder"]
    assert entry["task"] == "clusters.tasks.remind_stale_profiles"
    assert entry["schedule"] == settings.STALE_REMINDER_SECONDS == 7 * 24 * 60 * 60
