"""Introductions by double opt-in: requesting, the rules, answering, outcomes, expiry and
reminders, spam, reverse suggestions, signed links, and an organisation that leaves."""

from datetime import timedelta

import pytest
from django.core import mail, signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from matchmaking import introductions as intro
from matchmaking.models import Introduction
from tests.factories import (
    make_cluster,
    make_interest,
    make_introduction,
    make_manager,
    make_organisation,
    make_suggestion,
    make_user,
)

pytestmark = pytest.mark.django_db
MESSAGE = "We build composite wing parts and look for a Mexican partner."


@pytest.fixture
def cluster():
    return make_cluster(
        name="Clúster Aeroespacial de Prueba", slug="aero-prueba", sectors=["aerospace"]
    )


@pytest.fixture
def manager(cluster):
    return make_manager(cluster, name="Mariana Ruiz", work_email="mariana@aero-prueba.mx")


@pytest.fixture
def organisation():
    return make_organisation(name="Aerotech GmbH", email_verified_at=timezone.now())


def request_url(cluster, **query):
    url = reverse("matchmaking:request_introduction", args=[cluster.slug])
    return url + (f"?suggestion={query['suggestion']}" if query else "")


def post_request(client, cluster, *, message=MESSAGE, kinds=("technology",), **query):
    return client.post(request_url(cluster, **query), {"message": message, "kinds": list(kinds)})


# --- Requesting ----------------------------------------------------------------------------


def test_a_request_from_a_suggestion_prefills_the_interests_kinds(client, organisation, cluster):
    interest = make_interest(organisation, kinds=("supply_chain", "investment"))
    suggestion = make_suggestion(interest, cluster)
    client.force_login(organisation.user)

    form = client.get(request_url(cluster, suggestion=suggestion.pk)).context["form"]

    assert form.initial["kinds"] == ["supply_chain", "investment"]


