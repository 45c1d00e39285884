"""The directory's filters, shared by the HTML list and the JSON API.

Every filter is strict: a value it does not know is a form error (the views answer 400 with
the message), never silently ignored.
"""

from dataclasses import dataclass, field

import django_filters
from django import forms
from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clusters.i18n import sector_name_field
from clusters.models import Cluster, QualityLabel, Sector, State

SEARCH_MAX_LENGTH = 200
STATE_NOT_GIVEN = "none"


class ClusterFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_text",
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.SearchInput,
        help_text=_("Any name or acronym, state or sector; case and accents are ignored."),
    )
    sector = django_filters.ModelChoiceFilter(
        label=_("Sector"),
        field_name="sectors",
        # Called per request: ordered by the name in the active language.
        queryset=lambda request: Sector.objects.order_by(sector_name_field()),
        to_field_name="slug",
        empty_label=_("All sectors"),
        error_messages={
            "invalid_choice": _("Unknown sector “%(value)s”: use a sector slug such as ict.")
        },
    )
    state = django_filters.ModelChoiceFilter(
        label=_("State"),
        queryset=State.objects.all(),
        to_field_name="code",
        empty_label=_("All states"),
        null_label=_("State not given in the briefing"),
        null_value=STATE_NOT_GIVEN,
        error_messages={
            "invalid_choice": _(
                "Unknown state “%(value)s”: use an ISO 3166-2:MX code such as MX-NLE, or “none”."
            )
        },
    )
    label = django_filters.ChoiceFilter(
        label=_("ESCA label"),
        choices=[
            ("valid", _("ESCA label valid at the briefing's date (Dec 2016)")),
            ("any", _("Any ESCA label, lapsed included")),
        ],
        method="filter_label",
        empty_label=_("With or without a label"),
        error_messages={
            "invalid_choice": _("Unknown label filter “%(value)s”: use “valid” or “any”.")
        },
    )
    formally_organised = django_filters.ChoiceFilter(
        label=_("Formally organised"),
        choices=[("true", _("Yes: listed in Table 3")), ("false", _("Not listed in Table 3"))],
        method="filter_formally_organised",
        empty_label=_("Either"),
        error_messages={
            "invalid_choice": _("formally_organised must be “true” or “false”, not “%(value)s”.")
        },
    )

    class Meta:
        model = Cluster
        fields: list[str] = []

    def filter_text(self, queryset, name, value):
        return queryset.search(value)

    def filter_label(self, queryset, name, value):
        labels = QualityLabel.objects.filter(cluster=OuterRef("pk"))
        if value == "valid":
            labels = labels.filter(is_valid=True)
        # Exists() rather than a join: a cluster with two labels must not appear twice.
        return queryset.filter(Exists(labels))

    def filter_formally_organised(self, queryset, name, value):
        return queryset.filter(is_formally_organised=(value == "true"))


class PageForm(forms.Form):
    """The ``page`` parameter of a paginated list, validated like a filter."""

    page = forms.IntegerField(
        min_value=1,
        required=False,
        error_messages={
            "invalid": _("The page number must be a whole number, 1 or more."),
            "min_value": _("The page number must be a whole number, 1 or more."),
        },
    )


@dataclass
class DirectoryQuery:
    """The outcome of reading a directory request's filters and page number.

    ``status`` is 200 (``page`` holds the clusters), 400 (``errors`` says which parameters
    are malformed or unknown) or 404 (a well-formed page number past the last page).
    """

    filterset: ClusterFilter
    status: int
    page: Page | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    message: str = ""


def run_directory_query(data, *, per_page: int) -> DirectoryQuery:
    """Validate ``data`` (a QueryDict) and return the requested page of published clusters."""
    filterset = ClusterFilter(data, queryset=Cluster.objects.for_directory())
    page_form = PageForm(data)
    filters_ok = filterset.is_valid()
    page_ok = page_form.is_valid()
    if not (filters_ok and page_ok):
        errors = {name: list(messages) for name, messages in filterset.errors.items()}
        errors.update({name: list(messages) for name, messages in page_form.errors.items()})
        details = " ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())
        message = _("Invalid query parameters. %(details)s") % {"details": details}
        return DirectoryQuery(filterset, 400, errors=errors, message=message)
    paginator = Paginator(filterset.qs, per_page)
    number = page_form.cleaned_data["page"] or 1
    try:
        page = paginator.page(number)
    except EmptyPage:
        message = ngettext(
            "Page %(number)s does not exist: there is %(count)s page.",
            "Page %(number)s does not exist: there are %(count)s pages.",
            paginator.num_pages,
        ) % {"number": number, "count": paginator.num_pages}
        return DirectoryQuery(filterset, 404, errors={"page": [message]}, message=message)
    return DirectoryQuery(filterset, 200, page=page)
