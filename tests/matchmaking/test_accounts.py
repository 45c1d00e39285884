"""Sign-up, consent, email verification, log in/out and password reset."""

import re

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import mail, signing
from django.db import IntegrityError
from django.template.loader import get_template
from django.urls import reverse

from matchmaking import services
from matchmaking.models import PRIVACY_NOTICE_VERSION, Organisation
from tests.factories import PASSWORD, make_organisation, make_user

pytestmark = pytest.mark.django_db

User = get_user_model()


def signup_data(**overrides):
    data = {
        "email": "Ana.Garcia@Example.EU",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "name": "Aerospace Valley",
        "country": "FR",
        "kind": Organisation.Kind.CLUSTER,
        "website": "aerospace-valley.example",
        "description": "Aerospace cluster in Occitanie and Nouvelle-Aquitaine.",
        "consent": "on",
    }
    return data | overrides


def verify_link(message) -> str:
    return re.search(r"https?://\S+/verify/\S+/", message.body).group(0)


def test_signup_page_links_the_privacy_notice(client):
    response = client.get(reverse("matchmaking:signup"))
    assert response.status_code == 200
    assert reverse("matchmaking:privacy") in response.text
    assert 'name="consent"' in response.text


def test_privacy_page_shows_the_notice_version(client):
    response = client.get(reverse("matchmaking:privacy"))
    assert response.status_code == 200
    assert PRIVACY_NOTICE_VERSION in response.text


def test_signup_creates_account_organisation_and_consent_and_logs_in(client):
    response = client.post(reverse("matchmaking:signup"), signup_data())

    assert response.status_code == 302
    assert response.url == reverse("matchmaking:interest_new")
    user = User.objects.get()
    assert user.username == user.email == "ana.garcia@example.eu"
    assert user.check_password(PASSWORD)
    organisation = user.organisation
    assert organisation.name == "Aerospace Valley"
    assert organisation.country == "FR"
    assert organisation.website == "https://aerospace-valley.example"
    assert organisation.consent_version == PRIVACY_NOTICE_VERSION
    assert organisation.consent_at is not None
    assert organisation.email_verified_at is None
    assert organisation.notify_by_email is True
    # Logged in: the dashboard answers.
    assert client.get(reverse("matchmaking:dashboard")).status_code == 200


def test_signup_sends_a_verification_link_that_verifies(client):
    client.post(reverse("matchmaking:signup"), signup_data())
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ana.garcia@example.eu"]

    response = client.get(verify_link(message))

    assert response.status_code == 302
    assert response.url == reverse("matchmaking:dashboard")
    assert Organisation.objects.get().email_verified_at is not None


def test_verification_link_works_without_being_logged_in(client):
    organisation = make_organisation()
    token = services.verification_token(organisation)

    response = client.get(reverse("matchmaking:verify_email", args=[token]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    organisation.refresh_from_db()
    assert organisation.email_verified_at is not None


@pytest.mark.parametrize("email", ["ana.garcia@example.eu", "ANA.GARCIA@EXAMPLE.EU"])
def test_duplicate_email_is_a_field_error_whatever_the_case(client, email):
    make_organisation(make_user("Ana.Garcia@example.eu"))

    response = client.post(reverse("matchmaking:signup"), signup_data(email=email))

    assert response.status_code == 200
    assert "already exists" in str(response.context["form"].errors["email"])
    assert User.objects.count() == 1
    assert Organisation.objects.count() == 1
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password2": "something-else-entirely"}, "password2"),
        ({"password1": "12345678", "password2": "12345678"}, "password1"),  # common, numeric
        ({"password1": "short", "password2": "short"}, "password1"),
        ({"password1": "ana.garcia", "password2": "ana.garcia"}, "password1"),  # like the email
        ({"consent": ""}, "consent"),
        ({"country": "US"}, "country"),  # not in the EU's cluster programmes
        ({"kind": "company"}, "kind"),
        ({"website": "not a url"}, "website"),
        ({"email": "not-an-email"}, "email"),
        ({"name": ""}, "name"),
        ({"description": "x" * 4001}, "description"),
    ],
)
def test_invalid_signup_shows_field_errors_and_saves_nothing(client, overrides, field):
    response = client.post(reverse("matchmaking:signup"), signup_data(**overrides))

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'role="alert"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert User.objects.count() == 0
    assert Organisation.objects.count() == 0


def test_register_organisation_saves_nothing_when_the_organisation_fails():
    with pytest.raises(IntegrityError):
        services.register_organisation(
            email="a@example.eu",
            password=PASSWORD,
            name="A",
            country="US",  # the database constraint refuses it
            kind="sme",
            website="",
            description="",
        )
    assert not User.objects.filter(username="a@example.eu").exists()


def test_register_organisation_refuses_a_taken_email():
    make_user("taken@example.eu")
    with pytest.raises(services.EmailTaken):
        services.register_organisation(
            email=" Taken@Example.eu ",
            password=PASSWORD,
            name="B",
            country="ES",
            kind="sme",
            website="",
            description="",
        )
    assert Organisation.objects.count() == 0


