"""Admin pages for curating clusters at scale: import (with preview), export, revert, merge.

Each view takes the ``ClusterAdmin`` and is wrapped by ``admin_site.admin_view`` (staff
only, CSRF protected); ``ClusterAdmin.get_urls`` wires them.
"""

import base64
import hashlib

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clusters import history, profile, transfer
from clusters.merge import MergeError, merge_clusters, related_counts
from clusters.models import Cluster, ClusterRevision

SESSION_KEY = "clusters_import"
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV or XLSX file"),
        help_text=gettext_lazy("One cluster per row; the first row names the columns."),
    )


def _context(model_admin, request, title: str, **extra) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": Cluster._meta,
        "title": title,
        **extra,
    }


def _changelist():
    return redirect("admin:clusters_cluster_changelist")


# Export --------------------------------------------------------------------------------


def export_response(queryset, file_format: str) -> HttpResponse:
    data = (transfer.export_xlsx if file_format == "xlsx" else transfer.export_csv)(queryset)
    response = HttpResponse(data, content_type=CONTENT_TYPES[file_format])
    name = f"clusters-{timezone.localdate():%Y-%m-%d}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def export_view(request, *, model_admin):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    file_format = request.GET.get("format", "csv")
    if file_format not in CONTENT_TYPES:
        return HttpResponse(_("Unknown format; use csv or xlsx."), status=400)
    return export_response(Cluster.objects.all(), file_format)


# Import --------------------------------------------------------------------------------


def _check_import_permission(model_admin, request) -> None:
    if not (model_admin.has_add_permission(request) and model_admin.has_change_permission(request)):
        raise PermissionDenied


def _preview(model_admin, request, form, plan=None, digest="", filename=""):
    context = _context(
        model_admin, request, _("Import clusters"), form=form, plan=plan, digest=digest,
        filename=filename, columns=profile.COLUMNS,
    )  # fmt: skip
    return render(request, "admin/clusters/cluster/import.html", context)


