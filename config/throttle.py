"""Counting attempts in the shared cache: the mechanism behind every throttle of the site.

A limit of N attempts per window is kept as N *slots*: the cache keys ``<kind>:<hash>:1..N``,
each added (``cache.add``, atomic in every backend: a unique row in the database cache,
``SET NX`` in Redis) with the window as its timeout. An attempt takes the first free slot;
when all N are taken, the limit is reached, until the oldest slot expires. So the window
slides, concurrent attempts never share a count, and every process sees the same count.
Keys hold a hash, never an email address or an IP address.

A cache that cannot be reached lets the attempt through (logged): throttling is a defence
against abuse, not a reason to refuse every request while Redis restarts. Used by
``matchmaking.throttle`` (log-ins, sign-ups) and ``clusters.claims`` (claims).
"""

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger("matchmaking.auth")

DAY = 60 * 60 * 24
HOUR = 60 * 60


def slots(kind: str, subject: str, limit: int) -> list[str]:
    digest = hashlib.sha256(f"{kind}:{subject}".encode()).hexdigest()[:40]
    return [f"throttle:{kind}:{digest}:{slot}" for slot in range(1, limit + 1)]


def taken(keys: list[str]) -> set[str]:
    return set(cache.get_many(keys))


def take(keys: list[str], *, window: int) -> bool:
    """Take a free slot; False when every slot is taken."""
    already = taken(keys)
    return any(key not in already and cache.add(key, 1, window) for key in keys)


def cache_failed(action: str) -> None:
    logger.error("throttle: the cache is unreachable (%s); letting the attempt through", action)


def allow(kind: str, subject: str, *, limit: int, window: int) -> bool:
    """Count one attempt of ``kind`` by ``subject``; False past ``limit`` within ``window``
    seconds. A limit of 0 means no throttling; a cache failure lets it through (logged)."""
    keys = slots(kind, subject, limit)
    if not keys:
        return True
    try:
        return take(keys, window=window)
    except Exception:  # noqa: BLE001 - any cache failure: fail open, logged
        cache_failed(kind)
        return True


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
