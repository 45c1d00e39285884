"""Settings shared by every environment. Everything configurable comes from the
environment (see README "Configuration"); defaults suit local development."""

from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    # Our apps first, so their registration/ templates win over the admin's.
    "clusters",
    "matchmaking",
    "matchmaking.events",
    "benchmarks",  # load-test data: manage.py generate_synthetic, remove_synthetic
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "config.apps.SiteConfig",  # its deployment checks (config/checks.py)
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served by the site (no CDN)
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "clusters.context_processors.managed_clusters",
            ],
        },
    },
]


# SQLite by default; PostgreSQL (or anything dj-database-url reads) by one variable.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "DATABASE_POOL", False
):
    # Django's native psycopg pool (needs persistent connections off).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DATABASE_POOL_MIN", 2),
        "max_size": env_int("DATABASE_POOL_MAX", 10),
        # A connection the pool fails to open while PostgreSQL is down is retried with a
        # doubling delay (1, 2, 4, 8 s ...) and, until given up, blocks new ones: after a
        # restart requests waited up to 30 s. Given up after 5 s, the next request opens
        # one at once.
        "reconnect_timeout": 5,
        # While PostgreSQL is down a request waits this long for a connection, then fails,
        # instead of the pool's 30 s (gunicorn kills a worker silent for 30 s).
        "timeout": 5,
    }
    # Each connection is checked (a round trip) as it leaves the pool: after a PostgreSQL
    # restart the pool still holds connections the server closed, and the requests that
    # drew them failed (8 of 20 answered 500 ten seconds after a restart; docs/RELIABILITY.md).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool(
    "DATABASE_JIT", False
):
    # PostgreSQL's JIT compiles the plan of any statement its cost estimate calls big, such
    # as a batch of suggestions stored in one statement: 50-150 ms of compiling for a
    # statement that runs in 300 ms. Short transactional statements never repay it.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the Celery worker share one file: wait for locks, don't fail.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6.0's default, adopted now

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Uploaded files (cluster logos), stored through Django's storage API. SERVE_MEDIA: the app
# serves them itself (off when a reverse proxy serves MEDIA_ROOT at MEDIA_URL).
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Everything is served from the app itself: no inline script, no third-party origin
# (django-csp sends it; the API's docs page is Swagger UI's split view, whose script is a file).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
PERMISSIONS_POLICY = "geolocation=(), camera=(), microphone=(), payment=()"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)  # sessions expire
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# A cache every process shares (login throttling): Redis when CACHE_URL says so, else a
# database table (made by `manage.py createcachetable`).
CACHE_URL = env_str("CACHE_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL.startswith(("redis://", "rediss://"))
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
            # Django culls a third of the table past MAX_ENTRIES (300 by default), which
            # would forget throttling counts under a brute-force attempt.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    )
}

# The directory's rendered results and the API list's answers, per process
# (clusters.pagecache): keyed by the version token of the cluster data (PostgreSQL), so never
# stale; at most this many entries (20-40 kB each), least recently used dropped first.
# 0: no page cache.
PAGE_CACHE_ENTRIES = env_int("PAGE_CACHE_ENTRIES", 500)
CACHES["pages"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "clusters-pages",
    "TIMEOUT": None,
    "OPTIONS": {"MAX_ENTRIES": max(PAGE_CACHE_ENTRIES, 1)},
}

