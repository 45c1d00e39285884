"""Synthetic clusters and organisations at platform scale, for benchmarks and load tests.

``generate()`` derives its distributions from the briefing data already in the database and
draws everything from one ``random.Random(seed)``, so the same seed and sizes give the same
rows (names, sectors, states, labels, text, interests) in any database:

- a synthetic cluster copies the sectors, state, labels, sector label, formally-organised flag
  and "figures known" flag of a briefing cluster picked at random (so sector frequencies, state
  frequencies, the label rate and their correlations follow the briefing); with probability
  ``STATE_SHUFFLE`` its state is redrawn from the briefing's state frequencies instead, so
  that every state the briefing names gets clusters. A description is written with the
  briefing's rate of clusters that have one, from words of that sector's briefing text;
- a synthetic organisation has 1-3 interests whose sectors follow the briefing's sector
  frequencies, whose target states follow its state frequencies (or "anywhere"), with a
  description drawn from the same sector vocabulary as the clusters'.

Every row is marked: ``is_synthetic=True``, names like "Synthetic cluster 00042" and
"Synthetic organisation 000042", users ``synthetic-000042@synthetic.invalid`` with an unusable
password, no email notifications. Synthetic clusters are published (the directory and the
matching must work at this size) and carry ``source`` "Synthetic data (...)"; the briefing
loader never touches them (their slugs start with ``synthetic-``). ``remove()`` deletes every
synthetic row and nothing else.
"""

import random
import re
from bisect import bisect
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from clusters.models import Cluster, QualityLabel, Sector, SectorFact, SectorLabel
from clusters.text import fold
from matchmaking.countries import COUNTRY_CODES
from matchmaking.models import PRIVACY_NOTICE_VERSION, Interest, MatchRun, Organisation, Suggestion
from matchmaking.services import request_rematch

SLUG_PREFIX = "synthetic-cluster-"
EMAIL_DOMAIN = "synthetic.invalid"
STATE_SHUFFLE = 0.3  # share of synthetic clusters whose state is redrawn independently
BATCH = 5000  # rows per bulk INSERT
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)  # fixed, so that data is reproducible

# Organisations: kinds, interests per organisation, sectors and states per interest.
ORGANISATION_KINDS = {"sme": 70, "cluster": 15, "rto": 10, "bso": 5}
INTERESTS_PER_ORGANISATION = {1: 40, 2: 35, 3: 25}
SECTORS_PER_INTEREST = {1: 70, 2: 25, 3: 5}
STATES_PER_INTEREST = {0: 40, 1: 35, 2: 15, 3: 10}  # 0 = anywhere in Mexico
KINDS_PER_INTEREST = {1: 55, 2: 35, 3: 10}
INTEREST_DESCRIPTION_RATE = 0.8
KIND_WEIGHTS = {
    "market_access": 30,
    "technology": 25,
    "supply_chain": 20,
    "cluster_cooperation": 15,
    "investment": 5,
    "skills": 5,
}

_WORD = re.compile(r"[^\W\d_]{4,}")


class SyntheticError(Exception):
    """Synthetic data cannot be generated; the message says why, in one line."""


@dataclass
class Report:
    clusters: int = 0
    organisations: int = 0
    interests: int = 0
    removed: dict[str, int] = field(default_factory=dict)

    def __str__(self):
        return (
            f"{self.clusters} synthetic clusters, {self.organisations} synthetic organisations "
            f"with {self.interests} interests"
        )


class Weighted:
    """Draw from ``{value: weight}`` (values in a fixed order) with a given Random."""

    def __init__(self, weights: dict):
        items = [(value, weight) for value, weight in weights.items() if weight > 0]
        if not items:
            raise SyntheticError("empty distribution")
        self.values = [value for value, _weight in items]
        self.cumulative = list(accumulate(weight for _value, weight in items))

    def draw(self, rng: random.Random):
        return self.values[bisect(self.cumulative, rng.random() * self.cumulative[-1])]

    def draw_distinct(self, rng: random.Random, count: int) -> list:
        count = min(count, len(self.values))
        chosen: list = []
        while len(chosen) < count:
            value = self.draw(rng)
            if value not in chosen:
                chosen.append(value)
        return chosen


@dataclass(frozen=True)
class Template:
    """What a synthetic cluster copies from a briefing cluster."""

    sectors: tuple[int, ...]
    sector_slugs: tuple[str, ...]
    state_id: int | None
    sector_label: str
    formally_organised: bool
    has_figures: bool
    labels: tuple[tuple[str, bool], ...]


