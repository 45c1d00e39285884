from matchmaking.queue import enqueue_on_commit


def rescore_changed_clusters(sender, *, cluster_ids, **kwargs):
    """An admin changed clusters: enqueue a re-score of the interests each one affects."""
    from matchmaking.tasks import match_for_cluster

    for cluster_id in cluster_ids:
        enqueue_on_commit(match_for_cluster, cluster_id)
