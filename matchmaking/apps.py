from django.apps import AppConfig


class MatchmakingConfig(AppConfig):
    name = "matchmaking"
    verbose_name = "Matchmaking"

    def ready(self):
        from clusters.signals import clusters_changed
        from matchmaking.receivers import rescore_changed_clusters

        clusters_changed.connect(rescore_changed_clusters, dispatch_uid="matchmaking-rescore")