@dataclass
class Distributions:
    """Everything drawn from the briefing clusters in the database."""

    templates: list[Template]
    states: Weighted  # state id (None = unknown) by briefing cluster count
    interest_states: Weighted  # state id by briefing cluster count (known states only)
    sectors: Weighted  # sector id by briefing cluster count
    sector_slugs: dict[int, str]
    description_rate: float
    vocabulary: dict[int, list[str]]  # sector id -> words of its briefing text
    generic: list[str]


def briefing_distributions() -> Distributions:
    """Read the briefing's distributions from the database (synthetic rows excluded)."""
    clusters = list(
        Cluster.objects.filter(is_synthetic=False)
        .order_by("slug")
        .prefetch_related("sectors", "labels")
    )
    if not clusters or not Sector.objects.exists():
        raise SyntheticError(
            "the briefing is not loaded: run `python manage.py load_briefing` first"
        )
    sectors = {sector.pk: sector for sector in Sector.objects.order_by("slug")}
    templates = []
    state_counts: Counter = Counter()
    sector_counts: Counter = Counter()
    for cluster in clusters:
        cluster_sectors = sorted(cluster.sectors.all(), key=lambda s: s.slug)
        templates.append(
            Template(
                sectors=tuple(s.pk for s in cluster_sectors),
                sector_slugs=tuple(s.slug for s in cluster_sectors),
                state_id=cluster.state_id,
                sector_label=cluster.sector_label,
                formally_organised=cluster.is_formally_organised,
                has_figures=any(
                    v is not None
                    for v in (cluster.members, cluster.companies, cluster.founded_year)
                ),
                labels=tuple(
                    sorted((label.level, label.is_valid) for label in cluster.labels.all())
                ),
            )
        )
        state_counts[cluster.state_id] += 1
        sector_counts.update(s.pk for s in cluster_sectors)
    if not sector_counts:
        raise SyntheticError("the briefing clusters have no sectors: reload the briefing")
    state_order = sorted(state_counts, key=lambda pk: (pk is None, pk or 0))
    return Distributions(
        templates=templates,
        states=Weighted({pk: state_counts[pk] for pk in state_order}),
        interest_states=Weighted({pk: state_counts[pk] for pk in state_order if pk}),
        sectors=Weighted({pk: sector_counts[pk] for pk in sorted(sector_counts)}),
        sector_slugs={pk: sector.slug for pk, sector in sectors.items()},
        description_rate=sum(1 for c in clusters if c.description) / len(clusters),
        vocabulary=_vocabulary(clusters, sectors),
        generic=_words(" ".join(c.description for c in clusters)) or ["cluster"],
    )


def _words(text: str) -> list[str]:
    return sorted(set(_WORD.findall(text)))


def _vocabulary(clusters, sectors) -> dict[int, list[str]]:
    """Per sector: words of its names, its briefing labels and facts, and the descriptions of
    the briefing clusters in it."""
    texts: dict[int, list[str]] = {pk: [s.name_en, s.name_es] for pk, s in sectors.items()}
    for label in SectorLabel.objects.prefetch_related("sectors").order_by("label"):
        for sector in label.sectors.all():
            texts[sector.pk].append(label.label)
    for fact in SectorFact.objects.order_by("sector__slug", "position"):
        texts[fact.sector_id].append(fact.text)
    for cluster in clusters:
        for sector in cluster.sectors.all():
            texts[sector.pk] += [cluster.description, cluster.sector_label]
    return {pk: _words(" ".join(parts)) for pk, parts in texts.items()}


