"""Settings for ``python -m benchmarks``: production's, served over plain HTTP on 127.0.0.1.

The runner sets DATABASE_URL (its own benchmark database), CELERY_BROKER_URL and CACHE_URL
(its own Redis), STATIC_ROOT and SECRET_KEY before anything imports this module.
"""

import os

os.environ.setdefault("SECRET_KEY", "benchmarks-only-" + "x" * 40)

from config.settings.production import *  # noqa: E402, F403

# No TLS in front of gunicorn here: plain HTTP on the loopback interface only.
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "benchmarks.urls"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
