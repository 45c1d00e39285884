"""Deployment checks (``manage.py check --deploy``): the services production needs answer.

Without them a deployment looks healthy and is not: with no cache table every matching task
fails and log-in throttling is silently off; with the embedded broker nothing reaches the
workers of another host.
"""

from django.conf import settings
from django.core.cache import caches
from django.core.checks import Error, Tags, register

PROBE_KEY = "site-config:deploy-check"


@register(Tags.caches, deploy=True)
def check_caches_answer(app_configs=None, **kwargs):
    """Every configured cache stores and returns a value (its server answers, its table
    exists)."""
    errors = []
    for alias in settings.CACHES:
        cache = caches[alias]
        try:
            cache.set(PROBE_KEY, "ok", 30)
            answered = cache.get(PROBE_KEY) == "ok"
            cache.delete(PROBE_KEY)
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            answered, reason = False, f"{type(exc).__name__}: {exc}".strip()
        else:
            reason = "a value stored in it could not be read back"
        if not answered:
            errors.append(
                Error(
                    f"The cache {alias!r} does not work ({reason[:300]}).",
                    hint=(
                        "Set CACHE_URL to a Redis database (redis://host:6379/1), or create "
                        "the cache table with `python manage.py createcachetable`. Without "
                        "it matching tasks fail and log-in throttling is off."
                    ),
                    id="site_config.E001",
                )
            )
    return errors


@register(deploy=True)
def check_broker_is_a_server(app_configs=None, **kwargs):
    """Production needs a broker every host reaches: not unset, not the embedded one."""
    url = settings.CELERY_BROKER_URL or ""
    if url and not url.startswith("filesystem://"):
        return _broker_answers(url)
    return [
        Error(
            "CELERY_BROKER_URL is not set: tasks would go to the embedded filesystem broker, "
            "which no worker on another host (or in another container) reads.",
            hint="Set CELERY_BROKER_URL=redis://host:6379/0.",
            id="site_config.E002",
        )
    ]


def _broker_answers(url: str) -> list[Error]:
    from config.celery import app

    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=5)
    except Exception as exc:  # noqa: BLE001 - any failure is the finding
        return [
            Error(
                f"The Celery broker does not answer ({type(exc).__name__}: {exc}).",
                hint="Start Redis, or correct CELERY_BROKER_URL.",
                id="site_config.E003",
            )
        ]
    return []
