"""Flows that touch several models: registration, interests, marks, account deletion.

Keyword-only, typed functions; each runs in one transaction so nothing is ever half-saved.
Matching is enqueued after commit (``matchmaking.enqueue``): a broker that is down never fails
the request, and the periodic sweep catches up.
"""

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import IO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from clusters.models import Sector, State
from clusters.transfer import csv_writer
from config.accounts import email_language, email_taken, normalise_email
from matchmaking.enqueue import enqueue_on_commit
from matchmaking.models import (
    PRIVACY_NOTICE_VERSION,
    Interest,
    Introduction,
    MatchRun,
    Organisation,
    Suggestion,
)

logger = logging.getLogger(__name__)
VERIFY_EMAIL_SALT = "matchmaking.verify-email"


class EmailTaken(ValueError):
    """Another account already uses this email address (compared case-insensitively)."""


# --- Registration and email verification ---------------------------------------------------


@transaction.atomic
def register_organisation(
    *,
    email: str,
    password: str,
    name: str,
    country: str,
    kind: str,
    website: str,
    description: str,
    language: str = "",
) -> Organisation:
    """Create the user (username = lower-cased email) and its organisation, with consent to
    the current privacy notice recorded now; ``language`` (the page's, at sign-up) is the one
    its emails are written in. Raises ``EmailTaken``; saves nothing then."""
    email = normalise_email(email)
    if email_taken(email):
        raise EmailTaken(email)
    User = get_user_model()
    try:
        # A savepoint, so that a concurrent sign-up with the same address rolls back cleanly.
        with transaction.atomic():
            user = User.objects.create_user(username=email, email=email, password=password)
    except IntegrityError as exc:
        raise EmailTaken(email) from exc
    return Organisation.objects.create(
        user=user,
        name=name,
        country=country,
        kind=kind,
        website=website,
        description=description,
        consent_at=timezone.now(),
        consent_version=PRIVACY_NOTICE_VERSION,
        language=email_language(language),
    )


def verification_token(organisation: Organisation) -> str:
    """A signed token naming the organisation and the address it verifies."""
    return signing.dumps(
        {"organisation": organisation.pk, "email": organisation.user.email},
        salt=VERIFY_EMAIL_SALT,
    )


