"""JSON: the user's suggestions, and a preview of the matches for an ad-hoc interest.

``GET /api/v1/me/suggestions/`` needs a session (403 JSON otherwise, never a redirect) and
shows only the logged-in user's own interests. ``GET /api/v1/match-preview/`` is public and
stores nothing; bad parameters answer 400 ``{"error": "...", "fields": {name: [messages]}}``,
like the directory's API. The HTML page ``/match-preview/`` runs the same preview server-side.
"""

from dataclasses import dataclass

from django.conf import settings
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from clusters.api import ClusterRefSerializer
from clusters.jsonapi import BAD_PARAMETERS, ERROR, ReadOnlyAPIView, json_error
from clusters.models import Cluster
from matchmaking.forms import DESCRIPTION_MAX, PREVIEW_LIMIT_MAX, MatchPreviewForm
from matchmaking.introductions import latest_by_cluster
from matchmaking.matching import engine, suggest
from matchmaking.models import Interest, Introduction, Suggestion
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


# --- What the answers look like (the schema) ------------------------------------------------


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="What the reason is about, e.g. sector_exact.")
    params = serializers.DictField(help_text="Its parameters (sector slug, state code, ...).")
    points = serializers.IntegerField(help_text="What it adds to the score.")
    text = serializers.CharField(help_text="The reason as a sentence, in the request's language.")


class IntroductionRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Introduction.Status.choices)
    requested_at = serializers.DateTimeField()
    url = serializers.URLField(help_text="Its page, where contact details show once accepted.")


class SuggestionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    cluster = ClusterRefSerializer()
    score = serializers.IntegerField(min_value=0, max_value=100)
    status = serializers.ChoiceField(choices=Suggestion.Status.choices)
    reasons = ReasonSerializer(many=True)
    introduction = IntroductionRefSerializer(
        allow_null=True, help_text="The latest introduction asked for with this cluster."
    )


class InterestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.URLField()
    active = serializers.BooleanField()
    computing = serializers.BooleanField(help_text="Its suggestions are being computed.")
    sectors = serializers.ListField(child=serializers.CharField())
    states = serializers.ListField(child=serializers.CharField())
    kinds = serializers.ListField(child=serializers.ChoiceField(choices=Interest.Kind.choices))
    suggestions = SuggestionSerializer(many=True)


class MySuggestionsSerializer(serializers.Serializer):
    interests = InterestSerializer(many=True)


class PreviewMatchSerializer(serializers.Serializer):
    cluster = ClusterRefSerializer()
    score = serializers.IntegerField(min_value=0, max_value=100)
    reasons = ReasonSerializer(many=True)


class PreviewSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    engine_version = serializers.IntegerField()
    results = PreviewMatchSerializer(many=True)


def _introduction(introduction: Introduction | None, request) -> dict | None:
    """Where the organisation's introduction with the cluster stands: never contact details
    (those are on the introduction's page, once accepted)."""
    if introduction is None:
        return None
    return {
        "id": introduction.pk,
        "status": introduction.status,
        "requested_at": introduction.created,
        "url": request.build_absolute_uri(introduction.get_absolute_url()),
    }


# --- Views ---------------------------------------------------------------------------------


@method_decorator(never_cache, name="dispatch")
class MySuggestions(ReadOnlyAPIView):
    @extend_schema(
        summary="The logged-in organisation's suggestions",
        description="Its interests, each with its visible suggestions (as on the dashboard). "
        "Needs a session: log in on the site first.",
        responses={
            200: MySuggestionsSerializer,
            403: OpenApiResponse(ERROR, description="Not logged in."),
        },
    )
    def get(self, request):
        if not request.user.is_authenticated:
            return json_error(_("Log in to see your suggestions."), 403)
        organisation = get_organisation(request)
        if organisation is None:
            return Response({"interests": []})
        renderer = ReasonRenderer()
        latest = latest_by_cluster(organisation)
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
                            "introduction": _introduction(
                                latest.get(suggestion.cluster_id), request
                            ),
                        }
                        for suggestion in interest.visible_suggestions
                    ],
                }
            )
        return Response({"interests": interests})


class ComputingSerializer(serializers.Serializer):
    computing = serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids of the interests still being matched."
    )


@method_decorator(never_cache, name="dispatch")
class MyComputing(ReadOnlyAPIView):
    """What poll.js asks, twice a second while a page waits for suggestions: one small
    query, so suggestions show within a second of the worker finishing."""

    @extend_schema(
        summary="The logged-in organisation's interests still being matched",
        responses={
            200: ComputingSerializer,
            403: OpenApiResponse(ERROR, description="Not logged in."),
        },
    )
    def get(self, request):
        if not request.user.is_authenticated:
            return json_error(_("Log in to see your suggestions."), 403)
        ids = Interest.objects.computing().filter(organisation__user=request.user)
        return Response({"computing": list(ids.values_list("pk", flat=True))})


# --- Preview -------------------------------------------------------------------------------


@dataclass
class PreviewResult:
    cluster: Cluster
    score: int
    reasons: list[dict]


def run_preview(form: MatchPreviewForm) -> list[PreviewResult]:
    """The ranked matches for a valid preview form, by the same engine and candidates as
    stored suggestions (``suggest.compute_matches``); nothing is stored."""
    data = form.cleaned_data
    sectors = frozenset(sector.slug for sector in data["sectors"])
    features = engine.InterestFeatures(
        sectors=sectors,
        related_sectors=suggest.related_sector_slugs(sectors),
        states=frozenset(state.code for state in data["states"]),
        kinds=frozenset(data["kinds"]),
        description=data["description"],
    )
    matches = suggest.compute_matches(features, limit=data["limit"] or settings.MATCH_TOP_N)
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


def _list_parameter(name, description, enum=None):
    return OpenApiParameter(
        name,
        {"type": "array", "items": {"type": "string", **({"enum": enum} if enum else {})}},
        description=description + " Repeat the parameter or separate values with commas.",
        explode=True,
    )


class MatchPreview(ReadOnlyAPIView):
    @extend_schema(
        summary="Preview the matches of an ad-hoc interest",
        description="Ranks published clusters with the same engine and candidates as stored "
        "suggestions; nothing is stored.",
        parameters=[
            _list_parameter("sectors", "Sector slugs (at least one)."),
            _list_parameter("states", "Target states, ISO 3166-2:MX codes; none: anywhere."),
            _list_parameter("kinds", "Kinds of cooperation.", enum=list(Interest.Kind.values)),
            OpenApiParameter(
                "description", OpenApiTypes.STR, description=f"Up to {DESCRIPTION_MAX} characters."
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": PREVIEW_LIMIT_MAX},
                description=f"How many matches (default {settings.MATCH_TOP_N}).",
            ),
        ],
        responses={200: PreviewSerializer, 400: BAD_PARAMETERS},
    )
    def get(self, request):
        unknown = sorted(set(request.GET) - PREVIEW_PARAMETERS)
        if unknown:
            return json_error(
                _("Unknown parameters."),
                400,
                fields={name: [_("Unknown parameter.")] for name in unknown},
            )
        form = MatchPreviewForm.from_query(request.GET)
        if not form.is_valid():
            fields = {
                name: [str(message) for message in errors] for name, errors in form.errors.items()
            }
            return json_error(_("Some parameters could not be used."), 400, fields=fields)
        results = run_preview(form)
        return Response(
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