AUTHENTICATION_BACKENDS = ["matchmaking.backends.EmailBackend"]
# Throttling (matchmaking.throttle), counted in the shared cache: after this many failed
# password attempts for one account within a day, every attempt is refused until the day is
# over, the right password too; sign-up forms posted per client address within an hour.
# A password reset lifts the account's lock. Failed log-ins per client address within an
# hour, whichever accounts they name; password-reset emails per client address and per
# account within an hour.
LOGIN_FAILURES_PER_DAY = env_int("LOGIN_FAILURES_PER_DAY", 20)
LOGIN_FAILURES_PER_HOUR = env_int("LOGIN_FAILURES_PER_HOUR", 30)
SIGNUPS_PER_HOUR = env_int("SIGNUPS_PER_HOUR", 20)
PASSWORD_RESETS_PER_HOUR = env_int("PASSWORD_RESETS_PER_HOUR", 5)
# Claims on cluster profiles: per person a day, and per client address an hour.
CLAIMS_PER_DAY = env_int("CLAIMS_PER_DAY", 10)
CLAIMS_PER_ADDRESS_PER_HOUR = env_int("CLAIMS_PER_ADDRESS_PER_HOUR", 20)
# Reverse proxies in front of the site that append to X-Forwarded-For (1 behind nginx): the
# client address is the entry the outermost trusted proxy added. 0: REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "matchmaking:dashboard"

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str(
    "DEFAULT_FROM_EMAIL", "EU-Mexico Cluster Matchmaking <noreply@localhost>"
)

# Celery. The embedded default uses kombu's filesystem transport: no server needed.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = VAR_DIR / "celery-queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery-processed"),
        "store_processed": False,
        # kombu keeps its exchange tables in ./control unless told otherwise.
        "control_folder": str(VAR_DIR / "celery-control"),
    }
# A message stays in Redis, unacknowledged, until its task has finished (acks_late below).
# When the worker holding it dies (SIGKILL, OOM killer, a lost host), a worker hands it out
# again once it has been unacknowledged this long. So it must exceed the longest a living
# worker holds a message: the task time limit plus the longest retry countdown
# (tests/reliability/test_idempotency.py checks it).
_visibility_timeout = env_int("CELERY_VISIBILITY_TIMEOUT", 900)
_restore_interval = max(1, _visibility_timeout // 10)
REDIS_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _visibility_timeout,
    # Look for such messages every tenth of that (kombu's default: every ~100 s), under a
    # lock that a worker killed while holding it keeps for this long, not kombu's 300 s.
    "unacked_restore_interval": _restore_interval,
    "unacked_restore_throttle": 1,
    "unacked_mutex_expire": max(5, _restore_interval),
    # Enqueueing while Redis is down fails at once (the change is saved; the sweep catches
    # up) instead of retrying for seconds inside a web request. Workers keep reconnecting
    # as CELERY_BROKER_CONNECTION_MAX_RETRIES says, not by this.
    "max_retries": 0,
    "socket_connect_timeout": 2,
}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_TRANSPORT_OPTIONS
# Every task is idempotent, so a message is acknowledged only once its task has finished,
# and put back when the worker process running it dies: no work is lost. A message that
# kills its worker every time is given up after matchmaking.tasks.MAX_DELIVERIES.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None  # a worker outlives any Redis outage
# Extra task modules a worker imports, comma-separated (the fault tests add a poison one).
CELERY_IMPORTS = env_list("CELERY_EXTRA_IMPORTS")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE = {}

DIRECTORY_PAGE_SIZE = env_int("DIRECTORY_PAGE_SIZE", 25)
API_PAGE_SIZE = env_int("API_PAGE_SIZE", 50)

# The JSON API (/api/v1/): read-only views on Django REST framework, described by an
# OpenAPI 3 schema generated from them (drf-spectacular, /api/schema/, docs at /api/docs/).
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "clusters.jsonapi.exception_handler",
    "URL_FORMAT_OVERRIDE": None,  # "format" is no query parameter of ours
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "EU–Mexico cluster matchmaking API",
    "DESCRIPTION": (
        "Read-only JSON over the directory of Mexican clusters (from the ECCP Preparatory "
        "Briefing on Mexico), a preview of the matches for an ad-hoc interest, and the "
        "logged-in organisation's own suggestions. Errors answer "
        '`{"error": message, "fields": {parameter: [messages]}}` ("fields" on 400 only).'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Log-ins, failures, lock-outs, log-outs, password resets, deleted accounts
    # (matchmaking.auth_events): user ids and client addresses, never a password.
    "loggers": {"matchmaking.auth": {"level": "INFO"}},
}

