"""One digest email per organisation per matching run that produced new suggestions."""

import logging

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from matchmaking.models import Organisation

logger = logging.getLogger(__name__)
UNSUBSCRIBE_SALT = "matchmaking.unsubscribe"


def unsubscribe_token(organisation: Organisation) -> str:
    return signing.dumps(organisation.pk, salt=UNSUBSCRIBE_SALT)


def send_digests(new_by_organisation: dict[int, int]) -> int:
    """Email each organisation that opted in and verified its address; return emails sent."""
    sent = 0
    organisations = Organisation.objects.filter(
        pk__in=[pk for pk, count in new_by_organisation.items() if count > 0],
        notify_by_email=True,
        email_verified_at__isnull=False,
    ).select_related("user")
    for organisation in organisations:
        count = new_by_organisation[organisation.pk]
        context = {
            "organisation": organisation,
            "count": count,
            "dashboard_url": settings.SITE_URL + reverse("matchmaking:dashboard"),
            "unsubscribe_url": settings.SITE_URL
            + reverse("matchmaking:unsubscribe", args=[unsubscribe_token(organisation)]),
        }
        with translation.override(organisation.language or settings.LANGUAGE_CODE):
            subject = render_to_string("matchmaking/email/digest_subject.txt", context).strip()
            body = render_to_string("matchmaking/email/digest.txt", context)
        send_mail(subject, body, None, [organisation.email])
        sent += 1
    return sent
