"""JSON: the user's suggestions, and a preview of the matches for an ad-hoc interest.

``GET /api/me/suggestions/`` needs a session (403 JSON otherwise, never a redirect).
``GET /api/match-preview/`` is public and stores nothing; bad parameters answer 400
``{"error": "...", "fields": {name: [messages]}}``, like the directory's API.
The HTML page ``/match-preview/`` runs the same preview server-side.
"""

from dataclasses import dataclass

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from clusters.jsonapi import json_error as _error
from clusters.jsonapi import json_response as _json
from clusters.jsonapi import read_only as json_get
from clusters.models import Cluster
from matchmaking import engine, matching
from matchmaking.forms import MatchPreviewForm
from matchmaking.models import Interest
from matchmaking.views.common import ReasonRenderer, get_organisation
from matchmaking.views.dashboard import interests_for_dashboard


def _cluster(cluster: Cluster, request) -> dict:
    state = cluster.state
    return {
        "slug": cluster.slug,
        "name": cluster.name,
        "url": request.build_absolute_uri(cluster.get_absolute_url()),
        "state": {"code": state.code, "name": state.name} if state else None,
    }


@json_get
@never_cache
def my_suggestions(request):
    """The user's interests, each with its visible suggestions (as on the dashboard)."""
    if not request.user.is_authenticated:
        return _error(_("Log in to see your suggestions."), 403)
    organisation = get_organisation(request)
    if organisation is None:
        return _json({"interests": []})
    renderer = ReasonRenderer()
    interests = []
    for interest in interests_for_dashboard(organisation):
        interests.append(
            {
                "id": interest.pk,
                "title": interest.title,
                "url": request.build_absolute_uri(interest.get_absolute_url()),
                "active": interest.is_active,
                "computing": interest.is_computing,
                "sectors": [sector.slug for sector in interest.sectors.all()],
                "states": [state.code for state in interest.states.all()],
                "kinds": list(interest.kinds),
                "suggestions": [
                    {
                        "id": suggestion.pk,
                        "cluster": _cluster(suggestion.cluster, request),
                        "score": suggestion.score,
                        "status": suggestion.status,
                        "reasons": renderer.items(suggestion.reasons),
                    }
                    for suggestion in interest.visible_suggestions
                ],
            }
        )
    return _json({"interests": interests})


@json_get
@never_cache
def my_computing(request):
    """The ids of the user's interests still being matched: what poll.js asks, twice a
    second while a page waits for suggestions, so one small query."""
    if not request.user.is_authenticated:
        return _error(_("Log in to see your suggestions."), 403)
    ids = Interest.objects.computing().filter(organisation__user=request.user)
    return _json({"computing": list(ids.values_list("pk", flat=True))})


# --- Preview -------------------------------------------------------------------------------


@dataclass
class PreviewResult:
    cluster: Cluster
    score: int
    reasons: list[dict]


def run_preview(form: MatchPreviewForm) -> list[PreviewResult]:
    """The ranked matches for a valid preview form, by the same engine and candidates as
    stored suggestions (``matching.compute_matches``); nothing is stored."""
    data = form.cleaned_data
    sectors = frozenset(sector.slug for sector in data["sectors"])
    features = engine.InterestFeatures(
        sectors=sectors,
        related_sectors=matching.related_sector_slugs(sectors),
        states=frozenset(state.code for state in data["states"]),
        kinds=frozenset(data["kinds"]),
        description=data["description"],
    )
    matches = matching.compute_matches(features, limit=data["limit"] or settings.MATCH_TOP_N)
    clusters = Cluster.objects.select_related("state").in_bulk(
        [match.cluster_id for match in matches]
    )
    renderer = ReasonRenderer()
    return [
        PreviewResult(
            cluster=clusters[match.cluster_id],
            score=match.score,
            reasons=[renderer.describe(reason) for reason in match.reasons],
        )
        for match in matches
        if match.cluster_id in clusters
    ]


PREVIEW_PARAMETERS = frozenset(MatchPreviewForm.base_fields)


@json_get
def match_preview_api(request):
    unknown = sorted(set(request.GET) - PREVIEW_PARAMETERS)
    if unknown:
        return _error(
            _("Unknown parameters."),
            400,
            fields={name: [_("Unknown parameter.")] for name in unknown},
        )
    form = MatchPreviewForm.from_query(request.GET)
    if not form.is_valid():
        fields = {
            name: [str(message) for message in errors] for name, errors in form.errors.items()
        }
        return _error(_("Some parameters could not be used."), 400, fields=fields)
    results = run_preview(form)
    return _json(
        {
            "count": len(results),
            "engine_version": engine.ENGINE_VERSION,
            "results": [
                {
                    "cluster": _cluster(result.cluster, request),
                    "score": result.score,
                    "reasons": result.reasons,
                }
                for result in results
            ],
        }
    )


@require_safe
def match_preview(request):
    """The "See who you would match" page: the same preview, rendered server-side."""
    submitted = any(name in request.GET for name in PREVIEW_PARAMETERS)
    form = MatchPreviewForm.from_query(request.GET) if submitted else MatchPreviewForm()
    results = None
    status = 200
    if submitted:
        if form.is_valid():
            results = run_preview(form)
        else:
            status = 400
    context = {
        "form": form,
        "results": results,
        "kept_choices": form.kept_choices() if results is not None else "",
    }
    return render(request, "matchmaking/match_preview.html", context, status=status)
