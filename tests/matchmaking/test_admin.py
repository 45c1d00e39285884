"""The matchmaking admin, the re-match action, and the introductions CSV."""

import csv
import io

import pytest
from django.contrib.admin.sites import site
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from matchmaking import services
from matchmaking.models import Interest, Introduction, MatchRun, Organisation, Suggestion
from tests.factories import (
    capture_enqueues,
    make_cluster,
    make_interest,
    make_introduction,
    make_organisation,
    make_sector,
    make_state,
    make_suggestion,
    make_user,
)

pytestmark = pytest.mark.django_db
CSV_URL = reverse("matchmaking:introductions_csv")
HEADER = services.INTRODUCTIONS_CSV_HEADER


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("admin", "admin@example.eu", "pw")
    client.force_login(user)
    return user


def rows(response) -> list[list[str]]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(content.decode())))


@pytest.mark.parametrize("model", [Organisation, Interest, Suggestion, MatchRun])
def test_changelists_and_change_pages_load(client, staff, model):
    suggestion = make_suggestion(status="interested", status_changed_at=timezone.now())
    MatchRun.objects.create(trigger=MatchRun.Trigger.SWEEP, error="boom")
    objects = {
        Organisation: suggestion.interest.organisation,
        Interest: suggestion.interest,
        Suggestion: suggestion,
        MatchRun: MatchRun.objects.get(),
    }
    info = (model._meta.app_label, model._meta.model_name)
    assert client.get(reverse("admin:{}_{}_changelist".format(*info))).status_code == 200
    change = reverse("admin:{}_{}_change".format(*info), args=[objects[model].pk])
    assert client.get(change).status_code == 200


@pytest.mark.parametrize("model", [Suggestion, MatchRun])
def test_computed_records_are_read_only(rf, staff, model):
    request = rf.get("/")
    request.user = staff
    model_admin = site._registry[model]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert model_admin.has_view_permission(request)


def test_organisation_search_by_email_and_filters(client, staff):
    make_organisation(make_user("ana@aero.example"), name="Aero", country="FR")
    make_organisation(name="Other", country="ES", email_verified_at=timezone.now())
    url = reverse("admin:matchmaking_organisation_changelist")

    def names(query):
        return [o.name for o in client.get(url, query).context["cl"].result_list]

    assert names({"q": "aero.example"}) == ["Aero"]
    assert names({"verified": "yes"}) == ["Other"]
    assert names({"verified": "no"}) == ["Aero"]
    assert names({"country": "ES"}) == ["Other"]


def test_interest_filters(client, staff):
    make_interest(sectors=["aerospace"], title="A")
    make_interest(sectors=["automotive"], title="B", is_active=False)
    url = reverse("admin:matchmaking_interest_changelist")
    response = client.get(url, {"is_active__exact": "1"})
    assert [i.title for i in response.context["cl"].result_list] == ["A"]


def test_rematch_action_enqueues_active_interests(
    client, staff, monkeypatch, django_capture_on_commit_callbacks
):
    enqueued = capture_enqueues(monkeypatch)
    active = make_interest()
    paused = make_interest(is_active=False)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:matchmaking_interest_changelist"),
            {"action": "rematch", "_selected_action": [active.pk, paused.pk]},
            follow=True,
        )

    assert response.status_code == 200
    assert enqueued == [("matchmaking.tasks.match_interest", (active.pk,))]
    active.refresh_from_db()
    assert active.is_computing  # changed_at moved: the sweep catches up if the broker is down


