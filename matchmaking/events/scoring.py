"""The engine's score and reasons between event participants: an organisation's interests
against a Mexican cluster. The only module of the events app that calls the matching; its
one import of it below is the match preview's public function."""

from matchmaking.events.models import Participant
from matchmaking.matching.suggest import compute_matches, interest_features  # the preview's
from matchmaking.models import Suggestion
from matchmaking.views.common import ReasonRenderer

# Every published cluster is a possible candidate; the events need them all, not a top N.
ALL = 100_000


def _best_by_cluster(organisation) -> dict[int, tuple[int, tuple]]:
    """cluster id -> (score, reasons) of the organisation's best-matching active interest,
    computed now by the engine (a few queries per interest, none per cluster)."""
    best: dict[int, tuple[int, tuple]] = {}
    for interest in organisation.interests.filter(is_active=True):
        for match in compute_matches(interest_features(interest), limit=ALL):
            if match.score > best.get(match.cluster_id, (-1,))[0]:
                best[match.cluster_id] = (match.score, match.reasons)
    return best


def scores_for(
    viewer: Participant, others, renderer: ReasonRenderer
) -> dict[int, tuple[int, list[str]]]:
    """participant id -> (score, reason sentences) for each of ``others`` the engine scores
    against ``viewer``; two organisations or two clusters are not scored.

    An organisation sees every cluster its interests match, scored now. A cluster sees the
    organisations whose interests had it among their stored suggestions (one query, however
    many organisations take part)."""
    found = {}
    if viewer.organisation_id:
        best = _best_by_cluster(viewer.organisation)
        for other in others:
            if other.cluster_id in best:
                score, reasons = best[other.cluster_id]
                found[other.pk] = (score, [renderer.render(reason) for reason in reasons])
    elif viewer.cluster_id:
        by_organisation = {
            other.organisation_id: other.pk for other in others if other.organisation_id
        }
        suggestions = (
            Suggestion.objects.visible()
            .filter(cluster_id=viewer.cluster_id, interest__organisation__in=list(by_organisation))
            .values_list("interest__organisation_id", "score", "reasons")
        )
        for organisation_id, score, reasons in suggestions:
            pk = by_organisation[organisation_id]
            if score > found.get(pk, (-1,))[0]:
                found[pk] = (score, [item["text"] for item in renderer.items(reasons)])
    return found


def pair_score(a: Participant, b: Participant) -> int:
    """The score a request between ``a`` and ``b`` carries into the scheduler's preferences."""
    organisation, cluster = (a, b) if a.organisation_id else (b, a)
    if not (organisation.organisation_id and cluster.cluster_id):
        return 0
    best = _best_by_cluster(organisation.organisation)
    return best.get(cluster.cluster_id, (0,))[0]