def import_view(request, *, model_admin):
    """Upload a file: nothing is written; the preview lists bad rows or the changes."""
    _check_import_permission(model_admin, request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return _preview(model_admin, request, form)
    upload = form.cleaned_data["file"]
    if upload.size > transfer.MAX_BYTES:
        form.add_error("file", _("The file is larger than 5 MB."))
        return _preview(model_admin, request, form)
    data = upload.read()
    try:
        plan = transfer.run_import(transfer.read_table(data, upload.name), dry_run=True)
    except transfer.TransferError as exc:
        form.add_error("file", str(exc))
        return _preview(model_admin, request, form)
    digest = ""
    if not plan.errors:
        digest = hashlib.sha256(data).hexdigest()
        request.session[SESSION_KEY] = {
            "digest": digest,
            "name": upload.name,
            "data": base64.b64encode(data).decode("ascii"),
        }
    return _preview(model_admin, request, ImportForm(), plan, digest, upload.name)


@require_POST
def import_confirm_view(request, *, model_admin):
    """Re-read and re-validate the previewed file, then apply it in one transaction."""
    _check_import_permission(model_admin, request)
    stored = request.session.get(SESSION_KEY) or {}
    if not stored or stored.get("digest") != request.POST.get("digest"):
        messages.error(request, _("This preview has expired; upload the file again."))
        return redirect("admin:clusters_cluster_import")
    data, name = base64.b64decode(stored["data"]), stored["name"]
    try:
        rows = transfer.read_table(data, name)
        comment = _("File %(name)s") % {"name": name}
        plan = transfer.run_import(rows, user=request.user, comment=comment)
    except transfer.TransferError as exc:
        messages.error(request, str(exc))
        return redirect("admin:clusters_cluster_import")
    if plan.errors:
        messages.error(request, _("The data changed since the preview; nothing was imported."))
        return _preview(model_admin, request, ImportForm(), plan, "", name)
    del request.session[SESSION_KEY]
    messages.success(request, _("Import done: %(summary)s.") % {"summary": plan.summary()})
    return _changelist()


# History -------------------------------------------------------------------------------


def history_context(cluster: Cluster) -> dict:
    revisions = list(cluster.revisions.select_related("user"))
    for revision in revisions:
        revision.change_rows = history.change_rows(revision)
    return {"revisions": revisions}


@require_POST
def revert_view(request, object_id, revision_id, *, model_admin):
    cluster = get_object_or_404(Cluster, pk=object_id)
    if not model_admin.has_change_permission(request, cluster):
        raise PermissionDenied
    revision = get_object_or_404(ClusterRevision, pk=revision_id, cluster=cluster)
    try:
        history.revert(revision, user=request.user)
    except history.RevertError as exc:
        for message in exc.messages:
            messages.error(request, _("Cannot revert: %(reason)s") % {"reason": message})
    else:
        messages.success(request, _("Restored the version of %(when)s.") % {
            "when": timezone.localtime(revision.at).strftime("%Y-%m-%d %H:%M")})  # fmt: skip
    return redirect("admin:clusters_cluster_history", cluster.pk)


# Merge ---------------------------------------------------------------------------------


def _two_clusters(raw: str) -> list[Cluster]:
    try:
        ids = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        return []
    clusters = list(Cluster.objects.filter(pk__in=ids).select_related("state"))
    return clusters if len(ids) == 2 and len(clusters) == 2 else []


def merge_view(request, *, model_admin):
    """Staff pick which of two records survives; the other is merged into it."""
    if not (
        model_admin.has_change_permission(request) and model_admin.has_delete_permission(request)
    ):
        raise PermissionDenied
    clusters = _two_clusters(request.POST.get("ids") or request.GET.get("ids", ""))
    if not clusters:
        messages.error(request, _("Select exactly two clusters to merge."))
        return _changelist()
    differences = merge_differences(*clusters)
    if request.method == "POST":
        survivor_id = request.POST.get("survivor", "")
        by_id = {str(cluster.pk): cluster for cluster in clusters}
        if differences and not request.POST.get("confirm_different"):
            messages.error(
                request, _("These records differ (see why below): confirm they are one cluster.")
            )
        elif survivor_id in by_id:
            merged = next(c for c in clusters if str(c.pk) != survivor_id)
            try:
                merge_clusters(survivor_id=int(survivor_id), merged_id=merged.pk, user=request.user)
            except MergeError as exc:
                messages.error(request, _("Nothing was merged: %(reason)s") % {"reason": exc})
            else:
                messages.success(request, _("“%(merged)s” was merged into “%(survivor)s”.") % {
                    "merged": merged.name, "survivor": by_id[survivor_id].name})  # fmt: skip
                return redirect("admin:clusters_cluster_change", int(survivor_id))
        else:
            messages.error(request, _("Choose which record survives."))
    for cluster in clusters:
        cluster.related_counts = related_counts(cluster)
    context = _context(
        model_admin, request, _("Merge two records of the same cluster"), clusters=clusters,
        ids=",".join(str(c.pk) for c in clusters), differences=differences,
    )  # fmt: skip
    return render(request, "admin/clusters/cluster/merge.html", context)


def merge_differences(first, second) -> list[str]:
    """Why two records may not be one cluster: different states, or no sector in common.
    The merge page asks staff to confirm before merging them."""
    reasons = []
    if first.state_id and second.state_id and first.state_id != second.state_id:
        reasons.append(
            _("They are in different states: %(first)s and %(second)s.")
            % {"first": first.state, "second": second.state}
        )
    first_sectors, second_sectors = set(first.sectors.all()), set(second.sectors.all())
    if first_sectors and second_sectors and not first_sectors & second_sectors:
        reasons.append(
            _("They share no sector: %(first)s and %(second)s.")
            % {
                "first": ", ".join(sorted(str(s) for s in first_sectors)),
                "second": ", ".join(sorted(str(s) for s in second_sectors)),
            }
        )
    return reasons


def merge_url(ids) -> str:
    return f"{reverse('admin:clusters_cluster_merge')}?ids={','.join(map(str, ids))}"
