"""Read-only JSON API over the published directory (``/api/v1/``, Django REST framework).

``GET /api/v1/clusters/`` takes the same filters as the directory page (``clusters.filters``:
``q``, ``sector``, ``state``, ``label``, ``formally_organised``) plus ``page``, and answers
``{"count", "next", "previous", "results"}``. Malformed parameters answer 400
``{"error": "...", "fields": {name: [messages]}}``; a page past the last one, an unknown slug
or an unknown path answers 404 ``{"error": "..."}``. Only published clusters ever appear.
The serializers below both write the answers and describe them in the OpenAPI schema.
"""

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import defaults
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from clusters.filters import ClusterFilter, run_directory_query
from clusters.jsonapi import BAD_PARAMETERS, NOT_FOUND, ReadOnlyAPIView, json_error
from clusters.models import BRIEFING_DATE, Cluster, Sector
from clusters.pagecache import cached
from clusters.views.places import states_with_counts

# --- Serializers ---------------------------------------------------------------------------


class StateRefSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="ISO 3166-2:MX code, e.g. MX-NLE.")
    name = serializers.CharField()


class ClusterRefSerializer(serializers.Serializer):
    """A cluster where another answer names it (matchmaking's suggestions and preview)."""

    slug = serializers.CharField()
    name = serializers.CharField()
    url = serializers.URLField()
    state = StateRefSerializer(allow_null=True)


class SectorRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField(help_text="In the request's language.")


class LabelSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=["gold", "silver", "bronze"])
    valid = serializers.BooleanField(source="is_valid")
    valid_as_of = serializers.SerializerMethodField(
        help_text="The month the validity is stated at (YYYY-MM): the briefing's, not today."
    )
    validity_note = serializers.CharField()
    listed_name = serializers.CharField()
    source = serializers.CharField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_valid_as_of(self, label) -> str:
        return BRIEFING_DATE


class ClusterSerializer(serializers.Serializer):
    """A published cluster; reads only prefetched relations (no queries)."""

    slug = serializers.CharField()
    name = serializers.CharField()
    other_names = serializers.SerializerMethodField()
    acronym = serializers.CharField()
    state = StateRefSerializer(allow_null=True, help_text="Null where the briefing gives none.")
    sectors = SectorRefSerializer(many=True)
    sector_label = serializers.CharField(help_text="The sector as the briefing writes it.")
    labels = LabelSerializer(many=True, help_text="ESCA quality labels (briefing, Table 4).")
    formally_organised = serializers.BooleanField(source="is_formally_organised")
    website = serializers.CharField()
    website_kind = serializers.SerializerMethodField(
        help_text="Set where the briefing's link is not the cluster's home page."
    )
    description = serializers.CharField()
    members = serializers.IntegerField(allow_null=True)
    members_qualifier = serializers.SerializerMethodField(
        help_text="How the briefing words a rounded figure (more than, almost, about)."
    )
    companies = serializers.IntegerField(allow_null=True)
    companies_qualifier = serializers.SerializerMethodField(
        help_text="How the briefing words a rounded figure (more than, almost, about)."
    )
    founded_year = serializers.IntegerField(allow_null=True)
    exports_usd_millions = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, coerce_to_string=True
    )
    figures_note = serializers.CharField()
    source = serializers.CharField(help_text="Where in the briefing the profile comes from.")
    last_verified = serializers.DateField(allow_null=True)
    url = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_website_kind(self, cluster) -> str | None:
        return cluster.website_kind or None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_members_qualifier(self, cluster) -> str | None:
        return cluster.members_qualifier or None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_companies_qualifier(self, cluster) -> str | None:
        return cluster.companies_qualifier or None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_other_names(self, cluster) -> list[str]:
        return [name for name in cluster.all_names() if name != cluster.name]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, cluster) -> str:
        return self.context["request"].build_absolute_uri(cluster.get_absolute_url())


class EcosystemSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class SectorSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField(help_text="In the request's language.")
    name_en = serializers.CharField()
    name_es = serializers.CharField()
    is_promexico_priority = serializers.BooleanField()
    ecosystems = EcosystemSerializer(many=True, help_text="EU industrial ecosystems.")
    cluster_count = serializers.IntegerField(source="published_cluster_count")
    url = serializers.SerializerMethodField()
    clusters = serializers.SerializerMethodField(help_text="This sector's clusters in the API.")

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, sector) -> str:
        return self.context["request"].build_absolute_uri(sector.get_absolute_url())

    @extend_schema_field(OpenApiTypes.URI)
    def get_clusters(self, sector) -> str:
        path = f"{reverse('clusters:api_cluster_list')}?sector={sector.slug}"
        return self.context["request"].build_absolute_uri(path)


class StateSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="ISO 3166-2:MX code, e.g. MX-NLE.")
    name = serializers.CharField()
    cluster_count = serializers.IntegerField(source="published_cluster_count")
    table3_cluster_count = serializers.IntegerField(
        help_text="Published clusters the briefing's Table 3 lists in the state."
    )
    other_cluster_count = serializers.IntegerField(
        help_text="Published clusters from other parts of the briefing."
    )
    url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, state) -> str:
        return self.context["request"].build_absolute_uri(state.get_absolute_url())


class IndexSerializer(serializers.Serializer):
    clusters = serializers.URLField()
    sectors = serializers.URLField()
    states = serializers.URLField()


# --- Views ---------------------------------------------------------------------------------


class Index(ReadOnlyAPIView):
    @extend_schema(summary="The API's lists", responses=IndexSerializer)
    def get(self, request):
        return Response(
            {
                name: request.build_absolute_uri(reverse(f"clusters:api_{name[:-1]}_list"))
                for name in ("clusters", "sectors", "states")
            }
        )


class ApiPagination(PageNumberPagination):
    """Describes the pages in the schema; ``run_directory_query`` cuts them."""

    def get_page_size(self, request):
        return settings.API_PAGE_SIZE


class ClusterList(ReadOnlyAPIView, ListAPIView):
    """The published clusters, filtered like the directory page, ``API_PAGE_SIZE`` a page.

    Served from the page cache while the cluster data has not changed (``clusters.pagecache``):
    the answer depends on nothing but the data and the URL."""

    queryset = Cluster.objects.for_directory()
    serializer_class = ClusterSerializer
    filterset_class = ClusterFilter  # read by run_directory_query and the schema alike
    filter_backends = [DjangoFilterBackend]
    pagination_class = ApiPagination

    @extend_schema(
        summary="Published clusters",
        responses={200: ClusterSerializer, 400: BAD_PARAMETERS, 404: NOT_FOUND},
    )
    def get(self, request):
        status, body = cached(request, "api-clusters", lambda: self._page(request))
        return HttpResponse(body, status=status, content_type="application/json")

    def _page(self, request) -> tuple[int, bytes]:
        query = run_directory_query(request.GET, per_page=settings.API_PAGE_SIZE)
        if query.status in (400, 404):
            response = json_error(query.message, query.status, fields=query.errors)
            return response.status_code, response.content
        page = query.page
        results = ClusterSerializer(page.object_list, many=True, context={"request": request})
        body = {
            "count": page.paginator.count,
            "next": _page_url(request, page.next_page_number() if page.has_next() else None),
            "previous": _page_url(
                request, page.previous_page_number() if page.has_previous() else None
            ),
            "results": results.data,
        }
        return 200, JSONRenderer().render(body)


def _page_url(request, number):
    if number is None:
        return None
    params = request.GET.copy()
    if number == 1:
        params.pop("page", None)
    else:
        params["page"] = number
    query = params.urlencode()
    return request.build_absolute_uri(request.path) + (f"?{query}" if query else "")


class ClusterDetail(ReadOnlyAPIView):
    @extend_schema(
        summary="A published cluster", responses={200: ClusterSerializer, 404: NOT_FOUND}
    )
    def get(self, request, slug):
        cluster = (
            Cluster.objects.published()
            .select_related("state")
            .prefetch_related("sectors", "labels", "other_names")
            .filter(slug=slug)
            .first()
        )
        if cluster is None:
            message = _("No published cluster has the slug “%(slug)s”.") % {"slug": slug}
            return json_error(message, 404)
        return Response(ClusterSerializer(cluster, context={"request": request}).data)


class SectorList(ReadOnlyAPIView):
    @extend_schema(
        summary="Sectors, with their count of published clusters",
        responses=SectorSerializer(many=True),
    )
    def get(self, request):
        sectors = Sector.objects.with_cluster_counts().prefetch_related("ecosystems")
        serializer = SectorSerializer(sectors, many=True, context={"request": request})
        return Response(serializer.data)


class StateList(ReadOnlyAPIView):
    @extend_schema(
        summary="The 32 states, with their count of published clusters",
        responses=StateSerializer(many=True),
    )
    def get(self, request):
        states = states_with_counts()
        return Response(StateSerializer(states, many=True, context={"request": request}).data)


class NotFound(ReadOnlyAPIView):
    """Anything else under ``/api/v1/``: a JSON 404, not the HTML one."""

    schema = None  # not an endpoint

    def get(self, request, rest=""):
        return json_error(_("No such API endpoint: %(path)s") % {"path": request.path}, 404)


def server_error(request):
    """The site's 500 handler (``config.urls.handler500``): JSON under /api/, where clients
    parse the answer, Django's HTML page elsewhere."""
    if request.path.startswith("/api/"):
        return json_error(
            _("Server error: the request could not be answered. Try again later."), 500
        )
    return defaults.server_error(request)
