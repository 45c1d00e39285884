"""Log-in throttled per account (the 21st attempt after 20 failures within a day is refused,
even with the right password) and sign-up per client address (20 an hour), counted in the
shared cache; a cache that is down lets people in rather than failing the request."""

import threading

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from matchmaking import throttle
from matchmaking.models import Organisation
from tests.matchmaking.factories import PASSWORD, make_organisation, make_user

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed log-in attempts for this account"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def log_in(client, email, password, **extra):
    return client.post(reverse("login"), {"username": email, "password": password}, **extra)


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_21st_attempt_for_an_account_is_refused_even_with_the_right_password(
    client, caplog, record
):
    user = make_user("target@example.eu")
    other = make_user("bystander@example.eu")
    limit = django_settings.LOGIN_FAILURES_PER_DAY
    assert limit == 20

    for attempt in range(limit):
        response = log_in(client, "Target@Example.eu", f"wrong-{attempt}")
        assert response.status_code == 200
        assert LOCKED not in response.text
    response = log_in(client, "target@example.eu", PASSWORD)  # the 21st, the right password

    assert response.status_code == 200
    assert LOCKED in response.text  # said clearly, not "wrong password"
    assert not is_logged_in(client)
    assert "login refused, account locked" in caplog.text
    assert f"user={user.pk}" in caplog.text
    # Other accounts are not affected.
    assert log_in(client, other.email, PASSWORD).status_code == 302
    record(
        failures_allowed=limit,
        attempt_refused=limit + 1,
        refused_with_right_password=True,
        other_account_logged_in=True,
    )


def test_the_admin_log_in_is_throttled_too(client):
    make_user("staff@example.eu", is_staff=True)
    for _ in range(django_settings.LOGIN_FAILURES_PER_DAY):
        client.post(reverse("admin:login"), {"username": "staff@example.eu", "password": "x"})
    response = client.post(
        reverse("admin:login"), {"username": "staff@example.eu", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert LOCKED in response.text
    assert not is_logged_in(client)


def test_the_lock_ends_when_the_window_has_passed(client, settings, monkeypatch):
    settings.LOGIN_FAILURES_PER_DAY = 3
    make_user("window@example.eu")
    for _ in range(3):
        log_in(client, "window@example.eu", "wrong")
    assert throttle.login_locked("window@example.eu")
    # Each failure is a cache entry that expires a day after it was made.
    for key in throttle._slots("login", "window@example.eu", 3):
        cache.delete(key)  # what a day's wait does
    assert log_in(client, "window@example.eu", PASSWORD).status_code == 302


def test_failure_counts_expire_after_a_day():
    throttle.record_login_failure("expiry@example.eu")
    [key] = [k for k in throttle._slots("login", "expiry@example.eu", 20) if cache.get(k)]
    with connection.cursor() as cursor:  # the database cache: one row per key, with expiry
        cursor.execute(
            "SELECT expires - now() FROM django_cache WHERE cache_key LIKE %s", [f"%{key}"]
        )
        [(remaining,)] = cursor.fetchall()
    assert 86000 < remaining.total_seconds() <= 86400


def test_concurrent_failures_are_all_counted(transactional_db, settings):
    """Guesses sent in parallel cannot slip past the limit by racing on one counter."""
    settings.LOGIN_FAILURES_PER_DAY = 20
    cache.clear()
    errors = []

    def fail():
        try:
            for _ in range(5):
                throttle.record_login_failure("parallel@example.eu")
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=fail) for _ in range(8)]  # 40 failures at once
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    taken = cache.get_many(throttle._slots("login", "parallel@example.eu", 20))
    assert len(taken) == 20
    assert throttle.login_locked("parallel@example.eu")
    cache.clear()


def signup(client, number, **extra):
    return client.post(
        reverse("matchmaking:signup"),
        {
            "email": f"signup{number}@example.eu",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "name": f"Organisation {number}",
            "country": "DE",
            "kind": "sme",
            "consent": "on",
        },
        **extra,
    )


def test_the_21st_signup_from_one_address_in_an_hour_is_refused(client, record):
    statuses = []
    for number in range(21):
        client.logout()
        statuses.append(signup(client, number, REMOTE_ADDR="127.0.0.9").status_code)
    assert statuses == [302] * 20 + [429]
    client.logout()
    refused = signup(client, 99, REMOTE_ADDR="127.0.0.9")
    assert "Too many sign-ups from your network" in refused.text
    assert not Organisation.objects.filter(name="Organisation 99").exists()
    assert signup(client, 100, REMOTE_ADDR="127.0.0.10").status_code == 302  # another address
    record(signups_allowed_per_hour=20, attempt_refused=21, status_of_refusal=429)


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.SIGNUPS_PER_HOUR = 2
    for number in range(2):
        client.logout()
        # A client cannot escape by forging the part of the header before the proxy's entry.
        forged = f"198.51.100.{number}, 127.0.0.7"
        assert signup(client, number, HTTP_X_FORWARDED_FOR=forged).status_code == 302
    client.logout()
    assert signup(client, 3, HTTP_X_FORWARDED_FOR="127.0.0.7").status_code == 429
    client.logout()
    assert signup(client, 4, HTTP_X_FORWARDED_FOR="127.0.0.8").status_code == 302


def test_a_cache_that_is_down_lets_log_ins_and_signups_through(client, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens on the discard port
        }
    }
    make_user("cacheless@example.eu")
    assert log_in(client, "cacheless@example.eu", "wrong").status_code == 200
    assert log_in(client, "cacheless@example.eu", PASSWORD).status_code == 302
    client.logout()
    assert signup(client, 1).status_code == 302
    assert "throttle: the cache is unreachable" in caplog.text


def test_session_is_renewed_on_log_in(client):
    make_user("renew@example.eu")
    session = client.session
    session["before"] = "login"
    session.save()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = session.session_key
    before = session.session_key

    assert log_in(client, "renew@example.eu", PASSWORD).status_code == 302

    after = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert after != before  # a fixed session id cannot be carried into the account
    assert not type(session)().exists(before)
    assert client.session["before"] == "login"  # its data carried over


def test_admin_is_for_staff_only(client):
    organisation = make_organisation()
    client.force_login(organisation.user)
    for url in (reverse("admin:index"), reverse("matchmaking:introductions_csv")):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
    staff = make_user("curator@example.eu", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("matchmaking:introductions_csv")).status_code == 200