# Matching
MATCH_TOP_N = env_int("MATCH_TOP_N", 10)
MATCH_SWEEP_SECONDS = env_int("MATCH_SWEEP_SECONDS", 300)
MATCH_BATCH_SIZE = env_int("MATCH_BATCH_SIZE", 200)
# Curation: staff get a list of cluster profiles not verified for 12 months (weekly).
STALE_REMINDER_SECONDS = env_int("STALE_REMINDER_SECONDS", 60 * 60 * 24 * 7)
# Managers get a list of their own profiles not confirmed for 12 months (monthly).
MANAGER_REMINDER_SECONDS = env_int("MANAGER_REMINDER_SECONDS", 60 * 60 * 24 * 30)
CELERY_BEAT_SCHEDULE = {
    "matchmaking-sweep": {
        "task": "matchmaking.tasks.sweep",
        "schedule": MATCH_SWEEP_SECONDS,
    },
    "clusters-stale-reminder": {
        "task": "clusters.tasks.remind_stale_profiles",
        "schedule": STALE_REMINDER_SECONDS,
    },
    "clusters-manager-stale-reminder": {
        "task": "clusters.tasks.remind_managers_of_stale_profiles",
        "schedule": MANAGER_REMINDER_SECONDS,
    },
}
# The version of the privacy notice (/privacy/) that sign-ups and claims consent to.
PRIVACY_NOTICE_VERSION = "2026-11"
# A cluster's logo: PNG, JPEG or WebP, at most this many bytes.
LOGO_MAX_BYTES = env_int("LOGO_MAX_BYTES", 1024 * 1024)
EMAIL_VERIFICATION_MAX_AGE = env_int("EMAIL_VERIFICATION_MAX_AGE", 60 * 60 * 24 * 3)

# Events (matchmaking.events): the scheduler's time limit and CP-SAT workers, how long a
# meeting request waits for an answer, how often pending requests are expired.
EVENTS_SCHEDULER_SECONDS = env_int("EVENTS_SCHEDULER_SECONDS", 60)
EVENTS_SCHEDULER_WORKERS = env_int("EVENTS_SCHEDULER_WORKERS", 2)
EVENTS_REQUEST_EXPIRY_HOURS = env_int("EVENTS_REQUEST_EXPIRY_HOURS", 24 * 7)
CELERY_BEAT_SCHEDULE["events-expire-requests"] = {
    "task": "matchmaking.events.tasks.expire_requests",
    "schedule": env_int("EVENTS_EXPIRY_SWEEP_SECONDS", 600),
}
# Introductions (matchmaking.introductions): new requests an organisation (or a cluster) may
# send per 7 days; days after a decline before the same pair may be asked again; days an
# open request waits before it expires, and before its reminder; how long an emailed link
# to a request works; how often beat looks for reminders and expiries.
INTRODUCTIONS_PER_WEEK = env_int("INTRODUCTIONS_PER_WEEK", 20)
INTRODUCTION_DECLINE_COOLDOWN_DAYS = env_int("INTRODUCTION_DECLINE_COOLDOWN_DAYS", 90)
INTRODUCTION_EXPIRY_DAYS = env_int("INTRODUCTION_EXPIRY_DAYS", 14)
INTRODUCTION_REMINDER_DAYS = env_int("INTRODUCTION_REMINDER_DAYS", 7)
INTRODUCTION_LINK_MAX_AGE = env_int("INTRODUCTION_LINK_MAX_AGE", 60 * 60 * 24 * 30)
INTRODUCTION_SWEEP_SECONDS = env_int("INTRODUCTION_SWEEP_SECONDS", 60 * 60)
CELERY_BEAT_SCHEDULE["introductions-sweep"] = {
    "task": "matchmaking.tasks.sweep_introductions",
    "schedule": INTRODUCTION_SWEEP_SECONDS,
}
