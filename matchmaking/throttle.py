"""Login attempts per account and sign-ups per client address, counted in the shared cache.

The counting (slots in the shared cache, failing open) is ``config.throttle``'s.
"""

import logging

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from config.throttle import DAY, HOUR, allow, cache_failed, client_address, slots, take, taken

logger = logging.getLogger("matchmaking.auth")

LOGIN_LOCKED_MESSAGE = _(
    "Too many failed log-in attempts for this account today, so we refuse to log it in for "
    "now, even with the right password. Try again tomorrow, or reset your password by email."
)
SIGNUP_REFUSED_MESSAGE = _(
    "Too many sign-ups from your network in the last hour. Please try again in an hour."
)


# --- Log-in, per account -------------------------------------------------------------------


def login_locked(username: str) -> bool:
    """True when ``username`` already failed ``LOGIN_FAILURES_PER_DAY`` times in 24 hours."""
    keys = slots("login", username, settings.LOGIN_FAILURES_PER_DAY)
    if not keys:  # a limit of 0: no throttling
        return False
    try:
        return len(taken(keys)) >= len(keys)
    except Exception:  # noqa: BLE001 - any cache failure: fail open, logged
        cache_failed("login check")
        return False


def record_login_failure(username: str) -> None:
    keys = slots("login", username, settings.LOGIN_FAILURES_PER_DAY)
    try:
        take(keys, window=DAY)
    except Exception:  # noqa: BLE001 - any cache failure: fail open, logged
        cache_failed("login failure")


# --- Sign-up, per client address -----------------------------------------------------------


def allow_signup(request) -> bool:
    """Count a posted sign-up form for the client's address; False past ``SIGNUPS_PER_HOUR``."""
    address = client_address(request)
    allowed = allow("signup", address, limit=settings.SIGNUPS_PER_HOUR, window=HOUR)
    if not allowed:
        logger.warning("sign-up refused: too many from address %s this hour", address)
    return allowed
