"""A changed cluster updates only the suggestions it alters (``matching.cluster_change``).

The property test in test_candidates_property.py checks the outcome on random instances;
these pin down the cases it may meet rarely: text points bringing a cluster in, ties at the
floor, the one-row delta leaving the other suggestions untouched (a cluster entering, or
scoring lower but still above the N-th), marks kept.
"""

import datetime

import pytest
from django.test import override_settings
from django.utils import timezone

from matchmaking import services
from matchmaking.matching import cluster_change, features, suggest
from matchmaking.models import Interest, Suggestion
from tests.factories import make_cluster, make_interest

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("top_two")]
REACH_BY_TERMS = "only PostgreSQL's index bounds a cluster's reach by the terms it shares"


@pytest.fixture
def top_two():
    with override_settings(MATCH_TOP_N=2):
        yield


def current(interest) -> list[tuple[int, int]]:
    rows = Suggestion.objects.filter(interest=interest, is_current=True)
    return sorted(rows.values_list("cluster_id", "score"))


def reachable(cluster) -> set[int]:
    now = features.published(build=True)
    return set(cluster_change._reachable(now.index.by_id[cluster.pk], now))


@pytest.mark.postgresql(reason=REACH_BY_TERMS)
def test_shared_terms_bring_a_cluster_in_as_one_row():
    sized_a = make_cluster(sectors=["s-x"], members=10)  # 40 + 4 for its known size
    sized_b = make_cluster(sectors=["s-x"], members=10)
    plain = make_cluster(sectors=["s-x"])  # 40
    interest = make_interest(sectors=["s-x"], kinds=(), description="turbine machining supplier")
    unrelated = make_interest(sectors=["s-x"], kinds=(), description="logistics software")
    suggest.rescore_interests([interest.pk, unrelated.pk])
    assert current(interest) == [(sized_a.pk, 44), (sized_b.pk, 44)]
    kept = Suggestion.objects.get(interest=interest, cluster=sized_a)
    pushed_out = Suggestion.objects.get(interest=interest, cluster=sized_b)
    services.mark_suggestion(suggestion=pushed_out, status=Suggestion.Status.INTERESTED)

    plain.description = "Turbine machining for every supplier"  # three shared terms: +6
    plain.save()
    # The database bounds the reach by terms: the interest sharing none is not even read.
    assert reachable(plain) == {interest.pk}
    results = suggest.apply_cluster_change(plain.pk)

    assert [(r.interest_id, r.stored, r.new) for r in results] == [(interest.pk, 1, 1)]
    assert current(interest) == [(sized_a.pk, 44), (plain.pk, 46)]
    pushed_out.refresh_from_db()
    assert (pushed_out.is_current, pushed_out.status) == (False, Suggestion.Status.INTERESTED)
    # One row written: the suggestion that stayed was not rewritten.
    assert Suggestion.objects.get(pk=kept.pk).computed_at == kept.computed_at
    interest.refresh_from_db()
    assert (interest.match_floor, interest.match_floor_cluster) == (44, sized_a.pk)


@pytest.mark.postgresql(reason=REACH_BY_TERMS)
def test_a_tie_at_the_floor_enters_only_with_a_lower_id():
    lower = make_cluster(sectors=["s-other"])
    holder = make_cluster(sectors=["s-x"])
    second = make_cluster(sectors=["s-x"])
    interest = make_interest(sectors=["s-x"], kinds=())
    suggest.rescore_interests([interest.pk])
    assert current(interest) == [(holder.pk, 40), (second.pk, 40)]

    higher = make_cluster(sectors=["s-x"])  # 40 as well, but ranks after both
    assert interest.pk not in reachable(higher)
    assert suggest.apply_cluster_change(higher.pk) == []
    assert current(interest) == [(holder.pk, 40), (second.pk, 40)]

    lower.sectors.set([holder.sectors.get()])  # 40, and ranks first
    suggest.apply_cluster_change(lower.pk)
    assert current(interest) == [(lower.pk, 40), (holder.pk, 40)]
    assert not Suggestion.objects.filter(cluster=second).exists()  # unmarked: deleted
    interest.refresh_from_db()
    assert (interest.match_floor, interest.match_floor_cluster) == (40, holder.pk)


def test_a_cluster_scoring_lower_but_above_the_nth_is_one_row():
    best = make_cluster(sectors=["s-x"], members=10)
    middle = make_cluster(sectors=["s-x"])
    make_cluster(sectors=["s-x"])  # 40, outside the top two: ranks after both
    interest = make_interest(sectors=["s-x"], kinds=())
    suggest.rescore_interests([interest.pk])
    assert current(interest) == [(best.pk, 44), (middle.pk, 40)]
    interest.refresh_from_db()
    matched_at = interest.matched_at
    untouched = Suggestion.objects.get(interest=interest, cluster=middle).computed_at

    best.members = None  # 44 -> 40: still first (a lower id than the N-th's)
    best.save()
    results = suggest.apply_cluster_change(best.pk)

    assert [(r.interest_id, r.stored) for r in results] == [(interest.pk, 1)]
    assert current(interest) == [(best.pk, 40), (middle.pk, 40)]
    assert Suggestion.objects.get(interest=interest, cluster=middle).computed_at == untouched
    interest.refresh_from_db()
    assert interest.matched_at == matched_at  # patched, not matched again
    assert (interest.match_floor, interest.match_floor_cluster) == (40, middle.pk)


