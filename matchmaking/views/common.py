"""Helpers shared by the matchmaking views: ownership, the current organisation, reasons."""

from functools import cached_property, wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from clusters.models import Claim, Sector, State
from matchmaking import engine, reasons
from matchmaking.models import Interest, Organisation, Suggestion


def _get_interest_for_user(request, pk, queryset=None) -> Interest:
    """The user's interest ``pk``, or 404 (also for someone else's: never 403)."""
    queryset = Interest.objects.all() if queryset is None else queryset
    return get_object_or_404(queryset, pk=pk, organisation__user=request.user)


def _get_suggestion_for_user(request, pk) -> Suggestion:
    """The user's suggestion ``pk``, or 404."""
    return get_object_or_404(
        Suggestion.objects.select_related("interest", "cluster"),
        pk=pk,
        interest__organisation__user=request.user,
    )


def get_organisation(request) -> Organisation | None:
    """The logged-in user's organisation (cached on the request), or None for accounts
    without one (staff created in the admin)."""
    if not hasattr(request, "_organisation"):
        request._organisation = Organisation.objects.filter(user=request.user).first()
    return request._organisation


def organisation_required(view):
    """``login_required``, then the user must have an organisation profile (else a 403 page
    explaining so; a Mexican cluster manager goes to their introductions instead). The view
    receives it as ``organisation``."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        organisation = get_organisation(request)
        if organisation is None:
            if Claim.objects.approved().filter(user=request.user).exists():
                return redirect("matchmaking:introductions")
            return render(request, "matchmaking/no_organisation.html", status=403)
        return view(request, *args, organisation=organisation, **kwargs)

    return wrapper


def safe_next(request, default: str) -> str:
    """The ``next`` parameter if it points into this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


NAME_FIELDS = ("name_en", "name_es")  # what Sector.name reads, in either language


class ReasonRenderer:
    """Renders stored reasons as sentences in the active language. Sector and state names
    are loaded once (one query each), on first use."""

    @cached_property
    def sector_names(self) -> dict[str, str]:
        return {sector.slug: sector.name for sector in Sector.objects.only("slug", *NAME_FIELDS)}

    @cached_property
    def state_names(self) -> dict[str, str]:
        return dict(State.objects.values_list("code", "name"))

    def render(self, reason: engine.Reason) -> str:
        return reasons.render(reason, sector_names=self.sector_names, state_names=self.state_names)

    def describe(self, reason: engine.Reason) -> dict:
        """``{code, params, points, text}`` for one reason."""
        return {
            "code": reason.code,
            "params": dict(reason.params),
            "points": reason.points,
            "text": self.render(reason),
        }

    def items(self, stored) -> list[dict]:
        """``describe()`` for each of a suggestion's stored reasons; malformed entries (from
        an older engine) are skipped rather than failing the page."""
        items = []
        for raw in stored or ():
            try:
                reason = engine.Reason.from_dict(raw)
            except (KeyError, TypeError, ValueError, AttributeError):
                continue
            items.append(self.describe(reason))
        return items
