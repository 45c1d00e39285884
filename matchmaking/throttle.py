"""Failed log-ins per account and per client address, sign-ups per address, password-reset
emails per address and per account. The counting (slots in the shared cache, failing open)
is ``config.throttle``'s.

Why our own rather than django-axes: axes locks by account, by address or by both, but not
by each of them separately with different windows; its lock is not lifted by a password
reset (the lock message tells the owner to reset); and it adds a middleware, a backend and
a table of attempts. Each rule below is a few lines, and the tests prove them
(tests/reliability/test_throttle.py).
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from config.throttle import DAY, HOUR, allow, cache_failed, client_address, slots, take, taken

logger = logging.getLogger("matchmaking.auth")

__all__ = ["client_address"]  # re-exported: the views name the client by it

LOGIN_LOCKED_MESSAGE = _(
    "Too many failed log-in attempts for this account today, so we refuse to log it in for "
    "now, even with the right password. Try again tomorrow, or reset your password by email."
)
ADDRESS_LOCKED_MESSAGE = _(
    "Too many failed log-in attempts from your network in the last hour. Please try again "
    "in an hour."
)
SIGNUP_REFUSED_MESSAGE = _(
    "Too many sign-ups from your network in the last hour. Please try again in an hour."
)


# --- Log-in, per account and per client address -------------------------------------------


def _all_taken(keys: list[str], action: str) -> bool:
    if not keys:  # a limit of 0: no throttling
        return False
    try:
        return len(taken(keys)) >= len(keys)
    except Exception:  # noqa: BLE001 - any cache failure: fail open, logged
        cache_failed(action)
        return False


def _account_slots(username: str) -> list[str]:
    return slots("login", username, settings.LOGIN_FAILURES_PER_DAY)


def _address_slots(request) -> list[str]:
    if request is None:  # authenticate() called outside a request
        return []
    return slots("login-address", client_address(request), settings.LOGIN_FAILURES_PER_HOUR)


def login_locked(username: str) -> bool:
    """True when ``username`` already failed ``LOGIN_FAILURES_PER_DAY`` times in 24 hours."""
    return _all_taken(_account_slots(username), "login check")


def address_locked(request) -> bool:
    """True when the client's address failed ``LOGIN_FAILURES_PER_HOUR`` log-ins in an hour,
    whichever accounts it tried."""
    return _all_taken(_address_slots(request), "login address check")


def record_login_failure(username: str, request=None) -> None:
    try:
        take(_account_slots(username), window=DAY)
        take(_address_slots(request), window=HOUR)
    except Exception:  # noqa: BLE001 - any cache failure: fail open, logged
        cache_failed("login failure")


def clear_login_failures(username: str) -> None:
    """Lift the account's lock: its owner proved they hold the mailbox (a password reset)."""
    try:
        cache.delete_many(_account_slots(username))
    except Exception:  # noqa: BLE001 - any cache failure: fail open, logged
        cache_failed("login unlock")


# --- Sign-ups and password-reset emails, per hour ------------------------------------------


def _allow_each(request, kind: str, subjects: list[str], limit: int) -> bool:
    """Count one more for each subject; False (logged) when any of them is past ``limit``
    this hour."""
    for subject in subjects:
        if not allow(kind, subject, limit=limit, window=HOUR):
            logger.warning(
                "%s refused: too many this hour from address %s",
                kind,
                client_address(request) or "-",
            )
            return False
    return True


def allow_signup(request) -> bool:
    """Count a posted sign-up form for the client's address; False past ``SIGNUPS_PER_HOUR``."""
    return _allow_each(request, "sign-up", [client_address(request)], settings.SIGNUPS_PER_HOUR)


def allow_password_reset(request, email: str) -> bool:
    """Count a password-reset email for the client's address and for the address it goes to;
    False past ``PASSWORD_RESETS_PER_HOUR`` for either."""
    subjects = [f"address:{client_address(request)}", f"account:{email.strip().lower()}"]
    return _allow_each(request, "password-reset", subjects, settings.PASSWORD_RESETS_PER_HOUR)