def test_a_request_to_a_claimed_cluster_emails_its_managers_in_spanish_with_a_signed_link(
    client, organisation, cluster, manager, django_capture_on_commit_callbacks
):
    interest = make_interest(organisation)
    suggestion = make_suggestion(interest, cluster)
    client.force_login(organisation.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_request(client, cluster, suggestion=suggestion.pk)

    introduction = Introduction.objects.get()
    assert response.status_code == 302
    assert response.url == introduction.get_absolute_url()
    assert (introduction.status, introduction.interest, introduction.message) == (
        "requested",
        interest,
        MESSAGE,
    )
    assert introduction.expires_at == introduction.created + timedelta(days=14)
    [email] = mail.outbox
    assert email.to == ["mariana@aero-prueba.mx"]
    assert "Solicitud de presentación" in email.subject  # Spanish for a Mexican manager
    assert MESSAGE in email.body
    token = intro.link_token(introduction.pk)
    assert reverse("matchmaking:introduction_link", args=[token]) in email.body


def test_a_request_to_an_unclaimed_cluster_goes_to_the_staff_queue(
    client, organisation, cluster, django_capture_on_commit_callbacks
):
    make_user("curator@programme.eu", is_staff=True)
    client.force_login(organisation.user)
    with django_capture_on_commit_callbacks(execute=True):
        post_request(client, cluster)

    introduction = Introduction.objects.get()
    assert list(Introduction.objects.waiting_for_staff()) == [introduction]
    [email] = mail.outbox
    assert email.to == ["curator@programme.eu"]
    assert "no manager" in email.subject


@pytest.mark.parametrize(
    ("message", "kinds", "error"),
    [
        ("", ["technology"], "Write a message"),
        ("   ", ["technology"], "Write a message"),
        ("x" * 1001, ["technology"], "at most 1000 characters"),
        (MESSAGE, [], "Choose at least one kind"),
        (MESSAGE, ["bribery"], "Select a valid choice"),
    ],
)
def test_bad_requests_show_form_errors_and_save_nothing(
    client, organisation, cluster, message, kinds, error
):
    client.force_login(organisation.user)
    response = post_request(client, cluster, message=message, kinds=kinds)
    assert response.status_code == 200
    assert error in response.text
    assert not Introduction.objects.exists()


def test_one_open_request_per_organisation_and_cluster(client, organisation, cluster):
    make_introduction(organisation, cluster)
    client.force_login(organisation.user)
    response = post_request(client, cluster)
    assert response.status_code == 302  # to the request already waiting
    assert Introduction.objects.count() == 1
    # The database holds the rule too (two requests at once).
    with pytest.raises(IntegrityError), transaction.atomic():
        make_introduction(organisation, cluster)
    # Another cluster is fine; so is a new request once the first is answered.
    make_introduction(organisation, make_cluster())
    Introduction.objects.filter(cluster=cluster).update(status="expired")
    make_introduction(organisation, cluster)


def test_at_most_n_new_requests_per_organisation_per_week(client, organisation, settings, cluster):
    settings.INTRODUCTIONS_PER_WEEK = 2
    make_introduction(organisation, make_cluster(), created=timezone.now() - timedelta(days=8))
    make_introduction(organisation, make_cluster())
    make_introduction(organisation, make_cluster(), status="declined")
    client.force_login(organisation.user)

    response = post_request(client, cluster)

    assert response.status_code == 200
    assert "You have sent 2 requests in the last 7 days" in response.text
    assert not Introduction.objects.filter(cluster=cluster).exists()
    Introduction.objects.filter(organisation=organisation).update(
        created=timezone.now() - timedelta(days=7, seconds=1)
    )
    assert post_request(client, cluster).status_code == 302


def test_no_new_request_to_a_cluster_for_90_days_after_a_decline(client, organisation, cluster):
    declined = make_introduction(
        organisation, cluster, status="declined", answered_at=timezone.now() - timedelta(days=89)
    )
    client.force_login(organisation.user)

    response = post_request(client, cluster)

    assert response.status_code == 200
    assert "declined less than 90 days ago" in response.text
    Introduction.objects.filter(pk=declined.pk).update(
        answered_at=timezone.now() - timedelta(days=91)
    )
    assert post_request(client, cluster).status_code == 302


def test_an_unpublished_cluster_cannot_be_asked(client, organisation):
    hidden = make_cluster(is_published=False)
    client.force_login(organisation.user)
    assert post_request(client, hidden).status_code == 404


# --- Answering -----------------------------------------------------------------------------


def test_the_manager_accepts_and_both_sides_get_the_others_contact_details_by_email(
    client, organisation, cluster, manager, django_capture_on_commit_callbacks
):
    Introduction.objects.all().delete()
    organisation.contact_name, organisation.phone = "Otto Weber", "+49 89 5550100"
    organisation.save()
    introduction = make_introduction(organisation, cluster)
    client.force_login(manager.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("matchmaking:introduction_accept", args=[introduction.pk]))

    assert response.status_code == 302
    introduction.refresh_from_db()
    assert (introduction.status, introduction.answered_by) == ("accepted", manager.user)
    to_organisation, to_manager = sorted(mail.outbox, key=lambda m: m.to[0] != organisation.email)
    assert to_organisation.to == [organisation.email]
    assert "mariana@aero-prueba.mx" in to_organisation.body
    assert "Mariana Ruiz" in to_organisation.body
    assert to_manager.to == ["mariana@aero-prueba.mx"]
    assert organisation.email in to_manager.body
    assert "+49 89 5550100" in to_manager.body
    assert "Otto Weber" in to_manager.body


def test_the_side_that_asked_cannot_answer_its_own_request(client, organisation, cluster, manager):
    introduction = make_introduction(organisation, cluster)
    client.force_login(organisation.user)
    response = client.post(reverse("matchmaking:introduction_accept", args=[introduction.pk]))
    assert response.status_code == 302
    introduction.refresh_from_db()
    assert introduction.status == "requested"


def test_a_request_answered_twice_keeps_the_first_answer(cluster, manager, organisation):
    introduction = make_introduction(organisation, cluster)
    intro.decline(introduction=introduction, user=manager.user, reason="Not now")
    with pytest.raises(intro.IntroductionRefused):
        intro.accept(introduction=introduction, user=manager.user)
    introduction.refresh_from_db()
    assert (introduction.status, introduction.decline_reason) == ("declined", "Not now")


def test_a_decline_tells_the_requester_the_reason_without_contact_details(
    client, organisation, cluster, manager, django_capture_on_commit_callbacks
):
    introduction = make_introduction(organisation, cluster)
    client.force_login(manager.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("matchmaking:introduction_decline", args=[introduction.pk]),
            {"reason": "We only work with automotive partners."},
        )
    introduction.refresh_from_db()
    assert introduction.status == "declined"
    [email] = mail.outbox
    assert email.to == [organisation.email]
    assert "We only work with automotive partners." in email.body
    assert "mariana@aero-prueba.mx" not in email.body


def test_a_reason_too_long_is_refused_with_a_message(client, organisation, cluster, manager):
    introduction = make_introduction(organisation, cluster)
    client.force_login(manager.user)
    url = reverse("matchmaking:introduction_decline", args=[introduction.pk])
    response = client.post(url, {"reason": "x" * 1001}, follow=True)
    assert response.status_code == 200
    assert "at most 1000 characters" in response.text
    introduction.refresh_from_db()
    assert introduction.status == "requested"


def test_report_as_spam_declines_and_tells_staff(
    client, organisation, cluster, manager, django_capture_on_commit_callbacks
):
    make_user("curator@programme.eu", is_staff=True)
    introduction = make_introduction(organisation, cluster)
    client.force_login(manager.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("matchmaking:introduction_spam", args=[introduction.pk]))
    introduction.refresh_from_db()
    assert introduction.status == "declined"
    assert introduction.reported_spam_at is not None
    assert [email.to for email in mail.outbox] == [["curator@programme.eu"]]


def test_outcome_is_recorded_by_either_side_once_accepted(client, organisation, cluster, manager):
    introduction = make_introduction(organisation, cluster)
    url = reverse("matchmaking:introduction_outcome", args=[introduction.pk])
    client.force_login(organisation.user)
    client.post(url, {"outcome": "met"})
    introduction.refresh_from_db()
    assert introduction.outcome == ""  # not before acceptance

    intro.accept(introduction=introduction, user=manager.user)
    client.post(url, {"outcome": "met"})
    introduction.refresh_from_db()
    assert (introduction.outcome, introduction.outcome_by) == ("met", organisation.user)
    client.force_login(manager.user)
    client.post(url, {"outcome": "agreement"})
    introduction.refresh_from_db()
    assert (introduction.outcome, introduction.outcome_by) == ("agreement", manager.user)
    response = client.post(url, {"outcome": "married"}, follow=True)
    assert "Select a valid choice" in response.text
    introduction.refresh_from_db()
    assert introduction.outcome == "agreement"


def test_every_state_change_needs_post(client, organisation, cluster, manager):
    introduction = make_introduction(organisation, cluster)
    client.force_login(manager.user)
    for name in ("introduction_accept", "introduction_decline", "introduction_spam"):
        response = client.get(reverse(f"matchmaking:{name}", args=[introduction.pk]))
        assert response.status_code == 405
    introduction.refresh_from_db()
    assert introduction.status == "requested"


def test_state_changes_need_the_csrf_token(organisation, cluster, manager):
    from django.test import Client

    introduction = make_introduction(organisation, cluster)
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager.user)
    response = client.post(reverse("matchmaking:introduction_accept", args=[introduction.pk]))
    assert response.status_code == 403
    introduction.refresh_from_db()
    assert introduction.status == "requested"


