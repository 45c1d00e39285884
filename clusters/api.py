"""Read-only JSON API over the published directory (plain Django views, no framework).

``GET /api/clusters/`` takes the same filters as the directory page (``q``, ``sector``,
``state``, ``label``, ``formally_organised``) plus ``page``, and answers
``{"count", "next", "previous", "results"}``. Malformed or unknown parameters answer 400
``{"error": "...", "fields": {name: [messages]}}``; a page past the last one, an unknown slug
or an unknown path answers 404 ``{"error": "..."}``. Only published clusters ever appear.
"""

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from clusters.filters import run_directory_query
from clusters.jsonapi import json_error as _error
from clusters.jsonapi import json_response as _json
from clusters.jsonapi import read_only as api_view
from clusters.models import BRIEFING_DATE, Cluster, Sector
from clusters.pagecache import cached
from clusters.views.places import states_with_counts


def _state(state):
    if state is None:
        return None
    return {"code": state.code, "name": state.name}


def _sector(sector):
    return {"slug": sector.slug, "name": sector.name}


def serialize_cluster(cluster: Cluster, request) -> dict:
    """A cluster as the API shows it; uses only prefetched relations (no queries)."""
    exports = cluster.exports_usd_millions
    return {
        "slug": cluster.slug,
        "name": cluster.name,
        "other_names": [name for name in cluster.all_names() if name != cluster.name],
        "acronym": cluster.acronym,
        "state": _state(cluster.state),
        "sectors": [_sector(sector) for sector in cluster.sectors.all()],
        "sector_label": cluster.sector_label,
        "labels": [
            {
                "level": label.level,
                "valid": label.is_valid,
                # Validity as the briefing states it (Dec 2016), not as of today.
                "valid_as_of": BRIEFING_DATE,
                "validity_note": label.validity_note,
                "listed_name": label.listed_name,
                "source": label.source,
            }
            for label in cluster.labels.all()
        ],
        "formally_organised": cluster.is_formally_organised,
        "website": cluster.website,
        "website_kind": cluster.website_kind or None,
        "description": cluster.description,
        "members": cluster.members,
        "members_qualifier": cluster.members_qualifier or None,
        "companies": cluster.companies,
        "companies_qualifier": cluster.companies_qualifier or None,
        "founded_year": cluster.founded_year,
        "exports_usd_millions": str(exports) if exports is not None else None,
        "figures_note": cluster.figures_note,
        "source": cluster.source,
        "last_verified": cluster.last_verified.isoformat() if cluster.last_verified else None,
        "url": request.build_absolute_uri(cluster.get_absolute_url()),
    }


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


@api_view
def index(request):
    return _json(
        {
            name: request.build_absolute_uri(reverse(f"clusters:api_{name[:-1]}_list"))
            for name in ("clusters", "sectors", "states")
        }
    )


@api_view
def cluster_list(request):
    """Served from the page cache while the cluster data has not changed
    (``clusters.pagecache``): the answer depends on nothing but the data and the URL."""
    status, body = cached(request, "api-clusters", lambda: _cluster_list(request))
    return HttpResponse(body, status=status, content_type="application/json")


def _cluster_list(request) -> tuple[int, bytes]:
    query = run_directory_query(request.GET, per_page=settings.API_PAGE_SIZE)
    if query.status in (400, 404):
        response = _error(query.message, query.status, fields=query.errors)
        return response.status_code, response.content
    page = query.page
    response = _json(
        {
            "count": page.paginator.count,
            "next": _page_url(request, page.next_page_number() if page.has_next() else None),
            "previous": _page_url(
                request, page.previous_page_number() if page.has_previous() else None
            ),
            "results": [serialize_cluster(cluster, request) for cluster in page.object_list],
        }
    )
    return response.status_code, response.content


@api_view
def cluster_detail(request, slug):
    cluster = (
        Cluster.objects.published()
        .select_related("state")
        .prefetch_related("sectors", "labels", "other_names")
        .filter(slug=slug)
        .first()
    )
    if cluster is None:
        return _error(_("No published cluster has the slug “%(slug)s”.") % {"slug": slug}, 404)
    return _json(serialize_cluster(cluster, request))


@api_view
def sector_list(request):
    sectors = Sector.objects.with_cluster_counts().prefetch_related("ecosystems")
    return _json(
        [
            {
                "slug": sector.slug,
                "name": sector.name,
                "name_en": sector.name_en,
                "name_es": sector.name_es,
                "is_promexico_priority": sector.is_promexico_priority,
                "ecosystems": [
                    {"slug": eco.slug, "name": eco.name} for eco in sector.ecosystems.all()
                ],
                "cluster_count": sector.published_cluster_count,
                "url": request.build_absolute_uri(sector.get_absolute_url()),
                "clusters": request.build_absolute_uri(
                    f"{reverse('clusters:api_cluster_list')}?sector={sector.slug}"
                ),
            }
            for sector in sectors
        ]
    )


@api_view
def state_list(request):
    return _json(
        [
            {
                "code": state.code,
                "name": state.name,
                "cluster_count": state.published_cluster_count,
                "table3_cluster_count": state.table3_cluster_count,
                "other_cluster_count": state.other_cluster_count,
                "url": request.build_absolute_uri(state.get_absolute_url()),
            }
            for state in states_with_counts()
        ]
    )


@api_view
def not_found(request, rest=""):
    return _error(_("No such API endpoint: %(path)s") % {"path": request.path}, 404)
