"""The dashboard: every interest of the organisation with its ranked suggestions."""

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from matchmaking.introductions import latest_by_cluster
from matchmaking.models import Interest, Introduction, Organisation, Suggestion
from matchmaking.views.common import ReasonRenderer, organisation_required


@dataclass
class Card:
    """An interest and its visible suggestions, each with its reasons as sentences."""

    interest: Interest
    suggestions: list[dict] = field(default_factory=list)


def interests_for_dashboard(organisation: Organisation):
    """The organisation's interests with what the dashboard shows, in 4 queries:
    the interests, their sectors, their states, and their visible suggestions (with cluster
    and the cluster's state joined)."""
    return (
        Interest.objects.filter(organisation=organisation)
        .order_by("created", "pk")
        .prefetch_related(
            "sectors",
            "states",
            Prefetch(
                "suggestions",
                queryset=Suggestion.objects.for_dashboard(),
                to_attr="visible_suggestions",
            ),
        )
    )


def make_card(
    interest: Interest, renderer: ReasonRenderer, introductions: dict[int, Introduction]
) -> Card:
    """Uses only what ``interests_for_dashboard`` prefetched (plus the renderer's names) and
    the organisation's latest introduction with each cluster."""
    return Card(
        interest=interest,
        suggestions=[
            {
                "suggestion": suggestion,
                "reasons": renderer.items(suggestion.reasons),
                "introduction": introductions.get(suggestion.cluster_id),
            }
            for suggestion in interest.visible_suggestions
        ],
    )


@require_safe
@never_cache
@organisation_required
def dashboard(request, organisation):
    # Queries: session, user, organisation (3); interests, sectors, states, suggestions (4);
    # the organisation's introductions (1); sector names and state names for the reasons,
    # once (2, only if a suggestion exists); clusters marked interested that staff have since
    # unpublished (1); the navigation's count of requests waiting (1).
    renderer = ReasonRenderer()
    latest = latest_by_cluster(organisation)
    cards = [
        make_card(interest, renderer, latest) for interest in interests_for_dashboard(organisation)
    ]
    context = {
        "organisation": organisation,
        "cards": cards,
        "computing": any(card.interest.is_computing for card in cards),
        "unpublished": list(
            Suggestion.objects.interested_but_unpublished()
            .filter(interest__organisation=organisation)
            .select_related("cluster", "interest")
            .order_by("cluster__name", "interest__title")
        ),
    }
    return render(request, "matchmaking/dashboard.html", context)
