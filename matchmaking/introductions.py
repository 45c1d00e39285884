"""Introductions by double opt-in: who may ask whom, answering, outcomes, expiry, and who
sees which contact details when.

The one rule that must never break: the other side's contact details (person, email, phone,
website) reach a page, an email or an export only through ``contacts_for``, which gives
nothing until the introduction is accepted.

Keyword-only, typed functions; state changes are conditional updates (``filter(status=
REQUESTED).update(...)``), so two answers, or an answer and the expiry, never both win.
Emails go out after the commit; a mail server that is down is logged, never a failed page.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from clusters.models import Claim, Cluster, Sector
from matchmaking.models import Interest, Introduction, Organisation, Suggestion

logger = logging.getLogger(__name__)
LINK_SALT = "matchmaking.introduction-link"
MANAGER_DEFAULT_LANGUAGE = "es"  # Mexican managers read Spanish unless they chose otherwise


class IntroductionRefused(ValueError):
    """A rule refuses the request or the answer; ``str()`` is the message to show."""


# --- Who is who ----------------------------------------------------------------------------


def managers_of(cluster: Cluster) -> QuerySet[Claim]:
    return Claim.objects.approved().filter(cluster=cluster).select_related("user")


def managed_clusters(user: AbstractBaseUser) -> QuerySet[Cluster]:
    if not user.is_authenticated:
        return Cluster.objects.none()
    return Cluster.objects.filter(
        pk__in=Claim.objects.approved().filter(user=user).values("cluster")
    ).order_by("name")


def manages(user: AbstractBaseUser, cluster_id: int) -> bool:
    return Claim.objects.approved().filter(user=user, cluster_id=cluster_id).exists()


def side_of(introduction: Introduction, user: AbstractBaseUser) -> str | None:
    """``"organisation"``, ``"cluster"`` or None: the side ``user`` is on."""
    if introduction.organisation_id and introduction.organisation.user_id == user.pk:
        return Introduction.Direction.FROM_ORGANISATION
    if manages(user, introduction.cluster_id):
        return Introduction.Direction.FROM_CLUSTER
    return None


def answering_side(introduction: Introduction) -> str:
    if introduction.direction == Introduction.Direction.FROM_ORGANISATION:
        return Introduction.Direction.FROM_CLUSTER
    return Introduction.Direction.FROM_ORGANISATION


def manager_language(claim: Claim) -> str:
    """The language the manager's claim records (the page's when they claimed or last edited
    the profile), else Spanish."""
    return claim.language or MANAGER_DEFAULT_LANGUAGE


# --- Contact details: only once both said yes ----------------------------------------------


@dataclass(frozen=True)
class Contact:
    heading: str
    person: str
    email: str
    phone: str
    website: str


def organisation_contact(organisation: Organisation) -> Contact:
    return Contact(
        heading=organisation.name,
        person=organisation.contact_name,
        email=organisation.user.email,
        phone=organisation.phone,
        website=organisation.website,
    )


def cluster_contacts(cluster: Cluster) -> list[Contact]:
    return [
        Contact(
            heading=cluster.name,
            person=claim.name,
            email=claim.work_email,
            phone=claim.phone,
            website=cluster.website,
        )
        for claim in managers_of(cluster)
    ]


def contacts_for(introduction: Introduction, side: str | None) -> list[Contact]:
    """The other side's contacts as ``side`` may see them: none before acceptance."""
    if not introduction.is_accepted or not side:
        return []
    if side == Introduction.Direction.FROM_ORGANISATION:
        return cluster_contacts(introduction.cluster)
    if introduction.organisation_id is None:
        return []
    return [organisation_contact(introduction.organisation)]


# --- Requesting ----------------------------------------------------------------------------


def _check_rules(*, organisation: Organisation, cluster: Cluster, direction: str) -> None:
    now = timezone.now()
    pair = Introduction.objects.filter(organisation=organisation, cluster=cluster)
    if pair.open().exists():
        raise IntroductionRefused(
            _("An introduction between you is already waiting for an answer.")
        )
    cooldown = settings.INTRODUCTION_DECLINE_COOLDOWN_DAYS
    if pair.filter(
        status=Introduction.Status.DECLINED, answered_at__gt=now - timedelta(days=cooldown)
    ).exists():
        raise IntroductionRefused(
            _("This introduction was declined less than %(days)d days ago.") % {"days": cooldown}
        )
    if direction == Introduction.Direction.FROM_ORGANISATION:
        sent = Introduction.objects.filter(organisation=organisation, direction=direction)
    else:
        sent = Introduction.objects.filter(cluster=cluster, direction=direction)
    limit = settings.INTRODUCTIONS_PER_WEEK
    if sent.filter(created__gt=now - timedelta(days=7)).count() >= limit:
        raise IntroductionRefused(
            _("You have sent %(limit)d requests in the last 7 days, the most we allow.")
            % {"limit": limit}
        )


