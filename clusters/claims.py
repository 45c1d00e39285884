"""Claims on cluster profiles: who may manage a cluster's page, and how they become a manager.

A claim starts *unverified*; the signed link in the email to its work address verifies it.
It is then approved at once when the address's domain is the domain of the cluster's website
(as the briefing or staff give it, never as a manager provided it), otherwise it waits for
staff (*pending*), who approve or reject it with a reason the claimant receives; staff can
revoke a manager later. Every email to the claimant is in the claim's language.
"""

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from clusters.models import Claim, Cluster
from config import throttle
from config.accounts import email_language, email_taken, normalise_email

logger = logging.getLogger(__name__)
VERIFY_CLAIM_SALT = "clusters.verify-claim"

# Addresses anyone can get: a claim from one of these never matches a cluster's domain.
FREE_MAIL_DOMAINS = frozenset(
    """gmail.com googlemail.com hotmail.com hotmail.es hotmail.com.mx outlook.com outlook.es
    live.com live.com.mx msn.com yahoo.com yahoo.com.mx yahoo.es ymail.com aol.com icloud.com
    me.com mac.com gmx.com gmx.net mail.com protonmail.com proton.me zoho.com yandex.com
    prodigy.net.mx terra.com.mx""".split()
)
# Hosts where anyone can have a page: a cluster website there proves no domain.
SHARED_HOSTS = frozenset(
    """facebook.com linkedin.com twitter.com x.com instagram.com youtube.com google.com
    sites.google.com blogspot.com wordpress.com wixsite.com wix.com weebly.com
    github.io""".split()
)


class ClaimError(ValueError):
    """The claim cannot be made; the message says why, to the claimant."""


# --- Domains -------------------------------------------------------------------------------


def _host(website: str) -> str:
    if "//" not in website:
        website = "//" + website
    host = (urlsplit(website.strip()).hostname or "").lower().rstrip(".")
    return host.removeprefix("www.")


def _is_under(host: str, domains: frozenset[str]) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def domain_matches(email: str, website: str) -> bool:
    """Whether ``email`` is an address of the organisation whose site is ``website``: its
    domain is the site's host without "www.", or a subdomain of it ("mx.claut.com.mx" for
    "www.claut.com.mx"). Never for free-mail addresses or sites on shared hosts."""
    domain = email.rpartition("@")[2].strip().lower().rstrip(".")
    host = _host(website) if website else ""
    if not domain or not host or "." not in host:
        return False
    if domain in FREE_MAIL_DOMAINS or _is_under(host, SHARED_HOSTS | FREE_MAIL_DOMAINS):
        return False
    return domain == host or domain.endswith("." + host)


# --- Making a claim ------------------------------------------------------------------------


def allow_claim(request, user=None) -> bool:
    """Count a posted claim form: per person a day, per client address an hour."""
    by_address = throttle.allow(
        "claim-address",
        throttle.client_address(request),
        limit=settings.CLAIMS_PER_ADDRESS_PER_HOUR,
        window=throttle.HOUR,
    )
    by_person = by_address and (
        user is None
        or not user.is_authenticated
        or throttle.allow(
            "claim-user", str(user.pk), limit=settings.CLAIMS_PER_DAY, window=throttle.DAY
        )
    )
    if not by_person:
        logger.warning("claim refused: too many from this person or address")
    return by_person


def create_account(*, email: str, password: str):
    """A new log-in for a claimant (username = lower-cased email). ClaimError if taken."""
    email = normalise_email(email)
    if email_taken(email):
        raise ClaimError(email)
    User = get_user_model()
    try:
        with transaction.atomic():
            return User.objects.create_user(username=email, email=email, password=password)
    except IntegrityError as exc:
        raise ClaimError(email) from exc


@transaction.atomic
def submit_claim(
    *,
    user,
    cluster: Cluster,
    name: str,
    role: str,
    work_email: str,
    phone: str = "",
    message: str = "",
    language: str = "",
) -> Claim:
    """Record an unverified claim, consent to the privacy notice now. A claim of the person's
    on the cluster that is still unverified is replaced by this one (its link lost or
    expired). ClaimError when the person already has a pending or approved claim on it."""
    fields = {
        "name": name,
        "role": role,
        "work_email": work_email.strip().lower(),
        "phone": phone,
        "message": message,
        "consent_at": timezone.now(),
        "consent_version": settings.PRIVACY_NOTICE_VERSION,
        "language": email_language(language),
    }
    unverified = Claim.objects.filter(user=user, cluster=cluster, status=Claim.Status.UNVERIFIED)
    claim = unverified.select_for_update().first()
    if claim is not None:
        for field, value in fields.items():
            setattr(claim, field, value)
        claim.save(update_fields=list(fields))
        return claim
    try:
        with transaction.atomic():
            return Claim.objects.create(user=user, cluster=cluster, **fields)
    except IntegrityError as exc:
        raise ClaimError(cluster.pk) from exc


