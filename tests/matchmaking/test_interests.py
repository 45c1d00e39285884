"""Stating, editing, pausing and deleting interests; marking suggestions."""

import pytest
from django.urls import reverse
from django.utils import timezone

from clusters.models import Sector, State
from matchmaking.matching import suggest
from matchmaking.models import Interest, Suggestion
from tests.factories import (
    capture_enqueues,
    make_cluster,
    make_interest,
    make_organisation,
    make_sector,
    make_suggestion,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisation(client):
    organisation = make_organisation()
    client.force_login(organisation.user)
    return organisation


@pytest.fixture
def enqueued(monkeypatch):
    return capture_enqueues(monkeypatch)


def interest_data(**overrides):
    data = {
        "title": "Aerospace suppliers",
        "sectors": [make_sector("aerospace").pk, make_sector("automotive").pk],
        "states": [],
        "kinds": ["supply_chain", "technology"],
        "description": "Turbine blades and composite interiors.",
    }
    return data | overrides


def test_new_interest_form_has_accessible_checkbox_groups(client, organisation, briefing):
    response = client.get(reverse("matchmaking:interest_new"))
    assert response.status_code == 200
    text = response.text
    assert text.count("<fieldset") >= 3  # sectors, states, kinds
    assert "<legend>Sectors" in text
    assert "Aerospace" in text and "Nuevo León" in text


def test_saving_an_interest_stores_it_and_enqueues_matching_after_commit(
    client, organisation, enqueued, django_capture_on_commit_callbacks
):
    state = State.objects.create(code="MX-QUE", name="Querétaro", slug="queretaro", source="t")
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            reverse("matchmaking:interest_new"), interest_data(states=[state.pk])
        )

    interest = Interest.objects.get()
    assert response.status_code == 302
    assert response.url == interest.get_absolute_url()
    assert interest.organisation == organisation
    assert interest.title == "Aerospace suppliers"
    assert sorted(interest.sectors.values_list("slug", flat=True)) == ["aerospace", "automotive"]
    assert list(interest.states.all()) == [state]
    assert interest.kinds == ["supply_chain", "technology"]
    assert interest.changed_at >= before
    assert interest.is_computing
    assert len(callbacks) == 1
    assert enqueued == [("matchmaking.tasks.match_interest", (interest.pk,))]


def test_nothing_is_enqueued_if_the_transaction_does_not_commit(client, organisation, enqueued):
    client.post(reverse("matchmaking:interest_new"), interest_data())
    assert Interest.objects.count() == 1
    assert enqueued == []  # the test transaction never commits