# --- Expiry and reminders ------------------------------------------------------------------


def test_a_request_is_reminded_once_at_day_7_and_expires_at_day_14(organisation, cluster, manager):
    now = timezone.now()
    fresh = make_introduction(organisation, cluster, created=now - timedelta(days=6))
    week_old = make_introduction(make_organisation(), cluster, created=now - timedelta(days=8))
    overdue = make_introduction(make_organisation(), cluster, created=now - timedelta(days=15))

    assert sorted(intro.due_for_reminder()) == sorted([week_old.pk, overdue.pk])
    assert intro.due_for_expiry() == [overdue.pk]
    assert intro.remind(week_old.pk) is True
    assert intro.remind(week_old.pk) is False  # once
    assert intro.remind(fresh.pk) is False
    assert [email.to for email in mail.outbox] == [["mariana@aero-prueba.mx"]]

    assert intro.expire(fresh.pk) is False
    assert intro.expire(overdue.pk) is True
    assert intro.expire(overdue.pk) is False  # idempotent
    overdue.refresh_from_db()
    assert overdue.status == "expired"
    assert mail.outbox[-1].to == [overdue.organisation.email]
    assert "expired" in mail.outbox[-1].subject


def test_an_answered_request_neither_expires_nor_is_reminded(organisation, cluster, manager):
    old = make_introduction(
        organisation, cluster, created=timezone.now() - timedelta(days=20), status="accepted"
    )
    assert old.pk not in intro.due_for_expiry()
    assert intro.expire(old.pk) is False
    assert intro.remind(old.pk) is False


