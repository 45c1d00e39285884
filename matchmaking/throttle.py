"""Failed log-ins per account and per client address, sign-ups per address, password-reset
emails per address and per account, counted in the shared cache.

Why our own rather than django-axes: axes locks by account, by address or by both, but not
by each of them separately with different windows; its lock is not lifted by a password
reset (the lock message tells the owner to reset); and it adds a middleware, a backend and
a table of attempts. The slots below hold each rule in a few lines, and the tests prove
them (tests/reliability/test_throttle.py).

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
ADDRESS_LOCKED_MESSAGE = _(
    "Too many failed log-in attempts from your network in the last hour. Please try again "
    "in an hour."
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


# --- Log-in, per account and per client address -------------------------------------------


def _all_taken(keys: list[str], action: str) -> bool:
    if not keys:  # a limit of 0: no throttling
        return False
    try:
        return len(_taken(keys)) >= len(keys)
    except Exception:  # noqa: BLE001 - any cache failure: fail open, logged
        _cache_failed(action)
        return False


def _account_slots(username: str) -> list[str]:
    return _slots("login", username, settings.LOGIN_FAILURES_PER_DAY)


def _address_slots(request) -> list[str]:
    if request is None:  # authenticate() called outside a request
        return []
    return _slots("login-address", client_address(request), settings.LOGIN_FAILURES_PER_HOUR)


def login_locked(username: str) -> bool:
    """True when ``username`` already failed ``LOGIN_FAILURES_PER_DAY`` times in 24 hours."""
    return _all_taken(_account_slots(username), "login check")


def address_locked(request) -> bool:
    """True when the client's address failed ``LOGIN_FAILURES_PER_HOUR`` log-ins in an hour,
    whichever accounts it tried."""
    return _all_taken(_address_slots(request), "login address check")


def record_login_failure(username: str, request=None) -> None:
    try:
        _take(_account_slots(username), window=DAY)
        _take(_address_slots(request), window=HOUR)
    except Exception:  # noqa: BLE001 - any cache failure: fail open, logged
        _cache_failed("login failure")


def clear_login_failures(username: str) -> None:
    """Lift the account's lock: its owner proved they hold the mailbox (a password reset)."""
    try:
        cache.delete_many(_account_slots(username))
    except Exception:  # noqa: BLE001 - any cache failure: fail open, logged
        _cache_failed("login unlock")


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


def _allow(request, kind: str, subjects: list[str], limit: int) -> bool:
    """Count one more for each subject; False (logged) when any of them is past ``limit``
    this hour."""
    for subject in subjects:
        keys = _slots(kind, subject, limit)
        if not keys:  # a limit of 0: no throttling
            continue
        try:
            allowed = _take(keys, window=HOUR)
        except Exception:  # noqa: BLE001 - any cache failure: fail open, logged
            _cache_failed(kind)
            return True
        if not allowed:
            logger.warning(
                "%s refused: too many this hour from address %s",
                kind,
                client_address(request) or "-",
            )
            return False
    return True


def allow_signup(request) -> bool:
    """Count a posted sign-up form for the client's address; False past ``SIGNUPS_PER_HOUR``."""
    return _allow(request, "sign-up", [client_address(request)], settings.SIGNUPS_PER_HOUR)


def allow_password_reset(request, email: str) -> bool:
    """Count a password-reset email for the client's address and for the address it goes to;
    False past ``PASSWORD_RESETS_PER_HOUR`` for either."""
    subjects = [f"address:{client_address(request)}", f"account:{email.strip().lower()}"]
    return _allow(request, "password-reset", subjects, settings.PASSWORD_RESETS_PER_HOUR)