def _send(claim: Claim, template: str, context: dict, to: list[str] | None = None) -> None:
    """Render ``clusters/email/<template>[_subject].txt`` in the claim's language and send."""
    context = {"claim": claim, "cluster": claim.cluster, **context}
    with translation.override(claim.language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"clusters/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"clusters/email/{template}.txt", context)
    send_mail(subject, body, None, to or [claim.work_email])


def verification_token(claim: Claim) -> str:
    return signing.dumps({"claim": claim.pk, "email": claim.work_email}, salt=VERIFY_CLAIM_SALT)


def send_verification(*, claim: Claim, site_url: str) -> None:
    path = reverse("clusters:verify_claim", args=[verification_token(claim)])
    _send(
        claim,
        "claim_verify",
        {
            "verify_url": site_url + path,
            "max_age_days": settings.EMAIL_VERIFICATION_MAX_AGE // 86400,
        },
    )


def verify_claim(token: str, *, site_url: str) -> Claim:
    """Verify the claim's work email (idempotent), then approve it by domain or queue it for
    staff (who are emailed). Raises ``signing.BadSignature`` (``SignatureExpired`` after
    ``settings.EMAIL_VERIFICATION_MAX_AGE``) for a bad, expired or stale token."""
    data = signing.loads(token, salt=VERIFY_CLAIM_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    if not isinstance(data, dict):
        raise signing.BadSignature("malformed claim token")
    with transaction.atomic():
        claim = (
            Claim.objects.select_for_update()
            .select_related("cluster")
            .filter(pk=data.get("claim"), work_email=data.get("email"))
            .first()
        )
        if claim is None:
            raise signing.BadSignature("no such claim")
        if claim.status != Claim.Status.UNVERIFIED:
            return claim  # a second click changes nothing
        claim.email_verified_at = timezone.now()
        if domain_matches(claim.work_email, claim.cluster.website):
            claim.status = Claim.Status.APPROVED
            claim.decided_at = claim.email_verified_at
            claim.decision_reason = "Work email on the cluster website's domain."
        else:
            claim.status = Claim.Status.PENDING
        claim.save(update_fields=["email_verified_at", "status", "decided_at", "decision_reason"])
        if claim.status == Claim.Status.APPROVED:
            transaction.on_commit(lambda: _notify(claim, "claim_approved", site_url))
        else:
            transaction.on_commit(lambda: _notify_staff(claim, site_url))
    return claim


def _notify(claim: Claim, template: str, site_url: str) -> None:
    """Email the claimant after a decision; a mail failure is logged, never undoes it."""
    context = {
        "edit_url": site_url + reverse("clusters:cluster_edit", args=[claim.cluster.slug]),
        "site_url": site_url,
    }
    try:
        _send(claim, template, context)
    except Exception:  # noqa: BLE001 - SMTP, DNS, timeouts: the decision is saved
        logger.exception("could not email claim %s (%s)", claim.pk, template)


def _notify_staff(claim: Claim, site_url: str) -> None:
    staff = (
        get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    recipients = sorted(set(staff))
    if not recipients:
        return
    context = {
        "claim": claim,
        "cluster": claim.cluster,
        "admin_url": site_url + reverse("admin:clusters_claim_change", args=[claim.pk]),
    }
    try:
        with translation.override(settings.LANGUAGE_CODE):
            subject = render_to_string("clusters/email/claim_pending_subject.txt", context)
            body = render_to_string("clusters/email/claim_pending.txt", context)
        send_mail(subject.strip(), body, None, recipients)
    except Exception:  # noqa: BLE001 - the claim waits in the queue either way
        logger.exception("could not email staff about claim %s", claim.pk)


# --- Staff decisions -----------------------------------------------------------------------


def _decide(
    claim_ids, *, user, site_url: str, status: str, allowed: tuple, template: str, reason: str = ""
) -> int:
    """Move the claims in ``allowed`` statuses to ``status`` and email each claimant."""
    with transaction.atomic():
        claims = list(
            Claim.objects.select_for_update(of=("self",))
            .select_related("cluster")
            .filter(pk__in=claim_ids, status__in=allowed)
        )
        now = timezone.now()
        for claim in claims:
            claim.status, claim.decided_at, claim.decided_by = status, now, user
            claim.decision_reason = reason
            claim.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
        transaction.on_commit(lambda: [_notify(c, template, site_url) for c in claims])
    return len(claims)


def approve(claim_ids, *, user, site_url: str) -> int:
    return _decide(
        claim_ids, user=user, site_url=site_url, status=Claim.Status.APPROVED,
        allowed=(Claim.Status.PENDING,), template="claim_approved",
    )  # fmt: skip


def reject(claim_ids, *, user, site_url: str, reason: str) -> int:
    return _decide(
        claim_ids, user=user, site_url=site_url, status=Claim.Status.REJECTED,
        allowed=(Claim.Status.PENDING, Claim.Status.UNVERIFIED), template="claim_rejected",
        reason=reason,
    )  # fmt: skip


def revoke(claim_ids, *, user, site_url: str, reason: str) -> int:
    return _decide(
        claim_ids, user=user, site_url=site_url, status=Claim.Status.REVOKED,
        allowed=(Claim.Status.APPROVED,), template="claim_revoked", reason=reason,
    )  # fmt: skip


def export_claims(user) -> list[dict]:
    """The person's claims for "My data": what they told us and what was decided."""
    return [
        {
            "cluster": {"slug": claim.cluster.slug, "name": claim.cluster.name},
            "name": claim.name,
            "role": claim.role,
            "work_email": claim.work_email,
            "phone": claim.phone,
            "message": claim.message,
            "consent_at": claim.consent_at,
            "consent_version": claim.consent_version,
            "status": claim.status,
            "email_verified_at": claim.email_verified_at,
            "decided_at": claim.decided_at,
            "decision_reason": claim.decision_reason,
            "language": claim.language,
            "created": claim.created,
        }
        for claim in Claim.objects.filter(user=user).select_related("cluster").order_by("created")
    ]
