"""Sign-up, the privacy notice, and email verification. Log in/out and password reset are
Django's own views (``django.contrib.auth.urls``) with our templates."""

import logging
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from matchmaking import services, throttle
from matchmaking.forms import InterestForm, MatchPreviewForm, SignupForm
from matchmaking.models import PRIVACY_NOTICE_VERSION, Organisation
from matchmaking.views.common import organisation_required, safe_next

logger = logging.getLogger(__name__)
RESEND_INTERVAL_SECONDS = 60  # one verification email a minute per session


def _site_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _send_verification(request, organisation: Organisation) -> bool:
    """Send the link; an unreachable mail server is logged and told, never a 500."""
    try:
        services.send_verification_email(organisation=organisation, site_url=_site_url(request))
    except Exception:  # noqa: BLE001 - SMTP, DNS, timeouts: the account is saved already
        logger.exception(
            "could not send the verification email to organisation %s", organisation.pk
        )
        messages.warning(
            request,
            _("We could not send the verification email just now. Try again from your dashboard "
              "in a few minutes."),
        )  # fmt: skip
        return False
    request.session["verification_sent_at"] = time.time()
    return True


@require_http_methods(["GET", "HEAD", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("matchmaking:dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and not throttle.allow_signup(request):
        # Not validated: the answer is the same whichever address was posted.
        form = SignupForm.refused(request.POST, throttle.SIGNUP_REFUSED_MESSAGE)
        return render(request, "matchmaking/signup.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            organisation = services.register_organisation(
                email=data["email"],
                password=data["password1"],
                name=data["name"],
                country=data["country"],
                kind=data["kind"],
                website=data["website"],
                description=data["description"],
                language=get_language(),  # emails in the language it signed up in
            )
        except services.EmailTaken:
            form.add_error("email", _("An account with this email address already exists."))
        else:
            # The first configured backend: the one that will find this user again.
            login(request, organisation.user, backend=settings.AUTHENTICATION_BACKENDS[0])
            if _send_verification(request, organisation):
                messages.success(
                    request,
                    _("Welcome! We sent a link to %(email)s to verify the address.")
                    % {"email": organisation.user.email},
                )
            return redirect(_first_interest_url(request))
    context = {"form": form, "keeps_preview": bool(InterestForm.initial_from_preview(request.GET))}
    return render(request, "matchmaking/signup.html", context)


def _first_interest_url(request) -> str:
    """The first interest's form, filled in with the match preview's choices when sign-up
    came from "Sign up to keep these" (the form posts to its own URL, query included)."""
    url = reverse("matchmaking:interest_new")
    preview = MatchPreviewForm.from_query(request.GET)
    if request.GET and preview.is_valid():
        return f"{url}?{preview.kept_choices()}"
    return url


@require_safe
def privacy(request):
    return render(request, "matchmaking/privacy.html", {"version": PRIVACY_NOTICE_VERSION})


@require_safe
def verify_email(request, token):
    try:
        organisation = services.verify_email(token)
    except signing.SignatureExpired:
        return render(request, "matchmaking/verify_failed.html", {"expired": True}, status=400)
    except signing.BadSignature:
        return render(request, "matchmaking/verify_failed.html", {"expired": False}, status=400)
    messages.success(
        request,
        _("Thank you: %(email)s is verified.") % {"email": organisation.user.email},
    )
    dashboard = reverse("matchmaking:dashboard")
    if request.user.is_authenticated:
        return redirect(dashboard)
    return redirect_to_login(dashboard)


@require_POST
@organisation_required
def resend_verification(request, organisation):
    target = safe_next(request, reverse("matchmaking:dashboard"))
    if organisation.email_verified_at:
        messages.info(request, _("Your email address is already verified."))
        return redirect(target)
    last = request.session.get("verification_sent_at", 0)
    if time.time() - last < RESEND_INTERVAL_SECONDS:
        messages.info(
            request, _("We sent a link less than a minute ago. Please check your inbox first.")
        )
        return redirect(target)
    if _send_verification(request, organisation):
        messages.success(
            request,
            _("We sent a new link to %(email)s.") % {"email": organisation.user.email},
        )
    return redirect(target)
