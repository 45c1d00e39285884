"""The directory's rendered pages and the API's list answers, cached per process.

What the directory list (and ``/api/clusters/``) shows depends only on the published cluster
data, the request's absolute URL (path, query string, host and scheme: the page's links and
the API's ``next``/``previous`` are built from them), the active language and the page size.
On PostgreSQL, triggers move a version token with every committed write to any table that
data is read from (clusters, their sectors, labels and other names, sectors, states:
``clusters.data_version``). The token is part of every key, so an entry can never be
served once anything it shows has changed: the next request reads the new token and misses.
The token is read (once per request) *before* the data, so an entry holds data at least as
new as its token.

Two levels for the directory (``clusters.views.directory.cluster_list``):

- its results, filter form and pagination, the same for every visitor (no CSRF token, user
  or message in them), around which the page is rendered for each visitor;
- the whole page, for visitors to whom it is the same: anonymous, with no message waiting.
  Its only per-visitor part, the CSRF token of the language form, is cached as a random
  placeholder (``CSRF_HOLE``, new in each process) that each response fills in with the
  visitor's own token. A logged-in visitor never gets a cached page (only the results).

The cache is ``caches["pages"]``, a bounded per-process LocMemCache (``PAGE_CACHE_ENTRIES``;
least recently used entries go first): a restart (a deploy: new code, templates or
translations) empties it, and entries for old tokens are never read again and age out.
Without a token (SQLite) or with ``PAGE_CACHE_ENTRIES=0``, nothing is cached.
"""

import secrets
from collections.abc import Callable
from hashlib import blake2b
from typing import TypeVar

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.middleware.csrf import get_token
from django.utils.translation import get_language

from clusters import data_version

T = TypeVar("T")

CACHE_ALIAS = "pages"
# Stands for the visitor's CSRF token in a cached page: letters and digits (HTML-escaping
# leaves it alone), unguessable, so no query string can plant it in a page.
CSRF_HOLE = f"csrfhole{secrets.token_hex(16)}"


def clusters_token(request) -> int | None:
    """The version token of the published cluster data (read once per request), or None
    where there is none or the page cache is off."""
    if not settings.PAGE_CACHE_ENTRIES:
        return None
    if not hasattr(request, "_clusters_token"):
        request._clusters_token = data_version.current()
    return request._clusters_token


def same_for_every_visitor(request) -> bool:
    """Whether a page around the directory is the same for this visitor as for any other
    but for its CSRF token: anonymous (no nav of their own), with no message waiting."""
    return not request.user.is_authenticated and len(get_messages(request)) == 0


def fill_holes(html: str, request) -> str:
    """A page cached with ``CSRF_HOLE``, with this visitor's CSRF token in its place (which
    also sets their CSRF cookie, as ``{% csrf_token %}`` does)."""
    return html.replace(CSRF_HOLE, get_token(request)) if CSRF_HOLE in html else html


def cached(request, part: str, build: Callable[[], T]) -> T:
    """``build()`` for this request's ``part``, from the page cache when the cluster data
    has not changed since it was built, else built now (and kept if there is a token)."""
    token = clusters_token(request)
    if token is None:
        return build()
    url = request.build_absolute_uri()
    # Hashed: a long query string makes no long key.
    digest = blake2b(url.encode(), digest_size=16).hexdigest()
    key = f"{part}:{token}:{get_language()}:{settings.DIRECTORY_PAGE_SIZE}:"
    key += f"{settings.API_PAGE_SIZE}:{digest}"
    cache = caches[CACHE_ALIAS]
    found = cache.get(key)
    if found is None:
        found = build()
        cache.set(key, found, timeout=None)
    return found
