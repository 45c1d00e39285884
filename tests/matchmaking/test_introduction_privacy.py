"""The rule that must never break: neither side's contact details (person, email, phone,
website) reach the other side before both said yes. Every page, API answer, email and
export the other side is shown is checked before acceptance, and the introduction's page,
the acceptance emails and the export after it."""

import pytest
from django.core import mail
from django.urls import reverse

from matchmaking import introductions as intro
from tests.factories import (
    make_cluster,
    make_interest,
    make_manager,
    make_organisation,
    make_suggestion,
    make_user,
)

pytestmark = pytest.mark.django_db

ORGANISATION_SECRETS = [
    "Ottilie Geheim",  # contact person
    "ottilie@geheim-aero.example",  # email (the login)
    "+49 30 5550199",  # phone
    "geheim-aero.example/",  # website
]
MANAGER_SECRETS = ["Mariana Secreta", "mariana@secreto-cluster.mx", "+52 81 5550142"]


@pytest.fixture
def parties():
    cluster = make_cluster(name="Clúster Aeroespacial de Prueba", slug="aero-prueba")
    manager = make_manager(
        cluster,
        user=make_user("mariana.login@secreto-cluster.mx"),
        name="Mariana Secreta",
        work_email="mariana@secreto-cluster.mx",
        phone="+52 81 5550142",
    )
    organisation = make_organisation(
        make_user("ottilie@geheim-aero.example"),
        name="Geheim Aero GmbH",
        contact_name="Ottilie Geheim",
        phone="+49 30 5550199",
        website="https://geheim-aero.example/",
        visible_to_clusters=True,
    )
    suggestion = make_suggestion(make_interest(organisation), cluster)
    return organisation, cluster, manager, suggestion


def ask(organisation, cluster, user, **fields):
    return intro.request_introduction(
        organisation=organisation,
        cluster=cluster,
        requested_by=user,
        message="Hello",
        kinds=["technology"],
        **fields,
    )


def assert_hidden(text: str, secrets: list[str], where: str) -> None:
    leaked = [secret for secret in secrets if secret in text]
    assert not leaked, f"{where} shows {leaked} before acceptance"


def organisation_sees(client, organisation, cluster, introduction) -> dict[str, str]:
    """Everything the organisation's user is shown that concerns the cluster."""
    client.force_login(organisation.user)
    return {
        "introduction page": client.get(introduction.get_absolute_url()).text,
        "introductions list": client.get(reverse("matchmaking:introductions")).text,
        "dashboard": client.get(reverse("matchmaking:dashboard")).text,
        "suggestions API": client.get(reverse("matchmaking:api_my_suggestions")).text,
        "cluster page": client.get(cluster.get_absolute_url()).text,
        "cluster API": client.get(reverse("clusters:api_cluster_detail", args=[cluster.slug])).text,
        "export": client.get(reverse("matchmaking:export_data")).content.decode(),
    }


def manager_sees(client, manager, cluster, organisation, introduction) -> dict[str, str]:
    client.force_login(manager.user)
    return {
        "introduction page": client.get(introduction.get_absolute_url()).text,
        "introductions list": client.get(reverse("matchmaking:introductions")).text,
        "interested organisations": client.get(
            reverse("matchmaking:cluster_organisations", args=[cluster.slug])
        ).text,
        "export": client.get(reverse("matchmaking:export_data")).content.decode(),
    }