def test_a_broker_that_is_down_never_fails_the_request(
    client, organisation, monkeypatch, django_capture_on_commit_callbacks
):
    from matchmaking import tasks

    def down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.match_interest, "apply_async", down)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("matchmaking:interest_new"), interest_data())

    assert response.status_code == 302
    # Saved and waiting: the periodic sweep will find it.
    assert Interest.objects.needing_match(1).count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"sectors": []}, "sectors"),
        ({"sectors": [999999]}, "sectors"),
        ({"kinds": []}, "kinds"),
        ({"kinds": ["espionage"]}, "kinds"),
        ({"states": [999999]}, "states"),
        ({"title": ""}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"description": "x" * 4001}, "description"),
    ],
)
def test_invalid_interest_shows_field_errors_and_saves_nothing(
    client, organisation, enqueued, overrides, field
):
    response = client.post(reverse("matchmaking:interest_new"), interest_data(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert f'id="id_{field}_error"' in response.text
    assert Interest.objects.count() == 0


def test_editing_shows_current_values_and_saves_and_rematches(
    client, organisation, enqueued, django_capture_on_commit_callbacks
):
    interest = make_interest(organisation, sectors=["aerospace"], kinds=["skills"])
    old_changed_at = interest.changed_at
    url = reverse("matchmaking:interest_edit", args=[interest.pk])

    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"].initial["kinds"] == ["skills"]
    assert interest.title in page.text

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, interest_data(title="Renamed", kinds=["investment"]))

    assert response.status_code == 302
    interest.refresh_from_db()
    assert interest.title == "Renamed"
    assert interest.kinds == ["investment"]
    assert interest.changed_at > old_changed_at
    assert interest.is_computing
    assert enqueued == [("matchmaking.tasks.match_interest", (interest.pk,))]


def test_pause_and_resume(client, organisation, enqueued, django_capture_on_commit_callbacks):
    interest = make_interest(organisation)
    url = reverse("matchmaking:interest_pause", args=[interest.pk])

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    interest.refresh_from_db()
    assert not interest.is_active
    assert not interest.is_computing
    assert enqueued == []

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    interest.refresh_from_db()
    assert interest.is_active
    assert interest.is_computing
    assert enqueued == [("matchmaking.tasks.match_interest", (interest.pk,))]


def test_pause_needs_post(client, organisation):
    interest = make_interest(organisation)
    assert client.get(reverse("matchmaking:interest_pause", args=[interest.pk])).status_code == 405


def test_editing_a_paused_interest_does_not_score_it(
    client, organisation, enqueued, django_capture_on_commit_callbacks
):
    interest = make_interest(organisation, is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("matchmaking:interest_edit", args=[interest.pk]), interest_data())
    assert enqueued == []


def test_delete_asks_first_then_deletes_with_its_suggestions(client, organisation):
    interest = make_interest(organisation)
    make_suggestion(interest)
    url = reverse("matchmaking:interest_delete", args=[interest.pk])

    page = client.get(url)
    assert page.status_code == 200
    assert "cannot be undone" in page.text
    assert Interest.objects.count() == 1

    response = client.post(url)
    assert response.status_code == 302
    assert response.url == reverse("matchmaking:dashboard")
    assert Interest.objects.count() == 0
    assert Suggestion.objects.count() == 0


def test_detail_shows_ranked_suggestions_computed_by_the_engine(client, organisation, briefing):
    interest = make_interest(
        organisation,
        sectors=["aerospace"],
        states=["MX-QUE"],
        kinds=["supply_chain"],
        matched=False,
        description="Turbine parts and plane interiors",
    )
    suggest.rescore_interest(interest.pk)

    response = client.get(interest.get_absolute_url())

    assert response.status_code == 200
    assert not response.context["computing"]
    items = response.context["card"].suggestions
    assert items
    scores = [item["suggestion"].score for item in items]
    assert scores == sorted(scores, reverse=True)
    best = items[0]["suggestion"]
    assert best.cluster.get_absolute_url() in response.text
    assert "Same sector: Aerospace" in response.text
    assert "In your target state Querétaro" in response.text


def test_detail_shows_computing_with_a_static_poll_script(client, organisation):
    interest = make_interest(organisation, matched=False)
    response = client.get(interest.get_absolute_url())
    assert "Computing suggestions" in response.text
    assert "matchmaking/poll.js" in response.text
    assert "<script>" not in response.text  # nothing inline: CSP will forbid it
    assert 'http-equiv="refresh"' in response.text  # inside <noscript>


def test_mark_interested_then_not_relevant(client, organisation):
    suggestion = make_suggestion(make_interest(organisation))
    url = reverse("matchmaking:mark_suggestion", args=[suggestion.pk])

    response = client.post(url, {"status": "interested"})
    assert response.status_code == 302
    suggestion.refresh_from_db()
    assert suggestion.status == Suggestion.Status.INTERESTED
    assert suggestion.status_changed_at is not None
    assert suggestion.cluster.name in client.get(reverse("matchmaking:dashboard")).text

    client.post(url, {"status": "not_relevant"})
    suggestion.refresh_from_db()
    assert suggestion.status == Suggestion.Status.NOT_RELEVANT
    dashboard = client.get(reverse("matchmaking:dashboard"))
    assert suggestion.cluster.get_absolute_url() not in dashboard.text

    # The interest's page lists it among the dismissed, with a way back.
    detail = client.get(suggestion.interest.get_absolute_url())
    assert detail.context["dismissed"] == [suggestion]
    client.post(url, {"status": "new"})
    suggestion.refresh_from_db()
    assert suggestion.status == Suggestion.Status.NEW


def test_a_mark_survives_recomputation(client, organisation, briefing):
    interest = make_interest(organisation, sectors=["aerospace"], matched=False)
    suggest.rescore_interest(interest.pk)
    first, second = interest.suggestions.order_by("-score", "pk")[:2]
    client.post(reverse("matchmaking:mark_suggestion", args=[first.pk]), {"status": "interested"})
    client.post(
        reverse("matchmaking:mark_suggestion", args=[second.pk]), {"status": "not_relevant"}
    )

    suggest.rescore_interest(interest.pk)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Suggestion.Status.INTERESTED
    assert second.status == Suggestion.Status.NOT_RELEVANT
    shown = client.get(reverse("matchmaking:dashboard")).context["cards"][0].suggestions
    assert second.pk not in [item["suggestion"].pk for item in shown]


@pytest.mark.parametrize("status", ["", "maybe", "NEW"])
def test_mark_with_an_unknown_status_is_a_400(client, organisation, status):
    suggestion = make_suggestion(make_interest(organisation))
    response = client.post(
        reverse("matchmaking:mark_suggestion", args=[suggestion.pk]), {"status": status}
    )
    assert response.status_code == 400
    suggestion.refresh_from_db()
    assert suggestion.status == Suggestion.Status.NEW


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/interests/1/#x", "/interests/1/#x"),
        ("https://evil.example/", None),
        ("//evil.example/", None),
    ],
)
def test_mark_redirects_only_within_the_site(client, organisation, next_url, expected):
    suggestion = make_suggestion(make_interest(organisation))
    response = client.post(
        reverse("matchmaking:mark_suggestion", args=[suggestion.pk]),
        {"status": "interested", "next": next_url},
    )
    default = reverse("matchmaking:dashboard") + f"#interest-{suggestion.interest_id}"
    assert response.url == (expected or default)


