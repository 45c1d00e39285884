"""Which cluster profiles need verifying: never verified, or not in the last 12 months."""

import datetime

from django.db.models import Q
from django.utils import timezone

STALE_AFTER_DAYS = 365


def needs_verification(today: datetime.date | None = None) -> Q:
    today = today or timezone.localdate()
    cutoff = today - datetime.timedelta(days=STALE_AFTER_DAYS)
    return Q(last_verified__isnull=True) | Q(last_verified__lt=cutoff)
