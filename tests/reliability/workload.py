"""Many interests at once, and the check that each one's stored suggestions are exactly what
the engine computes for it. Plain functions, so that a test can also run them in a
subprocess against another database (``python manage.py shell -c``)."""

import random
from collections import Counter

from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils import timezone

from clusters.models import Sector, State
from matchmaking.matching import suggest
from matchmaking.models import PRIVACY_NOTICE_VERSION, Interest, Organisation, Suggestion

# An interest with this title kills the worker that matches it (tests/reliability/poison.py).
POISON_TITLE = "POISON: matching this kills the worker"
POISON_KILLS_KEY = "tests:poison:kills"  # the cache counts the processes it killed

WORDS = (
    "aerospace turbine machining composites automotive supplier electronics software "
    "agrifood logistics energy solar medical devices textile tourism mining plastics "
    "moldes automotriz aeroespacial alimentos energía software logística"
).split()


def seed_interests(count: int, *, seed: int = 1, prefix: str = "seed") -> list[int]:
    """``count`` organisations with one interest each (1-3 briefing sectors, 0-2 target
    states, 1-2 kinds, a description), by bulk inserts; the interests' ids. Needs the
    briefing loaded."""
    rng = random.Random(seed)
    sectors = list(Sector.objects.order_by("slug"))
    states = list(State.objects.order_by("code"))
    kinds = list(Interest.Kind.values)
    assert sectors and states, "load the briefing first"
    User = get_user_model()
    now = timezone.now()
    tag = f"{prefix}-{seed}-{rng.randrange(10**9)}"
    users = User.objects.bulk_create(
        User(username=f"{tag}-{i}@example.eu", email=f"{tag}-{i}@example.eu") for i in range(count)
    )
    organisations = Organisation.objects.bulk_create(
        Organisation(
            user=user,
            name=f"Organisation {tag}-{i}",
            country="DE",
            kind=Organisation.Kind.SME,
            consent_at=now,
            consent_version=PRIVACY_NOTICE_VERSION,
        )
        for i, user in enumerate(users)
    )
    interests = Interest.objects.bulk_create(
        Interest(
            organisation=organisation,
            title=f"Interest {tag}-{i}",
            kinds=rng.sample(kinds, rng.randint(1, 2)),
            description=" ".join(rng.choices(WORDS, k=rng.randint(0, 12))),
            changed_at=now,
        )
        for i, organisation in enumerate(organisations)
    )
    sector_rows, state_rows = [], []
    for interest in interests:
        for sector in rng.sample(sectors, rng.randint(1, 3)):
            sector_rows.append(Interest.sectors.through(interest_id=interest.pk, sector=sector))
        for state in rng.sample(states, rng.choice((0, 0, 1, 2))):
            state_rows.append(Interest.states.through(interest_id=interest.pk, state=state))
    Interest.sectors.through.objects.bulk_create(sector_rows)
    Interest.states.through.objects.bulk_create(state_rows)
    return [interest.pk for interest in interests]


def mark_some(interest_ids: list[int]) -> dict[int, str]:
    """Mark each given interest's best suggestion *interested* and its second *not relevant*,
    as users do; {suggestion id: status}."""
    marks = {}
    for interest_id in interest_ids:
        best = list(
            Suggestion.objects.filter(interest_id=interest_id, is_current=True)
            .order_by("-score", "cluster_id")
            .values_list("pk", flat=True)[:2]
        )
        for pk, status in zip(best, ("interested", "not_relevant"), strict=False):
            marks[pk] = status
    for pk, status in marks.items():
        Suggestion.objects.filter(pk=pk).update(status=status, status_changed_at=timezone.now())
    return marks


def forget_unmarked(interest_ids: list[int]) -> None:
    """What an engine change looks like to the sweep: unmarked suggestions gone, the
    interests never matched by this engine (marked suggestions stay, with their marks)."""
    Suggestion.objects.filter(interest_id__in=interest_ids, status="new").delete()
    Interest.objects.filter(pk__in=interest_ids).update(matched_at=None, matched_version=None)


def verify(interest_ids: list[int] | None = None) -> dict:
    """Compare each interest's current suggestions with ``suggest.compute_matches`` (its
    dismissed clusters excluded, as when storing). Returns counts and the first problems."""
    interests = Interest.objects.active()
    if interest_ids is not None:
        interests = interests.filter(pk__in=interest_ids)
    context = suggest.load_context()
    report = Counter()
    problems = []
    for interest in interests.order_by("pk"):
        report["interests"] += 1
        if interest.matched_at is None:
            report["never_matched"] += 1
            problems.append(f"interest {interest.pk} never matched")
            continue
        dismissed = list(
            interest.suggestions.filter(status="not_relevant").values_list("cluster_id", flat=True)
        )
        expected = {
            match.cluster_id: match.score
            for match in suggest.compute_matches(
                suggest.interest_features(interest), exclude_ids=dismissed, context=context
            )
        }
        stored = dict(
            interest.suggestions.filter(is_current=True)
            .exclude(status="not_relevant")
            .values_list("cluster_id", "score")
        )
        if stored == expected:
            report["matched"] += 1
        else:
            report["mismatched"] += 1
            problems.append(f"interest {interest.pk}: stored {stored} != expected {expected}")
        report["suggestions"] += len(stored)
    duplicates = (
        Suggestion.objects.values("interest_id", "cluster_id")
        .annotate(rows=Count("pk"))
        .filter(rows__gt=1)
        .count()
    )
    return {
        "interests": report["interests"],
        "matched": report["matched"],
        "never_matched": report["never_matched"],
        "mismatched": report["mismatched"],
        "suggestions": report["suggestions"],
        "duplicates": duplicates,
        "problems": problems[:5],
    }


def marks_kept(marks: dict[int, str]) -> int:
    """How many of ``marks`` ({suggestion id: status}) are still there, unchanged."""
    kept = Suggestion.objects.filter(pk__in=list(marks)).values_list("pk", "status")
    return sum(1 for pk, status in kept if marks[pk] == status)
