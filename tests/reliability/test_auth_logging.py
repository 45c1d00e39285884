"""Authentication events are logged to "matchmaking.auth", by user id and client address,
and no password ever reaches a log line."""

import logging

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from tests.factories import make_organisation, make_user

pytestmark = pytest.mark.django_db

SECRET = "correct-horse-battery-staple-7"  # the password; it must appear in no log record
WRONG = "Tr0ub4dor&3-wrong-guess"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def auth_log(caplog):
    caplog.set_level(logging.DEBUG)  # every logger, so that a leak anywhere is caught
    return caplog


def auth_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "matchmaking.auth"]


def assert_no_password_logged(caplog):
    for logged in caplog.records:
        text = " ".join(
            [logged.getMessage(), repr(logged.args), str(logged.exc_text or ""), logged.name]
        )
        assert SECRET not in text and WRONG not in text, text


def test_every_authentication_event_is_logged_without_a_password(client, auth_log, record):
    user = make_user("events@example.eu", password=SECRET)
    organisation = make_organisation(user=user)
    address = "127.0.0.5"

    client.post(reverse("login"), {"username": user.email, "password": WRONG}, REMOTE_ADDR=address)
    client.post(reverse("login"), {"username": "nobody@example.eu", "password": WRONG})
    client.post(reverse("login"), {"username": user.email, "password": SECRET}, REMOTE_ADDR=address)
    client.post(reverse("logout"))
    client.post(reverse("password_reset"), {"email": user.email})
    client.post(reverse("password_reset"), {"email": "nobody@example.eu"})
    assert len(mail.outbox) == 1  # the reset email itself still goes out
    client.force_login(user)
    client.post(reverse("matchmaking:delete_account"), {"password": SECRET})
    for _ in range(20):
        client.post(reverse("login"), {"username": "locked@example.eu", "password": WRONG})
    client.post(reverse("login"), {"username": "locked@example.eu", "password": SECRET})

    lines = auth_lines(auth_log)
    expected = [
        f"login failed user={user.pk} address={address}",
        "login failed unknown=",
        f"login succeeded user={user.pk} address={address}",
        f"logout user={user.pk}",
        f"password reset requested user={user.pk}",
        "password reset requested unknown=",
        f"account deleted user={user.pk}",
        "login refused, account locked (too many failures) unknown=",
    ]
    for start in expected:
        assert any(line.startswith(start) for line in lines), (start, lines)
    assert not any("@" in line for line in lines)  # no email address either
    assert_no_password_logged(auth_log)
    assert organisation.pk  # deleted with the account
    record(events_checked=len(expected), auth_log_lines=len(lines), passwords_in_logs=0)


def test_an_admin_login_is_logged_too(client, auth_log):
    staff = make_user("staff-log@example.eu", password=SECRET, is_staff=True)
    client.post(reverse("admin:login"), {"username": staff.email, "password": SECRET})
    assert any(line.startswith(f"login succeeded user={staff.pk}") for line in auth_lines(auth_log))
    assert_no_password_logged(auth_log)
