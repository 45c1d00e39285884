"""Introductions on pages outside the introductions views: the navigation's count of
requests waiting for the user's answer, and a cluster page's "request an introduction"."""

from django import template

from matchmaking import introductions
from matchmaking.models import Introduction, Organisation

register = template.Library()


@register.simple_tag(takes_context=True)
def introductions_waiting(context) -> int:
    """Open requests the user is to answer; one query per page, none when logged out."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return 0
    if not hasattr(request, "_introductions_waiting"):
        request._introductions_waiting = introductions.waiting_count(request.user)
    return request._introductions_waiting


@register.simple_tag(takes_context=True)
def cluster_introduction(context, cluster) -> dict:
    """For a cluster page: whether the user's organisation may ask for an introduction, and
    its latest introduction with the cluster. Two queries for an organisation, none when
    logged out."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return {"anonymous": True}
    organisation = Organisation.objects.filter(user=request.user).first()
    if organisation is None:
        return {}
    latest = (
        Introduction.objects.filter(organisation=organisation, cluster=cluster)
        .order_by("-created")
        .first()
    )
    return {"organisation": organisation, "introduction": latest}
