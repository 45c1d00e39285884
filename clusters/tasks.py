"""Periodic curation tasks (the beat schedule is in settings)."""

from collections import defaultdict
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from clusters.models import Claim, Cluster
from clusters.staleness import STALE_AFTER_DAYS, needs_verification

LISTED_IN_EMAIL = 200


@shared_task(autoretry_for=(SMTPException, ConnectionError), retry_backoff=60, max_retries=3)
def remind_stale_profiles() -> int:
    """Email every active staff user the profiles not verified for 12 months; return the
    number of emails sent (none when every profile is fresh)."""
    stale = Cluster.objects.filter(needs_verification()).select_related("state")
    total = stale.count()
    if not total:
        return 0
    recipients = (
        get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    site = settings.SITE_URL.rstrip("/")
    listed = stale.order_by(F("last_verified").asc(nulls_first=True), "name")[:LISTED_IN_EMAIL]
    context = {
        "total": total,
        "days": STALE_AFTER_DAYS,
        "clusters": [
            (cluster, site + reverse("admin:clusters_cluster_change", args=[cluster.pk]))
            for cluster in listed
        ],
        "more": max(total - LISTED_IN_EMAIL, 0),
        "list_url": site + reverse("admin:clusters_cluster_changelist") + "?verification=stale",
    }
    subject = render_to_string("clusters/email/stale_reminder_subject.txt", context).strip()
    body = render_to_string("clusters/email/stale_reminder.txt", context)
    messages = [EmailMessage(subject, body, to=[email]) for email in sorted(set(recipients))]
    if not messages:
        return 0
    return get_connection().send_messages(messages) or 0


@shared_task(autoretry_for=(SMTPException, ConnectionError), retry_backoff=60, max_retries=3)
def remind_managers_of_stale_profiles() -> int:
    """Email each manager's work address the profiles it manages that were not confirmed for
    12 months, in the language of its latest claim; return the number of emails sent."""
    stale = Cluster.objects.filter(needs_verification())
    by_address: dict[str, list[Claim]] = defaultdict(list)
    for claim in (
        Claim.objects.approved()
        .filter(cluster__in=stale)
        .select_related("cluster")
        .order_by("work_email", "-created")
    ):
        by_address[claim.work_email].append(claim)
    url = settings.SITE_URL.rstrip("/") + reverse("clusters:my_clusters")
    messages = []
    for address, claims in by_address.items():
        latest = claims[0]
        context = {
            "claim": latest,
            "clusters": sorted({c.cluster for c in claims}, key=lambda cluster: cluster.name),
            "days": STALE_AFTER_DAYS,
            "my_clusters_url": url,
        }
        with translation.override(latest.language or settings.LANGUAGE_CODE):
            subject = render_to_string(
                "clusters/email/manager_stale_reminder_subject.txt", context
            ).strip()
            body = render_to_string("clusters/email/manager_stale_reminder.txt", context)
        messages.append(EmailMessage(subject, body, to=[address]))
    if not messages:
        return 0
    return get_connection().send_messages(messages) or 0