def test_nothing_shows_the_other_sides_contacts_before_acceptance_and_all_do_after(
    client, parties, django_capture_on_commit_callbacks
):
    organisation, cluster, manager, suggestion = parties
    client.force_login(organisation.user)
    form_page = client.get(
        reverse("matchmaking:request_introduction", args=[cluster.slug])
        + f"?suggestion={suggestion.pk}"
    ).text
    assert_hidden(form_page, MANAGER_SECRETS, "the request form")
    with django_capture_on_commit_callbacks(execute=True):
        introduction = ask(organisation, cluster, organisation.user)
    intro.remind(introduction.pk)  # not due: sends nothing
    intro.nudge(introductions=type(introduction).objects.filter(pk=introduction.pk))
    [request_email, reminder_email] = mail.outbox
    for email in (request_email, reminder_email):
        assert email.to == ["mariana@secreto-cluster.mx"]
        assert not email.reply_to
        assert_hidden(email.subject + email.body, ORGANISATION_SECRETS, "an email to the manager")

    for where, text in organisation_sees(client, organisation, cluster, introduction).items():
        assert_hidden(text, MANAGER_SECRETS, where)
    for where, text in manager_sees(client, manager, cluster, organisation, introduction).items():
        assert_hidden(text, ORGANISATION_SECRETS, where)

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        intro.accept(introduction=introduction, user=manager.user)

    seen = organisation_sees(client, organisation, cluster, introduction)
    for secret in MANAGER_SECRETS:
        assert secret in seen["introduction page"]
        assert secret in seen["export"]
    for where in ("dashboard", "suggestions API", "cluster page", "cluster API"):
        assert_hidden(seen[where], MANAGER_SECRETS, f"{where} (only the introduction shows)")
    seen = manager_sees(client, manager, cluster, organisation, introduction)
    for secret in ORGANISATION_SECRETS:
        assert secret in seen["introduction page"]
        assert secret in seen["export"]
    by_recipient = {email.to[0]: email.body for email in mail.outbox}
    for secret in MANAGER_SECRETS:
        assert secret in by_recipient["ottilie@geheim-aero.example"]
    for secret in ORGANISATION_SECRETS:
        assert secret in by_recipient["mariana@secreto-cluster.mx"]


@pytest.mark.parametrize("answer", ["decline", "expire", "spam"])
def test_a_request_that_ends_without_a_yes_never_shows_contacts(
    client, parties, answer, django_capture_on_commit_callbacks
):
    organisation, cluster, manager, _ = parties
    make_user("curator@programme.eu", is_staff=True)
    introduction = ask(organisation, cluster, organisation.user)
    with django_capture_on_commit_callbacks(execute=True):
        if answer == "decline":
            intro.decline(introduction=introduction, user=manager.user, reason="No")
        elif answer == "spam":
            intro.report_spam(introduction=introduction, user=manager.user)
        else:
            type(introduction).objects.filter(pk=introduction.pk).update(
                expires_at=introduction.created
            )
            intro.expire(introduction.pk)
    assert mail.outbox
    for email in mail.outbox:
        if email.to == ["ottilie@geheim-aero.example"]:
            assert_hidden(email.body, MANAGER_SECRETS, f"the {answer} email")
    for where, text in organisation_sees(client, organisation, cluster, introduction).items():
        assert_hidden(text, MANAGER_SECRETS, f"{where} after {answer}")
    for where, text in manager_sees(client, manager, cluster, organisation, introduction).items():
        assert_hidden(text, ORGANISATION_SECRETS, f"{where} after {answer}")


def test_a_request_from_the_cluster_shows_the_organisation_nothing_of_the_manager(
    client, parties, django_capture_on_commit_callbacks
):
    organisation, cluster, manager, _ = parties
    client.force_login(manager.user)
    form = client.get(
        reverse("matchmaking:introduce_organisation", args=[cluster.slug, organisation.pk])
    ).text
    assert_hidden(form, ORGANISATION_SECRETS, "the manager's request form")
    with django_capture_on_commit_callbacks(execute=True):
        introduction = ask(organisation, cluster, manager.user, direction="cluster")
    [email] = mail.outbox
    assert email.to == ["ottilie@geheim-aero.example"]
    assert_hidden(email.body, MANAGER_SECRETS, "the request email to the organisation")
    for where, text in organisation_sees(client, organisation, cluster, introduction).items():
        assert_hidden(text, MANAGER_SECRETS, where)
    for where, text in manager_sees(client, manager, cluster, organisation, introduction).items():
        assert_hidden(text, ORGANISATION_SECRETS, where)
