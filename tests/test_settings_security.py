"""Production settings are safe by default; every response carries the security headers."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int
from tests.loopback import free_port

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    environment |= {"DJANGO_SETTINGS_MODULE": "config.settings.production", **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def check_deploy(**env):
    """``check --deploy`` with production settings, the test session's Redis as its cache
    and broker unless ``env`` says otherwise."""
    defaults = {
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "matchmaking.example.org",
        "CACHE_URL": os.environ.get("REDIS_URL", os.environ["CELERY_BROKER_URL"]),
        "CELERY_BROKER_URL": os.environ["CELERY_BROKER_URL"],
    }
    return run_manage("check", "--deploy", "--fail-level", "WARNING", **(defaults | env))


def test_check_deploy_passes_with_production_settings():
    result = check_deploy()
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_without_the_cache_table():
    """The README's production steps once left it out: every matching task failed and log-in
    throttling was off, while ``check --deploy`` said nothing."""
    server = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    result = check_deploy(CACHE_URL="", DATABASE_URL=f"{server}/postgres")  # no django_cache
    assert result.returncode != 0
    assert "site_config.E001" in result.stderr
    assert 'relation "django_cache" does not exist' in result.stderr
    assert "createcachetable" in result.stderr


def test_check_deploy_fails_when_the_cache_does_not_answer():
    result = check_deploy(CACHE_URL=f"redis://127.0.0.1:{free_port()}/1")
    assert result.returncode != 0
    assert "site_config.E001" in result.stderr


@pytest.mark.parametrize("broker", [None, "", "filesystem://"])
def test_check_deploy_fails_without_a_broker_server(broker):
    env = {"CELERY_BROKER_URL": broker} if broker is not None else {}
    environment = {k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env=environment | {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "CACHE_URL": os.environ.get("REDIS_URL", os.environ["CELERY_BROKER_URL"]),
            **env,
        },
    )  # fmt: skip
    assert result.returncode != 0
    assert "site_config.E002" in result.stderr
    assert "CELERY_BROKER_URL is not set" in result.stderr


def test_check_deploy_fails_when_the_broker_does_not_answer():
    result = check_deploy(CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0")
    assert result.returncode != 0
    assert "site_config.E003" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_malformed_boolean_setting_is_refused(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG must be a boolean"):
        env_bool("SOME_FLAG")
    monkeypatch.setenv("SOME_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER must be an integer"):
        env_int("SOME_NUMBER", 1)


def test_security_headers_on_every_page(client, db):
    response = client.get("/admin/login/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_hsts_over_https(client, db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get("/admin/login/", secure=True)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_sessions_expire():
    assert settings.SESSION_COOKIE_AGE <= 60 * 60 * 24
    assert settings.SESSION_COOKIE_HTTPONLY
