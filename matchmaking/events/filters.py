"""The event page's participant filters: sector, state, country, kind."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clusters.models import Sector, State
from matchmaking.countries import COUNTRY_CHOICES
from matchmaking.events.models import Participant
from matchmaking.models import Organisation

KIND_CHOICES = [("cluster", _("Mexican cluster")), *Organisation.Kind.choices]


class ParticipantFilter(django_filters.FilterSet):
    sector = django_filters.ModelChoiceFilter(
        label=_("Sector"),
        queryset=Sector.objects.all(),
        to_field_name="slug",
        method="filter_sector",
    )
    state = django_filters.ModelChoiceFilter(
        label=_("State"),
        queryset=State.objects.all(),
        to_field_name="code",
        field_name="cluster__state",
    )
    country = django_filters.ChoiceFilter(
        label=_("Country"),
        choices=COUNTRY_CHOICES,
        field_name="organisation__country",
        lookup_expr="exact",
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=KIND_CHOICES, method="filter_kind")

    class Meta:
        model = Participant
        fields = []

    def filter_sector(self, queryset, name, value):
        """Clusters in the sector, organisations with an active interest in it."""
        return queryset.filter(
            Q(cluster__sectors=value)
            | Q(organisation__interests__sectors=value, organisation__interests__is_active=True)
        ).distinct()

    def filter_kind(self, queryset, name, value):
        if value == "cluster":
            return queryset.filter(cluster__isnull=False)
        return queryset.filter(organisation__kind=value)
