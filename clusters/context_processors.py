"""Template context every page shares."""

from django.utils.functional import SimpleLazyObject

from clusters.models import Claim


def managed_clusters(request):
    """``manages_clusters``: whether the user manages any cluster (the navigation's "My
    clusters"). Lazy: one query, only on pages whose template reads it for a logged-in user."""

    def manages() -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        return Claim.objects.approved().filter(user=user).exists()

    return {"manages_clusters": SimpleLazyObject(manages)}
