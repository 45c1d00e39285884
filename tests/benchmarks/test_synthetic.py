"""Synthetic data: reproducible, shaped like the briefing, marked, removable, kept apart."""

from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from benchmarks.synthetic import generate, remove
from clusters.models import Cluster, QualityLabel, Sector
from matchmaking.models import Interest, Organisation, Suggestion
from tests.factories import (
    capture_enqueues,
    make_interest,
    make_organisation,
    make_suggestion,
)


def snapshot() -> dict:
    """Every synthetic row, by natural values (no ids), in a fixed order."""
    clusters = [
        (
            c.slug,
            c.name,
            c.state.code if c.state else None,
            sorted(s.slug for s in c.sectors.all()),
            sorted((label.level, label.is_valid) for label in c.labels.all()),
            c.description,
            c.members,
            c.companies,
            c.founded_year,
            c.is_formally_organised,
            c.sector_label,
        )
        for c in Cluster.objects.filter(is_synthetic=True)
        .select_related("state")
        .prefetch_related("sectors", "labels")
        .order_by("slug")
    ]
    organisations = [
        (
            o.name,
            o.user.email,
            o.country,
            o.kind,
            [
                (
                    i.title,
                    sorted(s.slug for s in i.sectors.all()),
                    sorted(s.code for s in i.states.all()),
                    i.kinds,
                    i.description,
                )
                for i in sorted(o.interests.all(), key=lambda i: i.title)
            ],
        )
        for o in Organisation.objects.filter(is_synthetic=True)
        .select_related("user")
        .prefetch_related("interests__sectors", "interests__states")
        .order_by("name")
    ]
    return {"clusters": clusters, "organisations": organisations}


def test_same_seed_same_data_other_seed_other_data(briefing):
    generate(clusters=200, organisations=100, seed=7)
    first = snapshot()
    remove()
    assert not Cluster.objects.filter(is_synthetic=True).exists()
    call_command("generate_synthetic", clusters=200, organisations=100, seed=7, verbosity=0)
    assert snapshot() == first
    assert len(first["clusters"]) == 200 and len(first["organisations"]) == 100

    generate(clusters=200, organisations=100, seed=8)
    assert snapshot() != first


def test_distributions_follow_the_briefing(briefing):
    generate(clusters=1000, organisations=300, seed=1)
    briefing_clusters = Cluster.objects.filter(is_synthetic=False)
    synthetic = Cluster.objects.filter(is_synthetic=True).prefetch_related("sectors", "labels")

    taxonomy = set(Sector.objects.values_list("slug", flat=True))
    sectors = Counter()
    for cluster in synthetic:
        slugs = [s.slug for s in cluster.sectors.all()]
        assert slugs and set(slugs) <= taxonomy  # every one has a sector of the taxonomy
        sectors.update(slugs)
    briefing_sectors = Counter(
        Cluster.sectors.through.objects.filter(cluster__is_synthetic=False).values_list(
            "sector__slug", flat=True
        )
    )
    assert sectors.most_common(1)[0][0] == briefing_sectors.most_common(1)[0][0]
    # Sectors the briefing never uses are never drawn.
    assert set(sectors) <= set(briefing_sectors)

    # The states the briefing names most hold the most synthetic clusters too.
    def top_states(clusters, n):
        counts = Counter(clusters.exclude(state=None).values_list("state__code", flat=True))
        return {code for code, _count in counts.most_common(n)}

    assert top_states(synthetic, 2) <= top_states(briefing_clusters, 4)

    def label_rate(clusters):
        labelled = QualityLabel.objects.filter(cluster__in=clusters).values("cluster").distinct()
        return labelled.count() / clusters.count()

    assert label_rate(synthetic) == pytest.approx(label_rate(briefing_clusters), abs=0.06)

    # Interests: 1-3 per organisation, each with a sector; the briefing's top sector leads.
    per_organisation = Counter(
        Interest.objects.filter(organisation__is_synthetic=True).values_list(
            "organisation", flat=True
        )
    )
    assert set(per_organisation.values()) <= {1, 2, 3}
    assert len(per_organisation) == 300
    interest_sectors = Counter(
        Interest.sectors.through.objects.filter(
            interest__organisation__is_synthetic=True
        ).values_list("sector__slug", flat=True)
    )
    assert interest_sectors.most_common(1)[0][0] == briefing_sectors.most_common(1)[0][0]


def test_synthetic_rows_are_clearly_marked(briefing):
    generate(clusters=20, organisations=10, seed=1)
    cluster = Cluster.objects.get(slug="synthetic-cluster-00001")
    assert cluster.name == "Synthetic cluster 00001" and cluster.is_synthetic
    assert cluster.source.startswith("Synthetic data")
    organisation = Organisation.objects.get(name="Synthetic organisation 000001")
    assert organisation.is_synthetic and not organisation.notify_by_email
    user = organisation.user
    assert user.email == "synthetic-000001@synthetic.invalid"
    assert not user.has_usable_password()
    assert not Cluster.objects.filter(is_synthetic=True).exclude(name__startswith="Synthetic")


def test_removal_removes_only_synthetic_rows(
    briefing, monkeypatch, django_capture_on_commit_callbacks
):
    real_cluster = Cluster.objects.filter(is_synthetic=False).order_by("pk").first()
    real_interest = make_interest(make_organisation())
    kept = make_suggestion(real_interest, real_cluster)
    before = {
        "clusters": Cluster.objects.count(),
        "organisations": Organisation.objects.count(),
        "interests": Interest.objects.count(),
        "users": get_user_model().objects.count(),
    }
    generate(clusters=50, organisations=20, seed=2)
    synthetic_cluster = Cluster.objects.filter(is_synthetic=True).first()
    synthetic_interest = Interest.objects.filter(organisation__is_synthetic=True).first()
    make_suggestion(real_interest, synthetic_cluster)  # real interest -> synthetic cluster
    make_suggestion(synthetic_interest, real_cluster)  # synthetic interest -> real cluster

    enqueued = capture_enqueues(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("remove_synthetic", verbosity=0)

    # The real interest lost a suggestion with the synthetic cluster: it is matched again.
    assert enqueued == [("matchmaking.tasks.match_interest", (real_interest.pk,))]
    real_interest.refresh_from_db()
    assert real_interest.changed_at > real_interest.created
    assert {
        "clusters": Cluster.objects.count(),
        "organisations": Organisation.objects.count(),
        "interests": Interest.objects.count(),
        "users": get_user_model().objects.count(),
    } == before
    assert list(Suggestion.objects.all()) == [kept]
    assert not Cluster.objects.filter(name__startswith="Synthetic").exists()


def test_load_briefing_leaves_synthetic_rows_alone(briefing):
    briefing_clusters = Cluster.objects.count()
    generate(clusters=100, organisations=10, seed=3)
    before = snapshot()
    updated = dict(Cluster.objects.filter(is_synthetic=True).values_list("pk", "updated"))

    call_command("load_briefing", verbosity=0)
    call_command("load_briefing", force=True, verbosity=0)

    assert snapshot() == before
    assert dict(Cluster.objects.filter(is_synthetic=True).values_list("pk", "updated")) == (updated)
    assert Cluster.objects.filter(is_synthetic=False).count() == briefing_clusters


@pytest.mark.django_db
def test_generation_needs_the_briefing():
    with pytest.raises(CommandError) as error:
        call_command("generate_synthetic", clusters=10, organisations=10, verbosity=0)
    message = str(error.value)
    assert "\n" not in message
    assert "load_briefing" in message
    assert not Cluster.objects.exists() and not Organisation.objects.exists()
