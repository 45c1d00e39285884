"""The Mexican cluster managers' pages: claim a profile, verify the claim, keep it current."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clusters import claims, provided
from clusters.forms import ClaimForm, ProfileForm
from clusters.models import Claim, Cluster

logger = logging.getLogger(__name__)
ACCOUNT_EXISTS_MESSAGE = gettext_lazy(
    "An account with this email address already exists: log in first, then claim the profile."
)
CLAIMS_REFUSED_MESSAGE = gettext_lazy(
    "Too many claims from you or your network. Please try again later."
)


def _site_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def claim_new(request, slug):
    """ "Is this your cluster?": a claim, creating the claimant's account on the way."""
    cluster = get_object_or_404(Cluster.objects.published(), slug=slug)
    user = request.user
    form = ClaimForm(request.POST or None, with_password=not user.is_authenticated)
    if user.is_authenticated and request.method == "GET":
        form.initial = {"work_email": user.email}
    if request.method == "POST" and not claims.allow_claim(request, user):
        form.is_valid()
        form.add_error(None, CLAIMS_REFUSED_MESSAGE)
        return render(
            request, "clusters/claim_form.html", {"form": form, "cluster": cluster}, status=429
        )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if not user.is_authenticated:
                user = claims.create_account(email=data["work_email"], password=data["password"])
                login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
            claim = claims.submit_claim(
                user=user,
                cluster=cluster,
                name=data["name"],
                role=data["role"],
                work_email=data["work_email"],
                phone=data["phone"],
                message=data["message"],
                language=get_language(),
            )
        except claims.ClaimError:
            if user.is_authenticated:
                form.add_error(None, _("You already have a claim on this cluster."))
            else:
                form.add_error("work_email", ACCOUNT_EXISTS_MESSAGE)
        else:
            try:
                claims.send_verification(claim=claim, site_url=_site_url(request))
            except Exception:  # noqa: BLE001 - SMTP, DNS, timeouts: the claim is saved
                logger.exception("could not send the verification email of claim %s", claim.pk)
                messages.warning(request, _("We could not send the verification email just now."))
            return redirect("clusters:claim_sent", pk=claim.pk)
    return render(request, "clusters/claim_form.html", {"form": form, "cluster": cluster})


@require_safe
@login_required
def claim_sent(request, pk):
    claim = get_object_or_404(Claim.objects.select_related("cluster"), pk=pk, user=request.user)
    return render(request, "clusters/claim_sent.html", {"claim": claim})


@require_safe
def verify_claim(request, token):
    """From the email: no log-in needed, the signed token names the claim and the address."""
    try:
        claim = claims.verify_claim(token, site_url=_site_url(request))
    except signing.SignatureExpired:
        return render(request, "clusters/claim_verify_failed.html", {"expired": True}, status=400)
    except signing.BadSignature:
        return render(request, "clusters/claim_verify_failed.html", {"expired": False}, status=400)
    return render(request, "clusters/claim_verified.html", {"claim": claim})


@require_safe
@login_required
def my_clusters(request):
    """The clusters the person manages, and their claims still open or refused."""
    mine = Claim.objects.filter(user=request.user).select_related("cluster", "cluster__state")
    context = {
        "managed": [claim for claim in mine if claim.status == Claim.Status.APPROVED],
        "others": [claim for claim in mine if claim.status != Claim.Status.APPROVED],
    }
    return render(request, "clusters/my_clusters.html", context)


def _get_cluster_for_manager(request, slug) -> Cluster:
    cluster = provided.get_cluster_for_manager(request.user, slug)
    if cluster is None:
        raise Http404("No cluster you manage here.")
    return cluster


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@login_required
def cluster_edit(request, slug):
    cluster = _get_cluster_for_manager(request, slug)
    form = ProfileForm(request.POST or None, request.FILES or None, instance=cluster)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changed = provided.update_profile(
            cluster=cluster,
            user=request.user,
            values={field: data[field] for field in provided.EDITABLE},
            logo=data.get("logo_file") or None,
            remove_logo=data.get("remove_logo", False),
            language=get_language(),
        )
        if changed:
            messages.success(request, _("Thank you: the profile is updated."))
        else:
            messages.info(request, _("Nothing changed."))
        published = cluster.is_published
        return redirect(cluster.get_absolute_url() if published else "clusters:my_clusters")
    return render(request, "clusters/cluster_edit.html", {"form": form, "cluster": cluster})


@require_POST
@login_required
def still_accurate(request, slug):
    cluster = _get_cluster_for_manager(request, slug)
    provided.confirm_still_accurate(cluster=cluster, user=request.user)
    messages.success(request, _("Thank you: the profile is marked as still accurate today."))
    return redirect(reverse("clusters:my_clusters"))