def test_the_sweep_task_enqueues_reminders_and_expiries(organisation, cluster, monkeypatch):
    from matchmaking import tasks

    sent = []
    monkeypatch.setattr(tasks.remind_introduction, "delay", lambda pk: sent.append(("r", pk)))
    monkeypatch.setattr(tasks.expire_introduction, "delay", lambda pk: sent.append(("e", pk)))
    overdue = make_introduction(organisation, cluster, created=timezone.now() - timedelta(days=15))
    assert tasks.sweep_introductions() == {"reminders": 1, "expiries": 1}
    assert sorted(sent) == [("e", overdue.pk), ("r", overdue.pk)]


# --- Signed links --------------------------------------------------------------------------


def test_the_emailed_link_leads_a_party_to_the_request(client, organisation, cluster, manager):
    introduction = make_introduction(organisation, cluster)
    url = reverse("matchmaking:introduction_link", args=[intro.link_token(introduction.pk)])

    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))  # login required

    client.force_login(manager.user)
    assert client.get(url).url == introduction.get_absolute_url()
    client.force_login(make_organisation().user)
    assert client.get(url).status_code == 404  # someone else's


def test_a_forged_or_old_link_is_refused(client, organisation, cluster, manager, settings):
    introduction = make_introduction(organisation, cluster)
    client.force_login(manager.user)
    forged = signing.dumps(introduction.pk, salt="another-salt")
    response = client.get(reverse("matchmaking:introduction_link", args=[forged]))
    assert response.status_code == 400
    settings.INTRODUCTION_LINK_MAX_AGE = -1
    token = intro.link_token(introduction.pk)
    response = client.get(reverse("matchmaking:introduction_link", args=[token]))
    assert response.status_code == 400
    assert "no longer works" in response.text


# --- Reverse suggestions -------------------------------------------------------------------


def test_a_manager_sees_visible_organisations_with_reasons_and_the_others_as_counts(
    client, cluster, manager, django_assert_num_queries
):
    visible = make_organisation(name="Visible Aero SAS", visible_to_clusters=True)
    make_suggestion(make_interest(visible, title="Composites"), cluster, score=70)
    for number in range(3):
        hidden = make_organisation(name=f"Hidden {number}")
        make_suggestion(make_interest(hidden), cluster)
    related = make_organisation(name="Hidden, related sector")
    make_suggestion(make_interest(related, sectors=("defence",)), cluster)
    paused = make_organisation(name="Paused Org", visible_to_clusters=True)
    make_suggestion(make_interest(paused, is_active=False), cluster)
    client.force_login(manager.user)
    url = reverse("matchmaking:cluster_organisations", args=[cluster.slug])

    # session, user, cluster (3); visible suggestions, hidden counts by sector and in all
    # (3); their introductions (1); sector and state names for the reasons (2); the nav's
    # count and its "manages a cluster" (2).
    with django_assert_num_queries(11):
        response = client.get(url)

    text = response.text
    assert "Visible Aero SAS" in text
    assert "Same sector: Aerospace" in text
    assert "3 organisations interested in Aerospace" in text
    assert "In all, 4 organisations that chose not to be named rank your cluster." in text
    assert "Hidden 0" not in text
    assert "Paused Org" not in text