@transaction.atomic
def request_introduction(
    *,
    organisation: Organisation,
    cluster: Cluster,
    requested_by: AbstractBaseUser,
    message: str,
    kinds: list[str],
    interest: Interest | None = None,
    direction: str = Introduction.Direction.FROM_ORGANISATION,
) -> Introduction:
    """Create an open request and notify the answering side after the commit (the cluster's
    managers, or the staff queue when it has none; or the organisation). Raises
    ``IntroductionRefused`` (nothing saved) when a rule says no."""
    # Serialise an organisation's (or a cluster's) requests, so that two at once cannot
    # both pass the weekly limit.
    if direction == Introduction.Direction.FROM_ORGANISATION:
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    else:
        Cluster.objects.select_for_update().filter(pk=cluster.pk).first()
    _check_rules(organisation=organisation, cluster=cluster, direction=direction)
    now = timezone.now()
    try:
        with transaction.atomic():
            introduction = Introduction.objects.create(
                organisation=organisation,
                cluster=cluster,
                interest=interest,
                direction=direction,
                requested_by=requested_by,
                message=message.strip(),
                kinds=list(dict.fromkeys(kinds)),
                created=now,
                expires_at=now + timedelta(days=settings.INTRODUCTION_EXPIRY_DAYS),
            )
    except IntegrityError as exc:  # the same request, sent twice at once
        raise IntroductionRefused(
            _("An introduction between you is already waiting for an answer.")
        ) from exc
    _after_commit(introduction.pk, "requested")
    return introduction


# --- Answering -----------------------------------------------------------------------------


def _answer(
    introduction: Introduction, *, user: AbstractBaseUser, status: str, reason: str = ""
) -> Introduction:
    if side_of(introduction, user) != answering_side(introduction):
        raise IntroductionRefused(_("Only the side that was asked can answer."))
    now = timezone.now()
    changed = Introduction.objects.filter(
        pk=introduction.pk, status=Introduction.Status.REQUESTED
    ).update(status=status, answered_at=now, answered_by=user, decline_reason=reason.strip())
    if not changed:
        raise IntroductionRefused(_("This request has already been answered or has expired."))
    introduction.refresh_from_db()
    return introduction


@transaction.atomic
def accept(*, introduction: Introduction, user: AbstractBaseUser) -> Introduction:
    """Both sides said yes: each gets the other's contact details by email."""
    introduction = _answer(introduction, user=user, status=Introduction.Status.ACCEPTED)
    _after_commit(introduction.pk, "accepted")
    return introduction


@transaction.atomic
def decline(
    *, introduction: Introduction, user: AbstractBaseUser, reason: str = ""
) -> Introduction:
    introduction = _answer(
        introduction, user=user, status=Introduction.Status.DECLINED, reason=reason
    )
    _after_commit(introduction.pk, "declined")
    return introduction


@transaction.atomic
def report_spam(*, introduction: Introduction, user: AbstractBaseUser) -> Introduction:
    """Decline the request and tell the programme team."""
    introduction = _answer(introduction, user=user, status=Introduction.Status.DECLINED)
    Introduction.objects.filter(pk=introduction.pk).update(reported_spam_at=timezone.now())
    introduction.refresh_from_db()
    _after_commit(introduction.pk, "spam")
    return introduction


def record_outcome(
    *, introduction: Introduction, user: AbstractBaseUser, outcome: str
) -> Introduction:
    """Either side (or staff) records what came of an accepted introduction."""
    if outcome not in Introduction.Outcome.values:
        raise IntroductionRefused(_("Choose one of the outcomes."))
    changed = Introduction.objects.filter(
        pk=introduction.pk, status=Introduction.Status.ACCEPTED
    ).update(outcome=outcome, outcome_at=timezone.now(), outcome_by=user)
    if not changed:
        raise IntroductionRefused(
            _("An outcome can be recorded once the introduction is accepted.")
        )
    introduction.refresh_from_db()
    return introduction


# --- Beat: reminders and expiry (tasks take ids; conditional updates make them idempotent) --