def test_mark_needs_post(client, organisation):
    suggestion = make_suggestion(make_interest(organisation))
    url = reverse("matchmaking:mark_suggestion", args=[suggestion.pk])
    assert client.get(url).status_code == 405


def test_mark_buttons_are_post_forms_with_csrf(client, organisation):
    suggestion = make_suggestion(make_interest(organisation), make_cluster(name="Aero Cluster"))
    text = client.get(reverse("matchmaking:dashboard")).text
    action = reverse("matchmaking:mark_suggestion", args=[suggestion.pk])
    assert text.count(f'<form method="post" action="{action}">') == 2
    assert 'name="csrfmiddlewaretoken"' in text
    assert 'value="interested"' in text and 'value="not_relevant"' in text


def test_service_refuses_to_save_another_organisations_interest():
    from matchmaking import services

    interest = make_interest()
    with pytest.raises(ValueError):
        services.save_interest(
            organisation=make_organisation(),
            interest=interest,
            title="x",
            sectors=Sector.objects.all(),
            kinds=["skills"],
        )


def test_interests_read_without_a_cluster_index_get_their_related_sectors():
    """Where no process keeps a cluster index (SQLite, a one-off caller), locking and reading
    interests reads which sectors are related itself."""
    from django.db import transaction

    from clusters.models import Ecosystem

    aerospace, electronics = make_sector("aerospace"), make_sector("electronics")
    Ecosystem.objects.create(slug="eco", name="Eco").sectors.set([aerospace, electronics])
    interest = make_interest(sectors=["aerospace"])
    with transaction.atomic():
        [read] = suggest.lock_and_read([interest.pk], None)
    assert read.features.related_sectors == {"electronics"}


def test_a_new_interest_starts_from_a_match_previews_choices(client, organisation, briefing):
    url = reverse("matchmaking:interest_new")
    query = "sectors=aerospace&states=MX-BCN&kinds=technology&description=Turbine+parts"
    form = client.get(f"{url}?{query}").context["form"]
    assert [sector.slug for sector in form["sectors"].initial] == ["aerospace"]
    assert [state.code for state in form["states"].initial] == ["MX-BCN"]
    assert form["kinds"].initial == ["technology"]
    assert form["description"].initial == "Turbine parts"
    # Choices that are not valid start an empty form, never an error.
    assert client.get(f"{url}?sectors=no-such-sector").context["form"].initial == {}


def test_the_confirmation_of_a_mark_is_in_the_card_not_over_the_page(client, organisation):
    suggestion = make_suggestion(make_interest(organisation))
    make_suggestion(suggestion.interest)
    client.post(
        reverse("matchmaking:mark_suggestion", args=[suggestion.pk]), {"status": "interested"}
    )
    text = client.get(reverse("matchmaking:dashboard")).text
    card = text[text.index(f'id="suggestion-{suggestion.pk}"') :]
    card = card[: card.index('class="mark-actions"')]
    assert '<p class="card-message" role="status">Marked “' in card
    assert text.count("Marked “") == 1  # not in the page's messages too
