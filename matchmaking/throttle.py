"""Login attempts per account and sign-ups per client address, counted in the shared cache.

A limit of N attempts per window is kept as N *slots*: the cache keys ``<kind>:<hash>:1..N``,
each added (``cache.add``, atomic in every backend: a unique row in the database cache,
``SET NX`` in Redis) with the window as its timeout. An attempt takes the first free slot;
when all N are taken, the limit is reached, until the oldest slot expires. So the window
slides, concurrent attempts never share a count, and every process sees the same count.
Keys hold a hash, never an email address or an IP address.

A cache that cannot be reached lets the attempt through (logged): throttling is a defence
against guessing, not a reason to refuse every log-in while Redis restarts.
"""

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger("matchmaking.auth")

DAY = 60 * 60 * 24
HOUR = 60 * 60

LOGIN_LOCKED_MESSAGE = _(
    "Too many failed log-in attempts for this account today, so we refuse to log it in for "
    "now, even with the right password. Try again tomorrow, or reset your password by email."
)
SIGNUP_REFUSED_MESSAGE = _(
    "Too many sign-ups from your network in the last hour. Please try again in an hour."
)


def _slots(kind: str, subject: str, limit: int) -> list[str]:
    digest = hashlib.sha256(f"{kind}:{subject}".encode()).hexdigest()[:40]
    return [f"throttle:{kind}:{digest}:{slot}" for slot in range(1, limit + 1)]


def _taken(keys: list[str]) -> set[str]:
    return set(cache.get_many(keys))


def _take(keys: list[str], *, window: int) -> bool:
    """Take a free slot; False when every slot is taken."""
    taken = _taken(keys)
    return any(key not in taken and cache.add(key, 1, window) for key in keys)


def _cache_failed(action: str) -> None:
    logger.error("throttle: the cache is unreachable (%s); letting the attempt through", action)


# --- Log-in, per account -------------------------------------------------------------------


def login_locked(username: str) -> bool:
    """True when ``username`` already failed ``LOGIN_FAILURES_PER_DAY`` times in 24 hours."""
    keys = _slots("login", username, settings.LOGIN_FAILURES_PER_DAY)
    if not keys:  # a limit of 0: no throttling
        return False
    try:
        return len(_taken(keys)) >= len(keys)
    except Exception:  # noqa: BLE001 - any cache failure: fail open, logged
        _cache_failed("login check")
        return False


def record_login_failure(username: str) -> None:
    keys = _slots("login", username, settings.LOGIN_FAILURES_PER_DAY)
    try:
        _take(keys, window=DAY)
    except Exception:  # noqa: BLE001 - any cache failure: fail open, logged
        _cache_failed("login failure")


# --- Sign-up, per client address -----------------------------------------------------------


def client_address(request) -> str:
    """The client's IP address: REMOTE_ADDR, or behind ``TRUSTED_PROXY_COUNT`` reverse proxies
    the X-Forwarded-For entry the outermost of them added (those left of it can be forged)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            address.strip()
            for address in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if address.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def allow_signup(request) -> bool:
    """Count a posted sign-up form for the client's address; False past ``SIGNUPS_PER_HOUR``."""
    address = client_address(request)
    keys = _slots("signup", address, settings.SIGNUPS_PER_HOUR)
    if not keys:  # a limit of 0: no throttling
        return True
    try:
        allowed = _take(keys, window=HOUR)
    except Exception:  # noqa: BLE001 - any cache failure: fail open, logged
        _cache_failed("sign-up")
        return True
    if not allowed:
        logger.warning("sign-up refused: too many from address %s this hour", address)
    return allowed