def _words_for(rng: random.Random, dist: Distributions, sectors, low: int, high: int) -> str:
    """``low``-``high`` words of the sectors' briefing vocabulary, a fifth more of any."""
    pool = [word for pk in sectors for word in dist.vocabulary.get(pk, ())] or dist.generic
    words = [rng.choice(pool) for _ in range(rng.randint(low, high))]
    words += [rng.choice(dist.generic) for _ in range(len(words) // 4)]
    rng.shuffle(words)
    return " ".join(words)


def _bulk(model, rows: Sequence) -> list:
    return model.objects.bulk_create(rows, batch_size=BATCH)


# --- Clusters -----------------------------------------------------------------------------


def _make_clusters(rng: random.Random, dist: Distributions, count: int, seed: int) -> int:
    labels_of: dict[int, tuple] = {}
    sectors_of: dict[int, tuple] = {}
    clusters = []
    for number in range(1, count + 1):
        template = rng.choice(dist.templates)
        state_id = template.state_id
        if rng.random() < STATE_SHUFFLE:
            state_id = dist.states.draw(rng)
        sectors = template.sectors or (dist.sectors.draw(rng),)
        has_description = rng.random() < dist.description_rate
        description = (
            f"Synthetic profile: {_words_for(rng, dist, sectors, 25, 60)}."
            if has_description
            else ""
        )
        figures = template.has_figures
        name = f"Synthetic cluster {number:05d}"
        acronym = f"SYN{number:05d}"
        clusters.append(
            Cluster(
                slug=f"{SLUG_PREFIX}{number:05d}",
                name=name,
                acronym=acronym,
                state_id=state_id,
                sector_label=template.sector_label,
                description=description,
                members=rng.randint(10, 400) if figures else None,
                companies=rng.randint(5, 300) if figures else None,
                founded_year=rng.randint(1995, 2016) if figures else None,
                is_formally_organised=template.formally_organised,
                source=f"Synthetic data (generate_synthetic --seed {seed})",
                is_published=True,
                is_synthetic=True,
                search_text=fold(f"{name} | {acronym}"),
            )
        )
        labels_of[number] = template.labels
        sectors_of[number] = sectors
    created = _bulk(Cluster, clusters)
    through = Cluster.sectors.through
    _bulk(
        through,
        [
            through(cluster_id=cluster.pk, sector_id=sector_id)
            for number, cluster in enumerate(created, start=1)
            for sector_id in sectors_of[number]
        ],
    )
    _bulk(
        QualityLabel,
        [
            QualityLabel(
                cluster_id=cluster.pk,
                level=level,
                is_valid=valid,
                validity_note="" if valid else "Synthetic: lapsed label",
                source="Synthetic data",
            )
            for number, cluster in enumerate(created, start=1)
            for level, valid in labels_of[number]
        ],
    )
    return len(created)


# --- Organisations and interests ----------------------------------------------------------


def _make_organisations(
    rng: random.Random,
    dist: Distributions,
    count: int,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    user_model = get_user_model()
    kinds = Weighted(ORGANISATION_KINDS)
    interests_per = Weighted(INTERESTS_PER_ORGANISATION)
    sectors_per = Weighted(SECTORS_PER_INTEREST)
    states_per = Weighted(STATES_PER_INTEREST)
    kinds_per = Weighted(KINDS_PER_INTEREST)
    interest_kinds = Weighted(KIND_WEIGHTS)
    # Unusable passwords look like "!<random>"; one is enough for everybody (they never log in).
    password = make_password(None)
    total_interests = 0
    for start in range(1, count + 1, BATCH):
        numbers = range(start, min(start + BATCH, count + 1))
        users, organisations, plans = [], [], []
        for number in numbers:
            email = f"synthetic-{number:06d}@{EMAIL_DOMAIN}"
            joined = BASE_TIME + timedelta(seconds=number)
            users.append(
                user_model(username=email, email=email, password=password, date_joined=joined)
            )
            organisations.append(
                Organisation(
                    name=f"Synthetic organisation {number:06d}",
                    country=rng.choice(COUNTRY_CODES),
                    kind=kinds.draw(rng),
                    consent_at=joined,
                    consent_version=PRIVACY_NOTICE_VERSION,
                    notify_by_email=False,
                    is_synthetic=True,
                )
            )
            interests = []
            for position in range(1, interests_per.draw(rng) + 1):
                sectors = dist.sectors.draw_distinct(rng, sectors_per.draw(rng))
                states = dist.interest_states.draw_distinct(rng, states_per.draw(rng))
                chosen = interest_kinds.draw_distinct(rng, kinds_per.draw(rng))
                described = rng.random() < INTEREST_DESCRIPTION_RATE
                description = _words_for(rng, dist, sectors, 5, 15) if described else ""
                interests.append((position, sectors, states, chosen, description))
            plans.append(interests)
        for user, organisation in zip(_bulk(user_model, users), organisations, strict=True):
            organisation.user_id = user.pk
        created = _bulk(Organisation, organisations)
        rows, links = [], []
        for organisation, number, interests in zip(created, numbers, plans, strict=True):
            for position, sectors, states, chosen, description in interests:
                rows.append(
                    Interest(
                        organisation_id=organisation.pk,
                        title=f"Synthetic interest {number:06d}-{position}",
                        kinds=chosen,
                        description=description,
                        changed_at=organisation.consent_at,
                    )
                )
                links.append((sectors, states))
        interests_created = _bulk(Interest, rows)
        sector_through = Interest.sectors.through
        state_through = Interest.states.through
        _bulk(
            sector_through,
            [
                sector_through(interest_id=interest.pk, sector_id=sector_id)
                for interest, (sectors, _states) in zip(interests_created, links, strict=True)
                for sector_id in sectors
            ],
        )
        _bulk(
            state_through,
            [
                state_through(interest_id=interest.pk, state_id=state_id)
                for interest, (_sectors, states) in zip(interests_created, links, strict=True)
                for state_id in states
            ],
        )
        total_interests += len(interests_created)
        if progress:
            progress(numbers[-1], count)
    return count, total_interests


# --- Entry points -------------------------------------------------------------------------


def generate(
    *,
    clusters: int,
    organisations: int,
    seed: int,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Replace any synthetic data with ``clusters`` clusters and ``organisations``
    organisations drawn with ``seed``. One transaction: all or nothing."""
    if clusters < 0 or organisations < 0:
        raise SyntheticError("sizes cannot be negative")
    if clusters > 99_999 or organisations > 999_999:
        raise SyntheticError("at most 99,999 clusters and 999,999 organisations")
    with transaction.atomic():
        report = Report(removed=remove())
        dist = briefing_distributions()
        rng = random.Random(seed)
        # Two independent streams, so that the clusters do not depend on how many
        # organisations are asked for, and the other way round.
        cluster_rng = random.Random(rng.getrandbits(64))
        organisation_rng = random.Random(rng.getrandbits(64))
        report.clusters = _make_clusters(cluster_rng, dist, clusters, seed)
        report.organisations, report.interests = _make_organisations(
            organisation_rng, dist, organisations, progress=progress
        )
    return report


def remove() -> dict[str, int]:
    """Delete every synthetic row (and what depends on it); return counts by kind.
    Rows that are not synthetic are never touched."""
    counts = synthetic_counts()
    with transaction.atomic():
        # Real interests that were suggested synthetic clusters are matched again afterwards
        # (their top N would otherwise stay short).
        real_interests = list(
            Suggestion.objects.filter(
                cluster__is_synthetic=True,
                is_current=True,
                interest__organisation__is_synthetic=False,
            )
            .order_by("interest_id")
            .values_list("interest_id", flat=True)
            .distinct()
        )
        # The big tables first, one DELETE each (the ORM would fetch and delete them in
        # batches of 100). A table added later that references these rows makes the
        # transaction fail at commit, never leaves a dangling row.
        organisations = f"SELECT id FROM {Organisation._meta.db_table} WHERE is_synthetic"
        interests = (
            f"SELECT id FROM {Interest._meta.db_table} WHERE organisation_id IN ({organisations})"
        )
        clusters = f"SELECT id FROM {Cluster._meta.db_table} WHERE is_synthetic"
        counts["suggestions"] = _delete(
            Suggestion, f"interest_id IN ({interests}) OR cluster_id IN ({clusters})"
        )
        _delete(Interest.sectors.through, f"interest_id IN ({interests})")
        _delete(Interest.states.through, f"interest_id IN ({interests})")
        _delete(Interest, f"organisation_id IN ({organisations})")
        _delete(Cluster.sectors.through, f"cluster_id IN ({clusters})")
        _delete(QualityLabel, f"cluster_id IN ({clusters})")
        # The rest through the ORM, which knows every other relation.
        user_ids = list(
            Organisation.objects.filter(is_synthetic=True).values_list("user_id", flat=True)
        )
        Organisation.objects.filter(is_synthetic=True).delete()
        get_user_model().objects.filter(pk__in=user_ids).delete()
        Cluster.objects.filter(is_synthetic=True).delete()
        counts["real_interests_rematched"] = request_rematch(
            interest_ids=real_interests, trigger=MatchRun.Trigger.CLUSTER
        )
    return counts


def _delete(model, where: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE {where}")
        return cursor.rowcount


def synthetic_counts() -> dict[str, int]:
    return {
        "clusters": Cluster.objects.filter(is_synthetic=True).count(),
        "organisations": Organisation.objects.filter(is_synthetic=True).count(),
        "interests": Interest.objects.filter(organisation__is_synthetic=True).count(),
    }
