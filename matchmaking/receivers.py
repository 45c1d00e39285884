from django.utils import timezone

from matchmaking.enqueue import enqueue_on_commit


def rescore_changed_clusters(sender, *, cluster_ids, **kwargs):
    """An admin changed clusters: record each change (in the admin's transaction) and enqueue
    a re-score of the interests it affects once that commits."""
    from matchmaking.models import PendingClusterChange
    from matchmaking.tasks import match_for_cluster

    now = timezone.now()
    PendingClusterChange.objects.bulk_create(
        [
            PendingClusterChange(cluster_id=cluster_id, requested_at=now)
            for cluster_id in cluster_ids
        ],
        update_conflicts=True,
        unique_fields=["cluster"],
        update_fields=["requested_at"],
    )
    for cluster_id in cluster_ids:
        enqueue_on_commit(match_for_cluster, cluster_id)


def _mark_rank(suggestion) -> tuple:
    marked_at = suggestion.status_changed_at
    return (
        suggestion.status != suggestion.Status.NEW,
        marked_at.timestamp() if marked_at else 0.0,
        suggestion.score,
    )


def move_suggestions_on_merge(sender, *, survivor_id, merged_id, **kwargs):
    """Two records of one cluster are being merged: move the merged one's suggestions to the
    survivor. Where an interest has a suggestion for both, one row stays: the one the user
    marked (status other than "new"); if both or neither are marked, the more recently marked,
    then the higher score; on a full tie the survivor's row. A moved row the user marked
    interested remembers the name it was marked under (``merged_from``)."""
    from clusters.models import Cluster
    from matchmaking.models import Suggestion

    rows = Suggestion.objects.select_for_update().order_by("pk")
    kept = {row.interest_id: row for row in rows.filter(cluster_id=survivor_id)}
    merged_name = Cluster.objects.filter(pk=merged_id).values_list("name", flat=True).first()
    for row in rows.filter(cluster_id=merged_id):
        other = kept.get(row.interest_id)
        if other is not None:
            if _mark_rank(row) <= _mark_rank(other):
                row.delete()
                continue
            other.delete()
        row.cluster_id = survivor_id
        if row.status == Suggestion.Status.INTERESTED and merged_name:
            # The user chose a cluster by this name: the dashboard says where it went.
            row.merged_from = merged_name
        row.save(update_fields=["cluster", "merged_from"])


def rematch_where_deleted_clusters_were_suggested(sender, *, cluster_ids, **kwargs):
    """Clusters are being deleted and their suggestions go with them (cascade): the
    interests they were suggested to get their top N filled again once that commits."""
    from matchmaking.models import MatchRun, Suggestion
    from matchmaking.services import request_rematch

    interest_ids = (
        Suggestion.objects.filter(cluster_id__in=cluster_ids, is_current=True)
        .order_by()
        .values_list("interest_id", flat=True)
        .distinct()
    )
    request_rematch(interest_ids=interest_ids, trigger=MatchRun.Trigger.CLUSTER)


def rematch_interests_in_changed_sectors(sender, *, sector_slugs, **kwargs):
    """A sector's strongholds or ecosystems changed: the active interests choosing it, or a
    sector related to it before or after, are matched again once that commits."""
    from matchmaking.models import Interest, MatchRun
    from matchmaking.services import request_rematch

    interest_ids = (
        Interest.objects.active()
        .filter(sectors__slug__in=sector_slugs)
        .order_by()
        .values_list("pk", flat=True)
        .distinct()
    )
    request_rematch(interest_ids=interest_ids, trigger=MatchRun.Trigger.CLUSTER)


def rescore_after_briefing_load(sender, *, cluster_ids, sector_slugs, **kwargs) -> bool:
    """``load_briefing`` changed clusters or sectors' rules: once interests have been
    matched, what it affects is re-scored as after the same change made in the admin. Before
    any interest was matched (a first load) there is nothing to re-score. Returns whether
    re-scoring was requested."""
    from matchmaking.models import Interest

    if not Interest.objects.filter(matched_at__isnull=False).exists():
        return False
    if cluster_ids:
        rescore_changed_clusters(sender, cluster_ids=cluster_ids)
    if sector_slugs:
        rematch_interests_in_changed_sectors(sender, sector_slugs=sector_slugs)
    return True