def test_saving_an_interest_in_the_admin_rematches_it(
    client, staff, monkeypatch, django_capture_on_commit_callbacks
):
    enqueued = capture_enqueues(monkeypatch)
    interest = make_interest(title="Old")
    url = reverse("admin:matchmaking_interest_change", args=[interest.pk])
    data = {
        "organisation": interest.organisation_id,
        "title": "New",
        "sectors": [s.pk for s in interest.sectors.all()],
        "kinds": ["skills", "investment"],
        "description": "",
        "is_active": "on",
        "suggestions-TOTAL_FORMS": "0",
        "suggestions-INITIAL_FORMS": "0",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    interest.refresh_from_db()
    assert interest.title == "New"
    assert interest.kinds == ["skills", "investment"]
    assert enqueued == [("matchmaking.tasks.match_interest", (interest.pk,))]


def _introductions():
    organisation = make_organisation(
        make_user("contact@aero.example"), name="=HYPERLINK(1)", country="FR"
    )
    interest = make_interest(
        organisation, title="Aero suppliers", description="+turbine blades and composites"
    )
    cluster = make_cluster(name="Cluster Aeroespacial", state=make_state("MX-QUE", "Querétaro"))
    introduction = make_introduction(
        organisation, cluster, interest=interest, message="@once: let us meet", kinds=["technology"]
    )
    Introduction.objects.filter(pk=introduction.pk).update(
        status="accepted", answered_at=introduction.created, outcome="met",
        outcome_at=introduction.created,
    )  # fmt: skip
    other = make_introduction(cluster=make_cluster(name="Other cluster"))
    introduction.refresh_from_db()
    return introduction, other


def test_staff_csv_lists_introductions_with_status_dates_message_interest_outcome(client, staff):
    introduction, other = _introductions()

    response = client.get(CSV_URL)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    table = rows(response)
    assert table[0] == HEADER
    assert [row[0] for row in table[1:]] == [str(other.pk), str(introduction.pk)]  # newest first
    at = introduction.created.isoformat(timespec="seconds")
    assert dict(zip(HEADER, table[2], strict=True)) == {
        "id": str(introduction.pk),
        "asked by": "organisation",
        "organisation": "'=HYPERLINK(1)",  # never run as a spreadsheet formula
        "country": "FR",
        "contact email": "contact@aero.example",
        "cluster": "Cluster Aeroespacial",
        "cluster state": "Querétaro",
        "status": "accepted",
        "requested at": at,
        "answered at": at,
        "expires at": introduction.expires_at.isoformat(timespec="seconds"),
        "message": "'@once: let us meet",
        "proposed cooperation": "technology",
        "interest title": "Aero suppliers",
        "interest description": "'+turbine blades and composites",
        "decline reason": "",
        "reported as spam at": "",
        "introduced by staff": "",
        "outcome": "met",
        "outcome at": at,
    }


def test_staff_csv_is_for_staff_only(client):
    assert client.get(CSV_URL).status_code == 302
    client.force_login(make_organisation().user)
    response = client.get(CSV_URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_admin_action_exports_the_selected_introductions(client, staff):
    introduction, _other = _introductions()

    response = client.post(
        reverse("admin:matchmaking_introduction_changelist"),
        {"action": "export_csv", "_selected_action": [introduction.pk]},
    )

    assert response.status_code == 200
    table = rows(response)
    assert table[0] == HEADER
    assert [row[5] for row in table[1:]] == ["Cluster Aeroespacial"]


def _sector_form(sector, *, strongholds=(), ecosystems=(), name=None) -> dict:
    """The Sector admin's change form as a browser posts it: the sector's fields, its
    ecosystems and its strongholds (the existing ones replaced by ``strongholds``)."""
    existing = list(sector.strongholds.order_by("pk"))
    data = {
        "name_en": name or sector.name_en,
        "name_es": sector.name_es,
        "slug": sector.slug,
        "ecosystems": [ecosystem.pk for ecosystem in ecosystems],
        "source": sector.source,
        "strongholds-TOTAL_FORMS": str(len(existing) + len(strongholds)),
        "strongholds-INITIAL_FORMS": str(len(existing)),
        "facts-TOTAL_FORMS": "0",
        "facts-INITIAL_FORMS": "0",
    }
    for number, row in enumerate(existing):
        data |= {
            f"strongholds-{number}-id": row.pk, f"strongholds-{number}-sector": sector.pk,
            f"strongholds-{number}-state": row.state_id,
            f"strongholds-{number}-position": row.position,
            f"strongholds-{number}-source": row.source, f"strongholds-{number}-DELETE": "on",
        }  # fmt: skip
    for number, state in enumerate(strongholds, start=len(existing)):
        data |= {
            f"strongholds-{number}-sector": sector.pk, f"strongholds-{number}-state": state.pk,
            f"strongholds-{number}-position": number + 1,
            f"strongholds-{number}-source": "Table 2",
        }  # fmt: skip
    return data


def test_a_sector_stronghold_edit_rematches_the_interests_it_touches(
    client, staff, monkeypatch, django_capture_on_commit_callbacks
):
    from clusters.models import Ecosystem

    aerospace = make_sector("aerospace")
    mobility = Ecosystem.objects.create(slug="mobility", name="Mobility")
    make_sector("automotive").ecosystems.add(mobility)
    chosen = make_interest(sectors=["aerospace"])
    related = make_interest(sectors=["automotive"])  # aerospace joins its ecosystem below
    make_interest(sectors=["textile"])  # elsewhere: not touched
    make_interest(sectors=["aerospace"], is_active=False)  # paused: not scored
    url = reverse("admin:clusters_sector_change", args=[aerospace.pk])

    enqueued = capture_enqueues(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, _sector_form(aerospace, name="Aerospace (renamed)"))
    assert response.status_code == 302
    assert enqueued == []  # a new name scores nothing differently

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, _sector_form(aerospace, strongholds=[make_state()], ecosystems=[mobility])
        )
    assert response.status_code == 302
    assert list(aerospace.strongholds.values_list("state__code", flat=True)) == ["MX-NLE"]
    assert enqueued == [
        ("matchmaking.tasks.match_interests", ([chosen.pk, related.pk], MatchRun.Trigger.CLUSTER))
    ]
    computing = [i.pk for i in Interest.objects.order_by("pk") if i.is_computing]
    assert computing == [chosen.pk, related.pk]  # not the textile one, nor the paused one


def test_admin_is_branded_and_links_the_exports(client, staff):
    page = client.get(reverse("admin:index")).content.decode()
    assert "EU–Mexico cluster matchmaking: staff" in page
    assert "<title>" in page and "Django site admin" not in page
    assert f'href="{reverse("matchmaking:introductions_csv")}"' in page
    # No second index beside every list: the lists get the width of a 1280 px screen.
    clusters = client.get(reverse("admin:clusters_cluster_changelist")).content.decode()
    assert 'id="nav-sidebar"' not in clusters


def test_match_runs_are_named_by_what_they_matched(client, staff, django_assert_max_num_queries):
    cluster = make_cluster(name="Clúster Aeroespacial de Prueba")
    interest = make_interest(title="Turbine partners")
    MatchRun.objects.create(trigger=MatchRun.Trigger.CLUSTER, subject=f"cluster {cluster.pk}")
    MatchRun.objects.create(trigger=MatchRun.Trigger.INTEREST, subject=f"interest {interest.pk}")
    MatchRun.objects.create(trigger=MatchRun.Trigger.SWEEP, subject="3 interests")
    with django_assert_max_num_queries(8):  # the same for any number of runs: no query per row
        page = client.get(reverse("admin:matchmaking_matchrun_changelist")).content.decode()
    assert "Cluster: Clúster Aeroespacial de Prueba" in page
    assert "Interest: Turbine partners" in page
    assert "3 interests" in page
    assert f"cluster {cluster.pk}<" not in page
