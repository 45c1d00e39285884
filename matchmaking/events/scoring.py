"""The engine's score and reasons between event participants: an organisation's interests
against a Mexican cluster. The only module of the events app that calls the matching; its
one import below is the match preview's public function."""

from matchmaking.events.models import Participant
from matchmaking.matching import compute_matches, interest_features  # the match preview's

# Every published cluster is a possible candidate; the events need them all, not a top N.
ALL = 100_000


def _best_by_cluster(organisation) -> dict[int, tuple[int, tuple]]:
    """cluster id -> (score, reasons) of the organisation's best-matching active interest."""
    best: dict[int, tuple[int, tuple]] = {}
    for interest in organisation.interests.filter(is_active=True).prefetch_related(
        "sectors", "states"
    ):
        for match in compute_matches(interest_features(interest), limit=ALL):
            if match.score > best.get(match.cluster_id, (-1,))[0]:
                best[match.cluster_id] = (match.score, match.reasons)
    return best


def scores_for(viewer: Participant, others) -> dict[int, tuple[int, tuple]]:
    """participant id -> (score, reasons) for each of ``others`` the engine can score
    against ``viewer`` (an organisation and a cluster; two of a kind are not scored)."""
    found = {}
    if viewer.organisation_id:
        best = _best_by_cluster(viewer.organisation)
        for other in others:
            if other.cluster_id in best:
                found[other.pk] = best[other.cluster_id]
    elif viewer.cluster_id:
        for other in others:
            if other.organisation_id:
                match = _best_by_cluster(other.organisation).get(viewer.cluster_id)
                if match:
                    found[other.pk] = match
    return found


def pair_score(a: Participant, b: Participant) -> int:
    found = scores_for(a, [b])
    return found[b.pk][0] if b.pk in found else 0