def due_for_reminder() -> list[int]:
    before = timezone.now() - timedelta(days=settings.INTRODUCTION_REMINDER_DAYS)
    return list(
        Introduction.objects.open()
        .filter(reminded_at__isnull=True, created__lte=before)
        .values_list("pk", flat=True)
    )


def due_for_expiry() -> list[int]:
    return list(
        Introduction.objects.open()
        .filter(expires_at__lte=timezone.now())
        .values_list("pk", flat=True)
    )


def remind(introduction_id: int) -> bool:
    """Remind the answering side once; False when already reminded, answered or gone."""
    before = timezone.now() - timedelta(days=settings.INTRODUCTION_REMINDER_DAYS)
    changed = (
        Introduction.objects.open()
        .filter(pk=introduction_id, reminded_at__isnull=True, created__lte=before)
        .update(reminded_at=timezone.now())
    )
    if changed:
        notify(introduction_id, "reminder")
    return bool(changed)


def expire(introduction_id: int) -> bool:
    """Expire an open request past its date and tell the requester; False otherwise."""
    now = timezone.now()
    changed = (
        Introduction.objects.open()
        .filter(pk=introduction_id, expires_at__lte=now)
        .update(status=Introduction.Status.EXPIRED, answered_at=now)
    )
    if changed:
        notify(introduction_id, "expired")
    return bool(changed)


# --- Staff ---------------------------------------------------------------------------------


def nudge(*, introductions: QuerySet[Introduction]) -> int:
    """Remind the answering side of each open request now; returns how many."""
    ids = list(introductions.open().values_list("pk", flat=True))
    Introduction.objects.filter(pk__in=ids).update(nudged_at=timezone.now())
    for pk in ids:
        notify(pk, "reminder")
    return len(ids)


def close(*, introductions: QuerySet[Introduction]) -> int:
    return introductions.open().update(
        status=Introduction.Status.CLOSED, answered_at=timezone.now()
    )


def introduce_by_staff(*, introductions: QuerySet[Introduction], user: AbstractBaseUser) -> int:
    """Staff introduced the two sides by hand (a cluster with no manager): recorded as
    accepted by the programme team."""
    return introductions.open().update(
        status=Introduction.Status.ACCEPTED,
        answered_at=timezone.now(),
        answered_by=user,
        by_staff=True,
    )


def invited_to_claim(*, introductions: QuerySet[Introduction]) -> int:
    """Record that staff invited the cluster to claim its profile."""
    return introductions.open().update(invited_to_claim_at=timezone.now())


# --- An organisation leaves ----------------------------------------------------------------


def detach_organisation(organisation: Organisation) -> None:
    """Before the account is deleted: its open requests close, and every introduction loses
    the organisation and what it wrote (its message, its reason); the cluster's side keeps
    the record and its own messages, shown as "an organisation that has since left"."""
    mine = Introduction.objects.filter(organisation=organisation)
    mine.open().update(status=Introduction.Status.CLOSED, answered_at=timezone.now())
    mine.filter(direction=Introduction.Direction.FROM_ORGANISATION).update(
        organisation=None, interest=None, message="", requested_by=None
    )
    mine.filter(direction=Introduction.Direction.FROM_CLUSTER).update(
        organisation=None, interest=None, decline_reason=""
    )


# --- Reverse suggestions -------------------------------------------------------------------


def interested_organisations(cluster: Cluster) -> tuple[list[Suggestion], list[dict], int]:
    """The organisations whose active interests rank ``cluster`` (stored suggestions): the
    visible ones, best suggestion each; the others counted by the sectors they share with the
    cluster, and in all (an interest in a related sector shares none). Three queries."""
    ranking = (
        Suggestion.objects.filter(cluster=cluster, is_current=True, interest__is_active=True)
        .exclude(status=Suggestion.Status.NOT_RELEVANT)
        .filter(interest__organisation__is_synthetic=False)
    )
    visible, seen = [], set()
    for suggestion in (
        ranking.filter(interest__organisation__visible_to_clusters=True)
        .select_related("interest__organisation")
        .order_by("-score", "pk")
    ):
        if suggestion.interest.organisation_id not in seen:
            seen.add(suggestion.interest.organisation_id)
            visible.append(suggestion)
    hidden = ranking.filter(interest__organisation__visible_to_clusters=False)
    counts = list(
        Sector.objects.filter(clusters=cluster, interests__suggestions__in=hidden)
        .annotate(organisations=Count("interests__organisation", distinct=True))
        .order_by("-organisations", "slug")
    )
    hidden_total = hidden.values("interest__organisation").distinct().count()
    counted = [{"sector": sector, "count": sector.organisations} for sector in counts]
    return visible, counted, hidden_total