def verify_email(token: str) -> Organisation:
    """Mark the address in ``token`` as verified (idempotent) and return its organisation.

    Raises ``signing.BadSignature`` (``SignatureExpired`` after
    ``settings.EMAIL_VERIFICATION_MAX_AGE`` seconds) for a bad, expired or stale token."""
    data = signing.loads(token, salt=VERIFY_EMAIL_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    if not isinstance(data, dict):
        raise signing.BadSignature("malformed verification token")
    organisation = (
        Organisation.objects.select_related("user")
        .filter(pk=data.get("organisation"), user__email=data.get("email"))
        .first()
    )
    if organisation is None:
        raise signing.BadSignature("no such organisation, or its address changed")
    if organisation.email_verified_at is None:
        organisation.email_verified_at = timezone.now()
        organisation.save(update_fields=["email_verified_at"])
    return organisation


def send_verification_email(*, organisation: Organisation, site_url: str) -> None:
    """Email the verification link; ``site_url`` like "https://example.org" (no slash)."""
    path = reverse("matchmaking:verify_email", args=[verification_token(organisation)])
    context = {
        "organisation": organisation,
        "verify_url": site_url + path,
        "max_age_days": settings.EMAIL_VERIFICATION_MAX_AGE // 86400,
        "max_age_hours": settings.EMAIL_VERIFICATION_MAX_AGE // 3600,
    }
    with translation.override(organisation.language or settings.LANGUAGE_CODE):
        subject = render_to_string("matchmaking/email/verify_subject.txt", context).strip()
        body = render_to_string("matchmaking/email/verify.txt", context)
    send_mail(subject, body, None, [organisation.user.email])


# --- Interests -----------------------------------------------------------------------------


def _enqueue_match(interest_id: int) -> None:
    from matchmaking.tasks import match_interest  # tasks import matching, which is heavy

    enqueue_on_commit(match_interest, interest_id)


def _enqueue_matches(interest_ids: list[int], trigger: str) -> None:
    """One task for one interest, batches (``MATCH_BATCH_SIZE``) for more."""
    from matchmaking.matching.suggest import batches
    from matchmaking.tasks import match_interests

    if len(interest_ids) == 1:
        _enqueue_match(interest_ids[0])
        return
    for batch in batches(interest_ids, settings.MATCH_BATCH_SIZE):
        enqueue_on_commit(match_interests, batch, trigger)


@transaction.atomic
def save_interest(
    *,
    organisation: Organisation,
    interest: Interest | None = None,
    title: str,
    sectors: Iterable[Sector],
    states: Iterable[State] = (),
    kinds: Iterable[str],
    description: str = "",
) -> Interest:
    """Create or update an interest of ``organisation`` and enqueue its matching after
    commit. ``changed_at`` moves on, so the dashboard shows it as computing until then."""
    if interest is None:
        interest = Interest(organisation=organisation)
    elif interest.organisation_id != organisation.pk:
        raise ValueError("interest belongs to another organisation")
    interest.title = title
    interest.kinds = list(dict.fromkeys(kinds))
    interest.description = description
    interest.changed_at = timezone.now()
    interest.save()
    interest.sectors.set(sectors)
    interest.states.set(states)
    if interest.is_active:
        _enqueue_match(interest.pk)
    return interest


@transaction.atomic
def set_interest_active(*, interest: Interest, active: bool) -> Interest:
    """Pause (no scoring) or resume an interest; resuming re-scores it."""
    interest.is_active = active
    fields = ["is_active"]
    if active:
        interest.changed_at = timezone.now()
        fields.append("changed_at")
    interest.save(update_fields=fields)
    if active:
        _enqueue_match(interest.pk)
    return interest


@transaction.atomic
def request_rematch(
    *, interest_ids: Iterable[int], trigger: str = MatchRun.Trigger.INTEREST
) -> int:
    """Re-score these interests (staff asked, or a cluster they were suggested is being
    deleted): mark the active ones changed (so the sweep catches up if the broker is down)
    and enqueue them after the commit. Returns how many were enqueued."""
    ids = list(
        Interest.objects.active()
        .filter(pk__in=list(interest_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    Interest.objects.filter(pk__in=ids).update(changed_at=timezone.now())
    _enqueue_matches(ids, trigger)
    return len(ids)


# --- Suggestions ---------------------------------------------------------------------------


def mark_suggestion(*, suggestion: Suggestion, status: str) -> Suggestion:
    """The user's mark; it survives every re-computation (``matching.storage.store``)."""
    if status not in Suggestion.Status.values:
        raise ValueError(f"unknown status {status!r}")
    if suggestion.status != status:
        suggestion.status = status
        suggestion.status_changed_at = timezone.now()
        suggestion.save(update_fields=["status", "status_changed_at"])
    return suggestion


# --- The account ---------------------------------------------------------------------------


def set_notifications(
    *, organisation: Organisation, enabled: bool, language: str | None = None
) -> None:
    """Email about new suggestions or not; ``language`` (if given) for every email."""
    fields = {"notify_by_email": enabled}
    if language:
        fields["language"] = email_language(language)
    Organisation.objects.filter(pk=organisation.pk).update(**fields)
    for name, value in fields.items():
        setattr(organisation, name, value)


@transaction.atomic
def delete_account(*, user: AbstractBaseUser) -> None:
    """Delete the user; the database cascades to its organisation, interests, suggestions.
    Its introductions stay with the clusters as tombstones, without what it wrote."""
    from matchmaking.introductions import detach_organisation

    organisation = Organisation.objects.filter(user=user).first()
    if organisation is not None:
        detach_organisation(organisation)
    user.delete()


# --- Staff exports -------------------------------------------------------------------------

INTRODUCTIONS_CSV_HEADER = [
    "id",
    "asked by",
    "organisation",
    "country",
    "contact email",
    "cluster",
    "cluster state",
    "status",
    "requested at",
    "answered at",
    "expires at",
    "message",
    "proposed cooperation",
    "interest title",
    "interest description",
    "decline reason",
    "reported as spam at",
    "introduced by staff",
    "outcome",
    "outcome at",
]


def introductions_for_csv():
    return Introduction.objects.select_related(
        "organisation__user", "cluster__state", "interest"
    ).order_by("-created", "-pk")


def _iso(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


def write_introductions_csv(introductions: Iterable[Introduction], out: IO[str]) -> int:
    """Write ``INTRODUCTIONS_CSV_HEADER`` and one row per introduction (for staff: with the
    organisation's contact email); return the row count."""
    writer = csv_writer(out)
    writer.writerow(INTRODUCTIONS_CSV_HEADER)
    rows = 0
    for introduction in introductions:
        organisation = introduction.organisation
        cluster = introduction.cluster
        interest = introduction.interest
        writer.writerow(
            [
                introduction.pk,
                introduction.direction,
                organisation.name if organisation else "(left)",
                organisation.country if organisation else "",
                organisation.user.email if organisation else "",
                cluster.name,
                cluster.state.name if cluster.state else "",
                introduction.status,
                _iso(introduction.created),
                _iso(introduction.answered_at),
                _iso(introduction.expires_at),
                introduction.message,
                " ".join(introduction.kinds),
                interest.title if interest else "",
                interest.description if interest else "",
                introduction.decline_reason,
                _iso(introduction.reported_spam_at),
                "yes" if introduction.by_staff else "",
                introduction.outcome,
                _iso(introduction.outcome_at),
            ]
        )
        rows += 1
    return rows
