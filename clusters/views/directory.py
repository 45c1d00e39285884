"""The directory list and a cluster's page."""

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from clusters import provided
from clusters.filters import run_directory_query
from clusters.models import Cluster
from clusters.pagecache import CSRF_HOLE, cached, fill_holes, same_for_every_visitor

# How many "other clusters" of the same sector / state a cluster's page shows.
RELATED_LIMIT = 8


@require_safe
def cluster_list(request):
    """Published clusters, filtered and paginated.

    Malformed or unknown parameters answer 400 with the form errors shown; a well-formed page
    number past the last page answers 404 (Django's convention), with the same page layout.
    Served from the page cache while the cluster data has not changed (``clusters.pagecache``):
    the whole page for anonymous visitors, else the results inside a page rendered for them.
    """
    if same_for_every_visitor(request):
        status, html = cached(request, "directory-page", lambda: _page(request, CSRF_HOLE))
        return HttpResponse(fill_holes(html, request), status=status)
    status, html = _page(request)
    return HttpResponse(html, status=status)


def _page(request, csrf_token=None) -> tuple[int, str]:
    """The directory page's status and HTML (with ``csrf_token`` in place of the visitor's
    CSRF token if given)."""
    status, results = cached(request, "directory", lambda: _results(request))
    context = {"status": status, "results": mark_safe(results)}
    if csrf_token is not None:
        context["csrf_token"] = csrf_token
    return status, render_to_string("clusters/cluster_list.html", context, request)


def _results(request) -> tuple[int, str]:
    """The status, and the HTML of the results, filter form and pagination: the same for
    every visitor."""
    query = run_directory_query(request.GET, per_page=settings.DIRECTORY_PAGE_SIZE)
    context = {
        "filterset": query.filterset,
        "form": query.filterset.form,
        "page_obj": query.page,
        "errors": query.errors,
        "message": query.message,
        "status": query.status,
        "is_filtered": any(request.GET.get(name) for name in query.filterset.filters),
    }
    return query.status, render_to_string("clusters/_directory.html", context, request)


@require_safe
def cluster_detail(request, slug):
    cluster = get_object_or_404(
        Cluster.objects.published()
        .select_related("state")
        .prefetch_related("sectors", "labels", "other_names"),
        slug=slug,
    )
    sectors = list(cluster.sectors.all())
    others = Cluster.objects.published().exclude(pk=cluster.pk).select_related("state")
    by_sector = []
    if sectors:
        # Exists() rather than a join, so a cluster sharing two sectors is listed once.
        shares_sector = Cluster.sectors.through.objects.filter(
            cluster=OuterRef("pk"), sector__in=sectors
        )
        by_sector = list(others.filter(Exists(shares_sector))[: RELATED_LIMIT + 1])
    by_state = []
    if cluster.state_id:
        by_state = list(others.filter(state=cluster.state_id)[: RELATED_LIMIT + 1])
    dates = provided.provided_dates(cluster)
    description, part = provided.description_for(cluster, get_language())
    context = {
        "cluster": cluster,
        "sectors": sectors,
        "other_names": [n for n in cluster.other_names.all() if n.name != cluster.name],
        "labels": list(cluster.labels.all()),
        "by_sector": by_sector[:RELATED_LIMIT],
        "more_by_sector": len(by_sector) > RELATED_LIMIT,
        "by_state": by_state[:RELATED_LIMIT],
        "more_by_state": len(by_state) > RELATED_LIMIT,
        "provided": dates,
        "provided_description": description,
        "provided_description_date": dates.get(part),
        "is_manager": cluster.is_managed_by(request.user),
    }
    return render(request, "clusters/cluster_detail.html", context)