def visible_suggestion(cluster: Cluster, organisation_id: int) -> Suggestion | None:
    """The best suggestion through which a visible organisation's interest ranks ``cluster``."""
    visible, _counts, _total = interested_organisations(cluster)
    return next((s for s in visible if s.interest.organisation_id == organisation_id), None)


# --- Links and emails ----------------------------------------------------------------------


def link_token(introduction_id: int) -> str:
    return signing.dumps(introduction_id, salt=LINK_SALT)


def read_link_token(token: str) -> int:
    """The introduction id in an emailed link; ``signing.BadSignature`` (``SignatureExpired``
    after ``INTRODUCTION_LINK_MAX_AGE``) for a forged, damaged or old link."""
    pk = signing.loads(token, salt=LINK_SALT, max_age=settings.INTRODUCTION_LINK_MAX_AGE)
    if not isinstance(pk, int):
        raise signing.BadSignature("malformed introduction link")
    return pk


def _after_commit(introduction_id: int, event: str) -> None:
    transaction.on_commit(lambda: notify(introduction_id, event))


def _recipients(introduction: Introduction, side: str) -> list[tuple[str, str]]:
    """``(email, language)`` for everyone on ``side``."""
    if side == Introduction.Direction.FROM_ORGANISATION:
        organisation = introduction.organisation
        if organisation is None:
            return []
        return [(organisation.user.email, organisation.language or settings.LANGUAGE_CODE)]
    return [
        (claim.work_email, manager_language(claim)) for claim in managers_of(introduction.cluster)
    ]


def _staff_emails() -> list[str]:
    return sorted(
        set(
            get_user_model()
            .objects.filter(is_staff=True, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


def _message(introduction: Introduction, *, event: str, side: str, to: str, language: str):
    context = {
        "introduction": introduction,
        "event": event,
        "side": side,
        "contacts": contacts_for(introduction, side),
        "link": settings.SITE_URL
        + reverse("matchmaking:introduction_link", args=[link_token(introduction.pk)]),
        "list_url": settings.SITE_URL + reverse("matchmaking:introductions"),
        "expiry_days": settings.INTRODUCTION_EXPIRY_DAYS,
    }
    with translation.override(language):
        subject = render_to_string("matchmaking/email/introduction_subject.txt", context)
        body = render_to_string("matchmaking/email/introduction.txt", context)
    return EmailMessage(" ".join(subject.split()), body, to=[to])


def notify(introduction_id: int, event: str) -> int:
    """Email what ``event`` calls for; returns how many emails went out (0 when the mail
    server fails: logged, the state change stands)."""
    introduction = (
        Introduction.objects.select_related("organisation__user", "cluster")
        .filter(pk=introduction_id)
        .first()
    )
    if introduction is None:
        return 0
    requester = introduction.direction
    answerer = answering_side(introduction)
    targets = {
        "requested": [answerer],
        "reminder": [answerer],
        "accepted": [requester, answerer],
        "declined": [requester],
        "expired": [requester],
        "spam": [],
    }[event]
    messages = [
        _message(introduction, event=event, side=side, to=email, language=language)
        for side in targets
        for email, language in _recipients(introduction, side)
    ]
    staff_events = {"spam"}
    if event == "requested" and not managers_of(introduction.cluster).exists():
        staff_events.add("requested")
    if event in staff_events:
        messages += [
            _message(
                introduction,
                event=f"staff_{event}",
                side="",
                to=email,
                language=settings.LANGUAGE_CODE,
            )
            for email in _staff_emails()
        ]
    if not messages:
        return 0
    try:
        return get_connection().send_messages(messages) or 0
    except Exception:  # noqa: BLE001 - the mail server: logged, the change is saved
        logger.exception("introduction %s: %s emails not sent", introduction_id, event)
        return 0


def waiting_count(user: AbstractBaseUser) -> int:
    """Open requests ``user`` is to answer (the navigation's badge); one query."""
    if not user.is_authenticated:
        return 0
    return Introduction.objects.waiting_for(user).count()


def latest_by_cluster(organisation: Organisation) -> dict[int, Introduction]:
    """The organisation's most recent introduction with each cluster (suggestion cards)."""
    latest: dict[int, Introduction] = {}
    for introduction in Introduction.objects.filter(organisation=organisation).order_by("created"):
        latest[introduction.cluster_id] = introduction
    return latest
