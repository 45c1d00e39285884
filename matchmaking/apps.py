from django.apps import AppConfig


class MatchmakingConfig(AppConfig):
    name = "matchmaking"
    verbose_name = "Matchmaking"

    def ready(self):
        from django.db.models.signals import pre_delete

        from clusters.models import Cluster
        from clusters.signals import clusters_changed, clusters_merging, sector_rules_changed
        from matchmaking.receivers import (
            move_suggestions_on_merge,
            rematch_interests_in_changed_sectors,
            rematch_where_a_deleted_cluster_was_suggested,
            rescore_changed_clusters,
        )

        clusters_changed.connect(rescore_changed_clusters, dispatch_uid="matchmaking-rescore")
        clusters_merging.connect(move_suggestions_on_merge, dispatch_uid="matchmaking-merge")
        sector_rules_changed.connect(
            rematch_interests_in_changed_sectors, dispatch_uid="matchmaking-sector-rules"
        )
        pre_delete.connect(
            rematch_where_a_deleted_cluster_was_suggested,
            sender=Cluster,
            dispatch_uid="matchmaking-cluster-deleted",
        )
        self._connect_auth_events()

    def _connect_auth_events(self):
        from django.conf import settings
        from django.contrib.auth import signals
        from django.db.models.signals import post_delete

        from matchmaking import auth_events

        signals.user_logged_in.connect(auth_events.logged_in, dispatch_uid="auth-log-in")
        signals.user_login_failed.connect(auth_events.login_failed, dispatch_uid="auth-failed")
        signals.user_logged_out.connect(auth_events.logged_out, dispatch_uid="auth-log-out")
        post_delete.connect(
            auth_events.account_deleted,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="auth-account-deleted",
        )
