"""My data: export, account deletion, email preference, unsubscribe; the digest email."""

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone

from matchmaking import notifications
from matchmaking.models import Interest, Organisation, Suggestion
from tests.factories import (
    PASSWORD,
    make_cluster,
    make_interest,
    make_organisation,
    make_state,
    make_suggestion,
)

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def organisation(client):
    organisation = make_organisation(
        name="Aerospace Valley", website="https://example.eu", description="We build planes."
    )
    client.force_login(organisation.user)
    return organisation


def test_my_data_page(client, organisation):
    response = client.get(reverse("matchmaking:my_data"))
    assert response.status_code == 200
    for name in ("export_data", "notifications", "delete_account"):
        assert reverse(f"matchmaking:{name}") in response.text
    assert "no-cache" in response["Cache-Control"]


def test_export_holds_everything_about_the_organisation(client, organisation):
    organisation.user.last_login = timezone.now()
    organisation.user.save()
    state = make_state("MX-QUE", "Querétaro")
    interest = make_interest(
        organisation,
        title="Aero",
        sectors=["aerospace"],
        states=[state],
        kinds=["technology", "skills"],
        description="Composites",
    )
    make_suggestion(interest, make_cluster(name="Cluster Aeroespacial"), score=77)
    make_suggestion(interest, make_cluster(name="Dismissed one"), status="not_relevant")
    make_suggestion(make_interest(), make_cluster(name="Someone else's"))

    response = client.get(reverse("matchmaking:export_data"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="my-data-')
    data = json.loads(response.content)
    assert data["account"]["email"] == organisation.user.email
    assert data["account"]["date_joined"]
    assert data["account"]["last_login"]
    org = data["organisation"]
    assert org["name"] == "Aerospace Valley"
    assert org["country"] == "DE"
    assert org["website"] == "https://example.eu"
    assert org["description"] == "We build planes."
    assert org["consent_version"] == organisation.consent_version
    assert org["consent_at"]
    assert org["email_verified_at"] is None
    assert org["notify_by_email"] is True
    [exported] = data["interests"]
    assert exported["title"] == "Aero"
    assert exported["sectors"] == [{"slug": "aerospace", "name": "Aerospace"}]
    assert exported["states"] == [{"code": "MX-QUE", "name": "Querétaro"}]
    assert exported["kinds"] == ["technology", "skills"]
    assert exported["description"] == "Composites"
    suggestions = exported["suggestions"]
    assert [s["cluster"]["name"] for s in suggestions] == ["Cluster Aeroespacial", "Dismissed one"]
    assert suggestions[0]["score"] == 77
    assert suggestions[0]["status"] == "new"
    assert suggestions[1]["status"] == "not_relevant"
    assert suggestions[0]["reasons"][0]["text"] == "Same sector: Aerospace"
    assert "Someone else" not in response.content.decode()


def test_export_needs_login(client):
    response = client.get(reverse("matchmaking:export_data"))
    assert response.status_code == 302


def test_delete_with_a_wrong_password_is_a_field_error(client, organisation):
    response = client.post(reverse("matchmaking:delete_account"), {"password": "wrong"})
    assert response.status_code == 200
    assert "password" in response.context["form"].errors
    assert 'id="id_password_error"' in response.text
    assert User.objects.filter(pk=organisation.user.pk).exists()


def test_delete_removes_everything_and_logs_out(client, organisation):
    interest = make_interest(organisation)
    make_suggestion(interest)
    other = make_suggestion()

    confirm = client.get(reverse("matchmaking:delete_account"))
    assert confirm.status_code == 200

    response = client.post(reverse("matchmaking:delete_account"), {"password": PASSWORD})

    assert response.status_code == 302
    assert not User.objects.filter(pk=organisation.user.pk).exists()
    assert not Organisation.objects.filter(pk=organisation.pk).exists()
    assert not Interest.objects.filter(pk=interest.pk).exists()
    assert list(Suggestion.objects.all()) == [other]
    assert client.get(reverse("matchmaking:dashboard")).status_code == 302  # logged out


def test_delete_needs_login(client):
    response = client.post(reverse("matchmaking:delete_account"), {"password": PASSWORD})
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_notification_toggle(client, organisation):
    url = reverse("matchmaking:notifications")
    assert client.get(url).status_code == 405

    client.post(url, {})
    organisation.refresh_from_db()
    assert organisation.notify_by_email is False

    client.post(url, {"notify_by_email": "on"})
    organisation.refresh_from_db()
    assert organisation.notify_by_email is True


def test_unsubscribe_asks_then_turns_email_off_without_login(client):
    organisation = make_organisation()
    url = reverse("matchmaking:unsubscribe", args=[notifications.unsubscribe_token(organisation)])

    page = client.get(url)
    assert page.status_code == 200
    assert "<form" in page.text
    organisation.refresh_from_db()
    assert organisation.notify_by_email is True  # a GET (a mail scanner) changes nothing

    done = client.post(url)
    assert done.status_code == 200
    organisation.refresh_from_db()
    assert organisation.notify_by_email is False


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        signing.dumps(1, salt="another.salt"),
        signing.dumps("x", salt="matchmaking.unsubscribe"),
    ],
)
def test_unsubscribe_with_a_bad_token_is_a_400(client, token):
    for method in (client.get, client.post):
        response = method(reverse("matchmaking:unsubscribe", args=[token]))
        assert response.status_code == 400
        assert "does not work" in response.text


def test_unsubscribe_for_a_deleted_account_is_a_400(client):
    organisation = make_organisation()
    token = notifications.unsubscribe_token(organisation)
    organisation.user.delete()
    assert client.get(reverse("matchmaking:unsubscribe", args=[token])).status_code == 400


def test_digest_email_links_the_dashboard_and_a_working_unsubscribe(client, settings):
    settings.SITE_URL = "https://matchmaking.example"
    organisation = make_organisation(email_verified_at=timezone.now())

    assert notifications.send_digests({organisation.pk: 3}) == 1

    [message] = mail.outbox
    assert message.subject == "3 new Mexican clusters suggested for you"
    assert message.to == [organisation.user.email]
    assert "https://matchmaking.example" + reverse("matchmaking:dashboard") in message.body
    assert "&amp;" not in message.body and "&#x27;" not in message.body
    path = re.search(r"https://matchmaking\.example(/unsubscribe/\S+/)", message.body).group(1)
    client.post(path)
    organisation.refresh_from_db()
    assert organisation.notify_by_email is False


def test_digest_email_singular(settings):
    organisation = make_organisation(email_verified_at=timezone.now())
    notifications.send_digests({organisation.pk: 1})
    assert mail.outbox[0].subject == "1 new Mexican cluster suggested for you"