def test_a_manager_requests_an_introduction_and_the_organisation_accepts(
    client, cluster, manager, django_capture_on_commit_callbacks
):
    visible = make_organisation(
        name="Visible Aero SAS", visible_to_clusters=True, phone="+33 5 5550123"
    )
    make_suggestion(make_interest(visible, kinds=("investment",)), cluster)
    client.force_login(manager.user)
    url = reverse("matchmaking:introduce_organisation", args=[cluster.slug, visible.pk])
    assert client.get(url).context["form"].initial["kinds"] == ["investment"]

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"message": "Nuestro clúster busca socios.", "kinds": ["investment"]})

    introduction = Introduction.objects.get()
    assert (introduction.direction, introduction.requested_by) == ("cluster", manager.user)
    [email] = mail.outbox
    assert email.to == [visible.email]
    assert "+33 5 5550123" not in email.body
    client.force_login(visible.user)
    assert "Nuestro clúster busca socios." in client.get(introduction.get_absolute_url()).text
    client.post(reverse("matchmaking:introduction_accept", args=[introduction.pk]))
    introduction.refresh_from_db()
    assert introduction.status == "accepted"
    client.force_login(manager.user)
    assert "+33 5 5550123" in client.get(introduction.get_absolute_url()).text


# --- The lists and the navigation ----------------------------------------------------------


def test_the_introductions_page_and_navigation_count_what_waits(
    client, cluster, manager, django_assert_num_queries
):
    for _ in range(3):
        make_introduction(make_organisation(), cluster)
    make_introduction(make_organisation(), cluster, status="declined")
    client.force_login(manager.user)

    # session, user (2); introductions (1); managed clusters (1); the nav's count and its
    # "manages a cluster" (2).
    with django_assert_num_queries(6):
        response = client.get(reverse("matchmaking:introductions"))

    assert len(response.context["rows"]) == 4
    assert len(response.context["waiting"]) == 3
    assert '<span class="count-badge">3' in response.text


def test_a_suggestion_card_shows_the_introductions_status(client, organisation, cluster):
    suggestion = make_suggestion(make_interest(organisation), cluster)
    make_introduction(organisation, cluster)
    client.force_login(organisation.user)
    text = client.get(reverse("matchmaking:dashboard")).text
    assert "Introduction requested: waiting for an answer" in text
    assert f"?suggestion={suggestion.pk}" not in text  # no second request offered


# --- Leaving -------------------------------------------------------------------------------


def test_an_organisation_that_leaves_leaves_a_tombstone_and_the_clusters_own_words(
    client, organisation, cluster, manager
):
    asked = make_introduction(organisation, cluster, message="Secret plans of the org")
    intro.decline(introduction=asked, user=manager.user, reason="Our own reason")
    open_one = make_introduction(organisation, make_cluster())
    by_cluster = make_introduction(
        organisation,
        make_cluster(),
        direction="cluster",
        requested_by=manager.user,
        message="Mensaje del clúster",
    )
    client.force_login(organisation.user)
    client.post(reverse("matchmaking:delete_account"), {"password": "a-long-enough-passphrase"})

    asked.refresh_from_db()
    assert (asked.organisation, asked.message, asked.decline_reason) == (
        None,
        "",
        "Our own reason",
    )
    open_one.refresh_from_db()
    assert (open_one.organisation, open_one.status) == (None, "closed")
    by_cluster.refresh_from_db()
    assert (by_cluster.organisation, by_cluster.message) == (None, "Mensaje del clúster")
    client.force_login(manager.user)
    text = client.get(asked.get_absolute_url()).text
    assert "An organisation that has since left" in text
    assert "Our own reason" in text
    assert "Secret plans of the org" not in text


def test_a_manager_without_an_organisation_lands_on_my_clusters_linking_introductions(
    client, manager
):
    client.force_login(manager.user)
    response = client.get(reverse("matchmaking:dashboard"))
    assert response.status_code == 302
    assert response.url == reverse("clusters:my_clusters")
    page = client.get(response.url)
    assert reverse("matchmaking:introductions") in page.text
    assert reverse("matchmaking:cluster_organisations", args=[manager.cluster.slug]) in page.text
