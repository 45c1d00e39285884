"""Log-in throttled per account (the 21st attempt after 20 failures within a day is refused,
even with the right password) and sign-up per client address (20 an hour), counted in the
shared cache; a cache that is down lets people in rather than failing the request."""

import re
import threading

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from matchmaking import throttle
from matchmaking.models import Organisation
from tests.factories import PASSWORD, make_organisation, make_user

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
    for key in throttle.slots("login", "window@example.eu", 3):
        cache.delete(key)  # what a day's wait does
    assert log_in(client, "window@example.eu", PASSWORD).status_code == 302


def test_failure_counts_expire_after_a_day():
    throttle.record_login_failure("expiry@example.eu")
    [key] = [k for k in throttle.slots("login", "expiry@example.eu", 20) if cache.get(k)]
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
    taken = cache.get_many(throttle.slots("login", "parallel@example.eu", 20))
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


# --- The probe's findings (issue 13) --------------------------------------------------------


def test_a_throttled_signup_says_nothing_about_the_address(client, settings, record):
    """Before: past the limit the form was still validated, and "An account with this email
    address already exists" told which addresses have accounts (10/10 against 0/10)."""
    settings.SIGNUPS_PER_HOUR = 1
    make_user("member@example.eu")
    client.logout()
    assert signup(client, 1, REMOTE_ADDR="127.0.0.21").status_code == 302
    answers = {}
    for email in ("member@example.eu", "nobody@example.eu"):
        client.logout()
        response = client.post(
            reverse("matchmaking:signup"),
            {"email": email, "password1": "x", "password2": "y", "name": "", "consent": ""},
            REMOTE_ADDR="127.0.0.21",
        )
        assert response.status_code == 429
        assert "already exists" not in response.text
        answers[email] = response.context["form"].errors
    assert answers["member@example.eu"] == answers["nobody@example.eu"]
    assert list(answers["member@example.eu"]) == ["__all__"]  # only the refusal, no field
    record(throttled_answers_alike=True, field_errors_shown=0)


def test_one_address_is_refused_after_its_failed_log_ins_whichever_accounts(
    client, settings, record
):
    """Before: only accounts were counted, so one address could try any number of them."""
    settings.LOGIN_FAILURES_PER_HOUR = 5
    make_user("real@example.eu")
    answered = 0
    for number in range(12):
        response = log_in(client, f"guess{number}@example.eu", "x", REMOTE_ADDR="127.0.0.31")
        if "from your network" in response.text:
            break
        answered += 1
    assert answered == 5
    # Refused from that address even for an account with the right password ...
    refused = log_in(client, "real@example.eu", PASSWORD, REMOTE_ADDR="127.0.0.31")
    assert "from your network" in refused.text
    assert not is_logged_in(client)
    # ... and the account itself is not locked: from elsewhere it logs in.
    assert log_in(client, "real@example.eu", PASSWORD, REMOTE_ADDR="127.0.0.32").status_code == 302
    record(failed_log_ins_answered_per_address=answered, limit=5)


def reset_password(client, email: str, new_password: str, **extra):
    """Ask for a reset and follow the link in the email to set ``new_password``."""
    mail.outbox.clear()
    response = client.post(reverse("password_reset"), {"email": email}, **extra)
    assert response.status_code == 302
    [message] = mail.outbox
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", message.body)[1]
    form_page = client.get(link)
    assert form_page.status_code == 302
    response = client.post(
        form_page.url, {"new_password1": new_password, "new_password2": new_password}
    )
    assert response.status_code == 302


def test_a_password_reset_lifts_the_lock(client, settings, record):
    """Before: the lock message told the owner to reset the password, but the reset left the
    account locked for the rest of the 24 hours (anyone could lock anyone, staff too)."""
    settings.LOGIN_FAILURES_PER_DAY = 3
    make_user("locked@example.eu", is_staff=True)
    for _ in range(3):
        log_in(client, "locked@example.eu", "wrong", REMOTE_ADDR="127.0.0.41")
    assert LOCKED in log_in(client, "locked@example.eu", PASSWORD).text

    reset_password(client, "locked@example.eu", "a new and long passphrase 9")

    assert not throttle.login_locked("locked@example.eu")
    assert log_in(client, "locked@example.eu", "a new and long passphrase 9").status_code == 302
    record(locked_after=3, lock_lifted_by_password_reset=True)


def test_password_reset_emails_are_limited_per_address_and_per_account(
    client, settings, caplog, record
):
    """Before: 10 requests, 10 emails in a second. The page answers the same either way."""
    settings.PASSWORD_RESETS_PER_HOUR = 3
    for number in range(6):
        make_user(f"reset{number}@example.eu")
    mail.outbox.clear()
    answers = set()
    for number in range(10):  # one account, from ten addresses
        response = client.post(
            reverse("password_reset"),
            {"email": "reset0@example.eu"},
            REMOTE_ADDR=f"127.0.1.{number}",
        )
        answers.add((response.status_code, response.url))
    per_account = len(mail.outbox)
    mail.outbox.clear()
    for number in range(1, 6):  # five other accounts, from one address
        response = client.post(
            reverse("password_reset"),
            {"email": f"reset{number}@example.eu"},
            REMOTE_ADDR="127.0.2.1",
        )
        answers.add((response.status_code, response.url))
    per_address = len(mail.outbox)
    assert (per_account, per_address) == (3, 3)
    assert answers == {(302, reverse("password_reset_done"))}  # nothing told
    assert "password-reset refused" in caplog.text
    record(emails_for_10_requests_to_one_account=per_account,
           emails_for_5_accounts_from_one_address=per_address)  # fmt: skip