def test_a_cluster_scoring_lower_to_the_nth_is_rescored_in_full():
    outside = make_cluster(sectors=["s-x"])  # 40, the lowest id
    first = make_cluster(sectors=["s-x"], members=10)
    falling = make_cluster(sectors=["s-x"], members=10)
    interest = make_interest(sectors=["s-x"], kinds=())
    suggest.rescore_interests([interest.pk])
    assert current(interest) == [(first.pk, 44), (falling.pk, 44)]

    falling.members = None  # 44 -> 40: now the N-th, and the cluster outside outranks it
    falling.save()
    suggest.apply_cluster_change(falling.pk)

    assert current(interest) == [(outside.pk, 40), (first.pk, 44)]
    interest.refresh_from_db()
    assert (interest.match_floor, interest.match_floor_cluster) == (40, outside.pk)


def test_an_unpublished_cluster_is_rescored_in_full():
    best = make_cluster(sectors=["s-x"], members=10)
    middle = make_cluster(sectors=["s-x"])
    spare = make_cluster(sectors=["s-x"])
    interest = make_interest(sectors=["s-x"], kinds=())
    suggest.rescore_interests([interest.pk])
    assert current(interest) == [(best.pk, 44), (middle.pk, 40)]

    best.is_published = False
    best.save()
    suggest.apply_cluster_change(best.pk)
    assert current(interest) == [(middle.pk, 40), (spare.pk, 40)]


def test_an_interest_edited_since_it_was_matched_is_rescored_in_full():
    holder = make_cluster(sectors=["s-x"])
    interest = make_interest(sectors=["s-x"], kinds=())
    suggest.rescore_interests([interest.pk])
    Interest.objects.filter(pk=interest.pk).update(changed_at=timezone.now())  # edited
    entering = make_cluster(sectors=["s-x"], members=10)

    results = suggest.apply_cluster_change(entering.pk)

    assert [r.interest_id for r in results] == [interest.pk]
    assert current(interest) == [(holder.pk, 40), (entering.pk, 44)]
    interest.refresh_from_db()
    assert not interest.is_computing  # matched again, not patched


def test_a_change_is_pending_until_applied_and_kept_if_the_cluster_changed_again(monkeypatch):
    from clusters.models import Cluster
    from clusters.signals import clusters_changed
    from matchmaking.models import PendingClusterChange
    from matchmaking.tasks import run_cluster_change

    cluster = make_cluster(sectors=["s-x"])
    clusters_changed.send(sender=Cluster, cluster_ids=[cluster.pk])
    first = PendingClusterChange.objects.get(cluster=cluster).requested_at
    clusters_changed.send(sender=Cluster, cluster_ids=[cluster.pk])  # once more: still one row
    assert PendingClusterChange.objects.get(cluster=cluster).requested_at >= first

    run_cluster_change(cluster.pk)
    assert not PendingClusterChange.objects.exists()

    # Changed again while its task ran: that change has its own task, so its row stays.
    clusters_changed.send(sender=Cluster, cluster_ids=[cluster.pk])
    later = timezone.now() + datetime.timedelta(seconds=1)
    original = cluster_change.apply

    def changed_meanwhile(cluster_id):
        PendingClusterChange.objects.filter(cluster_id=cluster_id).update(requested_at=later)
        return original(cluster_id)

    monkeypatch.setattr(cluster_change, "apply", changed_meanwhile)
    run_cluster_change(cluster.pk)
    assert PendingClusterChange.objects.get(cluster=cluster).requested_at == later


@pytest.mark.parametrize("how", ["delete page", "bulk action"])
def test_a_deleted_cluster_leaves_no_gap_in_the_top_n(
    how, admin_client, monkeypatch, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from matchmaking.tasks import match_interest
    from tests.factories import capture_enqueues

    first = make_cluster(sectors=["s-x"], members=10)
    second = make_cluster(sectors=["s-x"], members=10)
    third = make_cluster(sectors=["s-x"])  # ranked third: not suggested while top two stand
    interest = make_interest(sectors=["s-x"], kinds=())
    suggest.rescore_interests([interest.pk])
    assert [pk for pk, _score in current(interest)] == [first.pk, second.pk]

    enqueued = capture_enqueues(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):  # its suggestions go with it
        if how == "delete page":
            url = reverse("admin:clusters_cluster_delete", args=[first.pk])
            response = admin_client.post(url, {"post": "yes"})
        else:
            response = admin_client.post(
                reverse("admin:clusters_cluster_changelist"),
                {"action": "delete_selected", "_selected_action": [first.pk], "post": "yes"},
            )
    assert response.status_code == 302
    assert not type(first).objects.filter(pk=first.pk).exists()

    assert enqueued == [("matchmaking.tasks.match_interest", (interest.pk,))]
    assert Interest.objects.get(pk=interest.pk).is_computing
    match_interest(interest.pk)  # what the worker then runs
    assert [pk for pk, _score in current(interest)] == [second.pk, third.pk]