def test_signup_survives_a_mail_server_that_is_down(client, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(services, "send_mail", broken)

    response = client.post(reverse("matchmaking:signup"), signup_data(), follow=True)

    assert response.status_code == 200
    assert Organisation.objects.count() == 1
    assert "could not send the verification email" in response.text


def test_logged_in_users_are_sent_from_signup_to_the_dashboard(client):
    client.force_login(make_organisation().user)
    response = client.get(reverse("matchmaking:signup"))
    assert response.status_code == 302
    assert response.url == reverse("matchmaking:dashboard")


@pytest.mark.parametrize("token", ["nonsense", "a:b:c", signing.dumps(1, salt="other")])
def test_bad_verification_token_is_a_readable_400(client, token):
    response = client.get(reverse("matchmaking:verify_email", args=[token]))
    assert response.status_code == 400
    assert "not valid" in response.text


def test_expired_verification_token_is_a_readable_400(client, settings):
    organisation = make_organisation()
    token = services.verification_token(organisation)
    settings.EMAIL_VERIFICATION_MAX_AGE = -1

    response = client.get(reverse("matchmaking:verify_email", args=[token]))

    assert response.status_code == 400
    assert "expired" in response.text
    organisation.refresh_from_db()
    assert organisation.email_verified_at is None


def test_verification_token_for_a_deleted_account_is_a_400(client):
    organisation = make_organisation()
    token = services.verification_token(organisation)
    organisation.user.delete()
    assert client.get(reverse("matchmaking:verify_email", args=[token])).status_code == 400


def test_resend_verification_sends_again_once_a_minute(client):
    organisation = make_organisation()
    client.force_login(organisation.user)
    url = reverse("matchmaking:resend_verification")

    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302  # too soon: not sent

    assert len(mail.outbox) == 1
    assert "/verify/" in mail.outbox[0].body


def test_resend_verification_when_verified_sends_nothing(client):
    organisation = make_organisation()
    services.verify_email(services.verification_token(organisation))
    client.force_login(organisation.user)
    client.post(reverse("matchmaking:resend_verification"))
    assert mail.outbox == []


def test_resend_verification_needs_post_and_login(client):
    url = reverse("matchmaking:resend_verification")
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_page_sends_to_the_dashboard_by_default(client):
    organisation = make_organisation(make_user("ana@example.eu"))
    page = client.get(reverse("login"))
    assert f'value="{reverse("matchmaking:dashboard")}"' in page.text

    response = client.post(
        reverse("login"),
        {
            "username": "ana@example.eu",
            "password": PASSWORD,
            "next": reverse("matchmaking:dashboard"),
        },
    )

    assert response.status_code == 302
    assert response.url == reverse("matchmaking:dashboard")
    assert client.get(response.url).context["organisation"] == organisation


def test_login_with_the_email_in_another_case(client, settings):
    settings.AUTHENTICATION_BACKENDS = ["matchmaking.backends.EmailBackend"]
    make_organisation(make_user("ana@example.eu"))
    response = client.post(reverse("login"), {"username": " Ana@Example.EU", "password": PASSWORD})
    assert response.status_code == 302


def test_wrong_password_is_an_error_not_a_500(client):
    make_organisation(make_user("ana@example.eu"))
    response = client.post(reverse("login"), {"username": "ana@example.eu", "password": "nope"})
    assert response.status_code == 200
    assert "do not match an account" in response.text


def test_logout_is_a_post(client):
    client.force_login(make_organisation().user)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 200
    assert client.get(reverse("matchmaking:dashboard")).status_code == 302


def _admin_shadows_our_templates() -> bool:
    names = [config.name for config in apps.get_app_configs()]
    return names.index("django.contrib.admin") < names.index("matchmaking")


@pytest.mark.xfail(
    _admin_shadows_our_templates(),
    reason="django.contrib.admin's registration/ templates win while it is listed before "
    "matchmaking in INSTALLED_APPS",
    strict=True,
)
@pytest.mark.parametrize(
    "name",
    [
        "registration/logged_out.html",
        "registration/password_reset_form.html",
        "registration/password_reset_done.html",
        "registration/password_reset_confirm.html",
        "registration/password_reset_complete.html",
        "registration/password_reset_email.html",
        "registration/password_change_form.html",
        "registration/password_change_done.html",
    ],
)
def test_our_registration_templates_are_used(name):
    assert "/matchmaking/templates/" in get_template(name).origin.name


def test_password_reset_emails_a_link_that_lets_the_user_choose_a_password(client):
    user = make_organisation(make_user("ana@example.eu")).user

    response = client.post(reverse("password_reset"), {"email": "ANA@example.eu"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)

    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    new_password = "another-long-passphrase"
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_signup_from_a_match_preview_carries_its_choices_to_the_first_interest(client, briefing):
    query = "sectors=aerospace&states=MX-BCN&kinds=technology&description=Turbine+parts"
    page = client.get(f"{reverse('matchmaking:signup')}?{query}")
    assert "will fill in your first interest" in page.text
    response = client.post(f"{reverse('matchmaking:signup')}?{query}", signup_data())
    assert response.status_code == 302
    assert response.url == f"{reverse('matchmaking:interest_new')}?{query}"
    # Without a preview, on to an empty first interest.
    client.logout()
    response = client.post(reverse("matchmaking:signup"), signup_data(email="other@example.eu"))
    assert response.url == reverse("matchmaking:interest_new")
