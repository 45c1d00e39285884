"""Authentication events, logged to the "matchmaking.auth" logger: log-in succeeded, failed or
refused (account locked), log-out, password reset requested, account deleted.

Each line names the user by id and the client address, never a password: Django hands
``user_login_failed`` credentials with the password already masked, and we log none of
them; an attempt for an address with no account logs a short hash of it, so that repeated
attempts can be told apart without the address itself being logged.
"""

import hashlib
import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm

logger = logging.getLogger("matchmaking.auth")


def _address(request) -> str:
    if request is None:
        return "-"
    from matchmaking.throttle import client_address

    return client_address(request) or "-"


def _account(username: str | None) -> str:
    """``user=<id>`` for an existing account, else ``unknown=<hash>``."""
    username = (username or "").strip().lower()
    pk = (
        get_user_model().objects.filter(username=username).values_list("pk", flat=True).first()
        if username
        else None
    )
    if pk is not None:
        return f"user={pk}"
    return "unknown=" + hashlib.sha256(username.encode()).hexdigest()[:12]


def logged_in(sender, request, user, **kwargs):
    logger.info("login succeeded user=%s address=%s", user.pk, _address(request))


def login_failed(sender, credentials, request=None, **kwargs):
    logger.warning(
        "login failed %s address=%s", _account(credentials.get("username")), _address(request)
    )


def logged_out(sender, request, user, **kwargs):
    logger.info("logout user=%s address=%s", getattr(user, "pk", None), _address(request))


def log_lockout(request, username: str, *, why: str = "account") -> None:
    logger.warning(
        "login refused, %s locked (too many failures) %s address=%s",
        why,
        _account(username),
        _address(request),
    )


def account_deleted(sender, instance, **kwargs):
    logger.info("account deleted user=%s", instance.pk)


class LoggedPasswordResetForm(PasswordResetForm):
    """Django's password-reset form, logging each request and sending no email past the
    limits per client address and per account (the page says the same either way)."""

    def save(self, *args, request=None, **kwargs):
        from matchmaking import throttle

        email = self.cleaned_data["email"]
        if not throttle.allow_password_reset(request, email):
            return None
        users = [user.pk for user in self.get_users(email)]
        if users:
            for pk in users:
                logger.info("password reset requested user=%s address=%s", pk, _address(request))
        else:
            logger.info(
                "password reset requested %s address=%s", _account(email), _address(request)
            )
        return super().save(*args, request=request, **kwargs)


class UnlockingSetPasswordForm(SetPasswordForm):
    """Django's form for the new password of a reset: saving it lifts the account's log-in
    lock, as the lock message promises (the owner proved they hold the mailbox)."""

    def save(self, commit=True):
        from matchmaking import throttle

        user = super().save(commit=commit)
        throttle.clear_login_failures(user.get_username())
        logger.info("password reset completed user=%s, log-in lock lifted", user.pk)
        return user
