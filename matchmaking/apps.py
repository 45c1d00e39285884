from django.apps import AppConfig


class MatchmakingConfig(AppConfig):
    name = "matchmaking"
    verbose_name = "Matchmaking"

    def ready(self):
        from clusters.signals import (
            briefing_changed,
            clusters_changed,
            clusters_deleting,
            clusters_merging,
            sector_rules_changed,
        )
        from matchmaking.receivers import (
            move_suggestions_on_merge,
            rematch_interests_in_changed_sectors,
            rematch_where_deleted_clusters_were_suggested,
            rescore_after_briefing_load,
            rescore_changed_clusters,
        )

        clusters_changed.connect(rescore_changed_clusters, dispatch_uid="matchmaking-rescore")
        clusters_merging.connect(move_suggestions_on_merge, dispatch_uid="matchmaking-merge")
        sector_rules_changed.connect(
            rematch_interests_in_changed_sectors, dispatch_uid="matchmaking-sector-rules"
        )
        clusters_deleting.connect(
            rematch_where_deleted_clusters_were_suggested, dispatch_uid="matchmaking-deleting"
        )
        briefing_changed.connect(rescore_after_briefing_load, dispatch_uid="matchmaking-briefing")
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
