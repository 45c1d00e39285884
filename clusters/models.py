"""Mexican clusters as the ECCP Preparatory Briefing on Mexico (D3.2) describes them.

Every record carries ``source``: where in the briefing (table, section, footnote) it comes
from. Business rules the database can hold are named constraints.
"""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clusters.text import fold


class NaturalKeyManager(models.Manager):
    natural_key_field = "slug"

    def get_by_natural_key(self, key):
        return self.get(**{self.natural_key_field: key})


class StateManager(NaturalKeyManager):
    natural_key_field = "code"


class State(models.Model):
    """One of Mexico's 32 federal entities."""

    code = models.CharField(_("ISO 3166-2 code"), max_length=6, unique=True)  # "MX-NLE"
    name = models.CharField(_("official name"), max_length=80, unique=True)
    briefing_name = models.CharField(
        _("name in the briefing"),
        max_length=80,
        blank=True,
        help_text=_("How Table 3 writes the state, where it differs from the official name."),
    )
    slug = models.SlugField(max_length=80, unique=True)
    source = models.CharField(max_length=200)

    objects = StateManager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^MX-[A-Z]{3}$"), name="clusters_state_code_iso"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("clusters:state_detail", args=[self.code])

    def natural_key(self):
        return (self.code,)


class Ecosystem(models.Model):
    """One of the EU's 14 industrial ecosystems (the vocabulary of the ECCP)."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=80, unique=True)

    objects = NaturalKeyManager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)


class SectorQuerySet(models.QuerySet):
    def with_cluster_counts(self):
        return self.annotate(
            published_cluster_count=models.Count(
                "clusters", filter=Q(clusters__is_published=True), distinct=True
            )
        )


class SectorManager(NaturalKeyManager.from_queryset(SectorQuerySet)):
    pass


class Sector(models.Model):
    """The project's controlled sector taxonomy; the briefing's labels map onto it."""

    slug = models.SlugField(max_length=60, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=80, unique=True)
    name_es = models.CharField(_("name (Spanish)"), max_length=80, unique=True)
    is_promexico_priority = models.BooleanField(
        _("ProMéxico priority sector"),
        default=False,
        help_text=_("One of ProMéxico's 9 key priority sectors (briefing, section 3.1)."),
    )
    ecosystems = models.ManyToManyField(Ecosystem, related_name="sectors", blank=True)
    source = models.CharField(max_length=200)

    objects = SectorManager()

    class Meta:
        ordering = ["name_en"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("clusters:sector_detail", args=[self.slug])

    def natural_key(self):
        return (self.slug,)

    @property
    def name(self):
        return self.name_es if (get_language() or "en").startswith("es") else self.name_en


class SectorLabel(models.Model):
    """A sector label exactly as the briefing writes it ("Real State", "Agrofood", ...)."""

    label = models.CharField(max_length=80, unique=True)
    sectors = models.ManyToManyField(Sector, related_name="labels")
    source = models.CharField(max_length=200)

    class Meta:
        ordering = ["label"]

    def __str__(self):
        return self.label


class ClusterQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)

    def for_directory(self):
        """What the directory list and the API list render, in a constant number of queries."""
        return (
            self.published()
            .select_related("state")
            .prefetch_related("sectors", "labels", "other_names")
            .order_by("name", "pk")
        )

    def search(self, text: str):
        """Case- and accent-insensitive search over every name and acronym, and the names of
        the state and of the sectors in both languages ("queretaro" finds every cluster in
        Querétaro, "aeroespacial" every aerospace cluster).

        The 32 states' and the sectors' names are folded in Python (two small queries), so
        that the same rule holds on SQLite and PostgreSQL.
        """
        folded = fold(text)
        match = Q(search_text__contains=folded)
        states = [
            pk
            for pk, *names in State.objects.values_list("pk", "name", "briefing_name")
            if folded in fold(" | ".join(names))
        ]
        if states:
            match |= Q(state__in=states)
        sectors = [
            pk
            for pk, *names in Sector.objects.values_list("pk", "name_en", "name_es")
            if folded in fold(" | ".join(names))
        ]
        if sectors:
            in_sectors = Cluster.sectors.through.objects.filter(
                cluster=OuterRef("pk"), sector__in=sectors
            )
            match |= Q(Exists(in_sectors))
        return self.filter(match)


class ClusterManager(NaturalKeyManager.from_queryset(ClusterQuerySet)):
    pass


class Cluster(models.Model):
    class Qualifier(models.TextChoices):
        """The word the briefing puts before a rounded figure."""

        MORE_THAN = "more_than", _("more than")
        ALMOST = "almost", _("almost")
        ABOUT = "about", _("about")

    class WebsiteKind(models.TextChoices):
        """What an address the briefing gives points at, where it is not the cluster's site."""

        BROCHURE = "brochure", _("a brochure, not the cluster's home page")
        PRESENTATION = "presentation", _("a presentation, not the cluster's home page")
        UNRELATED = "unrelated", _("a page unrelated to the cluster")

    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=200)
    acronym = models.CharField(max_length=40, blank=True)
    state = models.ForeignKey(
        State,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="clusters",
        help_text=_("Left empty where the briefing does not say the state."),
    )
    sectors = models.ManyToManyField(Sector, related_name="clusters", blank=True)
    sector_label = models.CharField(
        _("sector as the briefing writes it"), max_length=120, blank=True
    )
    website = models.URLField(max_length=300, blank=True)
    website_kind = models.CharField(
        _("what the website is"),
        max_length=12,
        choices=WebsiteKind.choices,
        blank=True,
        help_text=_("Left empty when the address is the cluster's own site."),
    )
    description = models.TextField(blank=True)
    members = models.PositiveIntegerField(null=True, blank=True)
    companies = models.PositiveIntegerField(null=True, blank=True)
    founded_year = models.PositiveSmallIntegerField(null=True, blank=True)
    exports_usd_millions = models.DecimalField(
        _("exports (USD million a year)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    members_qualifier = models.CharField(
        _("members: the briefing's word"),
        max_length=10,
        choices=Qualifier.choices,
        blank=True,
        help_text=_("Where the briefing rounds the number: “more than 120 members”."),
    )
    companies_qualifier = models.CharField(
        _("companies: the briefing's word"),
        max_length=10,
        choices=Qualifier.choices,
        blank=True,
        help_text=_("Where the briefing rounds the number: “almost 40 companies”."),
    )
    figures_note = models.CharField(
        _("figures as the briefing words them"), max_length=300, blank=True
    )
    is_formally_organised = models.BooleanField(
        _("formally organised"),
        default=False,
        help_text=_("Listed among the formally organised clusters (briefing, Table 3)."),
    )
    source = models.CharField(max_length=300)
    last_verified = models.DateField(null=True, blank=True)
    is_published = models.BooleanField(_("published"), default=True)
    is_curated = models.BooleanField(
        _("curated by an admin"),
        default=False,
        help_text=_("load_briefing leaves curated records alone unless run with --force."),
    )
    search_text = models.TextField(editable=False, default="")
    is_synthetic = models.BooleanField(
        _("synthetic"),
        default=False,
        editable=False,
        help_text=_("Generated for load testing (generate_synthetic); never briefing data."),
    )
    # Provided by the cluster's managers (clusters.provided): kept beside the briefing's own
    # values, never over them; ``provided_on`` maps each part to the date it was provided.
    provided_description_es = models.TextField(
        _("description in Spanish (provided by the cluster)"), max_length=4000, blank=True
    )
    provided_description_en = models.TextField(
        _("description in English (provided by the cluster)"), max_length=4000, blank=True
    )
    provided_offers = models.TextField(_("what the cluster offers"), max_length=2000, blank=True)
    provided_seeks = models.TextField(_("what the cluster seeks"), max_length=2000, blank=True)
    provided_members = models.PositiveIntegerField(
        _("members (provided by the cluster)"), null=True, blank=True
    )
    provided_companies = models.PositiveIntegerField(
        _("companies (provided by the cluster)"), null=True, blank=True
    )
    provided_figures_year = models.PositiveSmallIntegerField(
        _("year of the figures"), null=True, blank=True
    )
    provided_website = models.URLField(
        _("website (provided by the cluster)"), max_length=300, blank=True
    )
    provided_contact = models.CharField(
        _("public contact channel"),
        max_length=300,
        blank=True,
        help_text=_("A public email address, phone or contact page, shown on the profile."),
    )
    logo = models.ImageField(_("logo"), upload_to="cluster-logos/", max_length=200, blank=True)
    provided_on = models.JSONField(_("provided on"), default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ClusterManager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "state"],
                name="clusters_cluster_unique_name_state",
                violation_error_message=_("A cluster with this name already exists in this state."),
            ),
            models.CheckConstraint(
                condition=Q(founded_year__isnull=True)
                | Q(founded_year__gte=1900, founded_year__lte=2100),
                name="clusters_cluster_founded_year_range",
                violation_error_message=_("Founding year must be between 1900 and 2100."),
            ),
            models.CheckConstraint(
                condition=Q(exports_usd_millions__isnull=True) | Q(exports_usd_millions__gte=0),
                name="clusters_cluster_exports_not_negative",
                violation_error_message=_("Exports cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(provided_figures_year__isnull=True)
                | Q(provided_figures_year__gte=1900, provided_figures_year__lte=2100),
                name="clusters_cluster_figures_year_range",
                violation_error_message=_("The year of the figures must be between 1900 and 2100."),
            ),
        ]
        indexes = [
            # Directory and API list: published clusters ordered by name.
            models.Index(fields=["is_published", "name"], name="clusters_published_name_idx"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.refresh_search_text(save=False)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("clusters:cluster_detail", args=[self.slug])

    def natural_key(self):
        return (self.slug,)

    def all_names(self) -> list[str]:
        """The primary name followed by every other name, without repeats."""
        names = [self.name]
        for other in self.other_names.all():
            if other.name not in names:
                names.append(other.name)
        return names

    def managers(self):
        """The approved claims on this cluster: its managers (``user``, ``work_email``)."""
        return Claim.objects.approved().filter(cluster=self).select_related("user")

    def is_managed_by(self, user) -> bool:
        return bool(
            getattr(user, "is_authenticated", False)
            and Claim.objects.approved().filter(cluster=self, user=user).exists()
        )

    def valid_labels(self):
        return [label for label in self.labels.all() if label.is_valid]

    def refresh_search_text(self, *, save: bool = True) -> None:
        parts = [self.name, self.acronym]
        if self.pk:
            parts += list(self.other_names.values_list("name", flat=True))
        self.search_text = fold(" | ".join(p for p in parts if p))
        if save:
            Cluster.objects.filter(pk=self.pk).update(search_text=self.search_text)


class ClusterName(models.Model):
    """Another name under which the briefing lists the same organisation."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="other_names")
    name = models.CharField(max_length=200)
    source = models.CharField(max_length=300)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "name"], name="clusters_clustername_unique_cluster_name"
            ),
        ]

    def __str__(self):
        return self.name


# The date the briefing's facts are valid at (D3.2, Dec 2016): a label "valid" is valid then.
BRIEFING_DATE = "2016-12"


class QualityLabel(models.Model):
    """An ESCA cluster-management quality label (briefing, Table 4)."""

    class Level(models.TextChoices):
        GOLD = "gold", _("Gold")
        SILVER = "silver", _("Silver")
        BRONZE = "bronze", _("Bronze")

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="labels")
    level = models.CharField(max_length=6, choices=Level.choices)
    is_valid = models.BooleanField(_("valid"), default=True)
    validity_note = models.CharField(max_length=200, blank=True)
    listed_name = models.CharField(_("name in Table 4"), max_length=200, blank=True)
    sector_label = models.CharField(_("sector in Table 4"), max_length=80, blank=True)
    source = models.CharField(max_length=300)

    class Meta:
        ordering = ["cluster", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "level"], name="clusters_qualitylabel_unique_cluster_level"
            ),
            models.CheckConstraint(
                condition=Q(level__in=["gold", "silver", "bronze"]),
                name="clusters_qualitylabel_level_known",
            ),
        ]

    def __str__(self):
        status = "" if self.is_valid else " (lapsed)"
        return f"{self.get_level_display()}{status}"


class SectorStronghold(models.Model):
    """A state where a sector's clusters are predominantly located (briefing, Table 2)."""

    sector = models.ForeignKey(Sector, on_delete=models.CASCADE, related_name="strongholds")
    state = models.ForeignKey(State, on_delete=models.CASCADE, related_name="strongholds")
    position = models.PositiveSmallIntegerField(help_text=_("Order in Table 2."))
    source = models.CharField(max_length=200)

    class Meta:
        ordering = ["sector", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["sector", "state"], name="clusters_stronghold_unique_sector_state"
            ),
        ]

    def __str__(self):
        return f"{self.sector} – {self.state}"


class EnergyProjection(models.Model):
    """A row of Table 1: additional capacity projected by energy source, 2018-2028 (MW).

    The total row is kept as printed (``is_total``); the data-notes page sets it beside the
    sum of the rows above it.
    """

    sector = models.ForeignKey(Sector, on_delete=models.CASCADE, related_name="energy_projections")
    energy_source = models.CharField(_("type of energy source"), max_length=40, unique=True)
    mw_2018 = models.PositiveIntegerField()
    mw_2024 = models.PositiveIntegerField()
    mw_2028 = models.PositiveIntegerField()
    share_percent = models.PositiveSmallIntegerField(_("share (%)"))
    is_total = models.BooleanField(_("total row as printed"), default=False)
    position = models.PositiveSmallIntegerField()
    source = models.CharField(max_length=200)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_total"],
                condition=Q(is_total=True),
                name="clusters_energyprojection_one_total_row",
            ),
        ]

    def __str__(self):
        return self.energy_source


class SectorFact(models.Model):
    """A key fact the briefing gives about a focus sector (sections 2.3 and 3.2)."""

    sector = models.ForeignKey(Sector, on_delete=models.CASCADE, related_name="facts")
    key = models.SlugField(max_length=60)
    text = models.TextField()
    position = models.PositiveSmallIntegerField()
    source = models.CharField(max_length=200)

    class Meta:
        ordering = ["sector", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["sector", "key"], name="clusters_sectorfact_unique_key"
            ),
        ]

    def __str__(self):
        return self.text[:60]


class Programme(models.Model):
    """An EU–Mexico cooperation programme or project (briefing, Table 5)."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    relation = models.CharField(max_length=120)
    field = models.CharField(max_length=200)
    website = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField()
    source = models.CharField(max_length=200)

    objects = NaturalKeyManager()

    class Meta:
        ordering = ["position"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)


class ClusterRevision(models.Model):
    """One recorded change to a cluster profile: who, when, and what.

    Written explicitly by the admin, the import, revert and merge (never by a signal).
    ``snapshot`` is the whole profile after the change (see ``clusters.profile``),
    ``changes`` maps each changed field to ``[before, after]``.
    """

    class Action(models.TextChoices):
        BASELINE = "baseline", _("Before the first recorded change")
        CREATE = "create", _("Created in the admin")
        EDIT = "edit", _("Edited in the admin")
        ACTION = "action", _("Admin action")
        IMPORT = "import", _("Imported")
        REVERT = "revert", _("Reverted")
        MERGE = "merge", _("Merged")
        MANAGER = "manager", _("Edited by the cluster's manager")

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="revisions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=10, choices=Action.choices)
    comment = models.CharField(max_length=300, blank=True)
    snapshot = models.JSONField()
    changes = models.JSONField(default=dict, blank=True)
    details = models.JSONField(
        default=dict, blank=True, help_text=_("A merge keeps the merged-away record here.")
    )

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            # History page and the revision before a change: a cluster's revisions, newest first.
            models.Index(fields=["cluster", "-at"], name="clusters_revision_cluster_idx"),
        ]

    def __str__(self):
        return f"{self.cluster} · {self.get_action_display()} · {self.at:%Y-%m-%d %H:%M}"


class ClaimQuerySet(models.QuerySet):
    def approved(self):
        """The claims that make their person a manager of their cluster."""
        return self.filter(status=Claim.Status.APPROVED)

    def for_queue(self):
        """The staff list: each claim with its cluster, person and decider."""
        return self.select_related("cluster", "user", "decided_by")


class Claim(models.Model):
    """A person's claim to manage a cluster's profile; an approved claim makes them a manager.

    Approved automatically once the work email is verified and its domain is the domain of
    the cluster's website, otherwise by staff. A cluster can have several managers and a
    person can manage several clusters.
    """

    class Status(models.TextChoices):
        UNVERIFIED = "unverified", _("Email not verified yet")
        PENDING = "pending", _("Waiting for staff")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        REVOKED = "revoked", _("Revoked")

    OPEN_STATUSES = (Status.UNVERIFIED, Status.PENDING, Status.APPROVED)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cluster_claims"
    )
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="claims")
    name = models.CharField(_("your name"), max_length=120)
    role = models.CharField(_("your role in the cluster"), max_length=120)
    work_email = models.EmailField(_("work email"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    message = models.TextField(_("message to the programme team"), max_length=2000, blank=True)
    consent_at = models.DateTimeField(_("consented to the privacy notice at"))
    consent_version = models.CharField(_("privacy notice version"), max_length=20)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UNVERIFIED)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_reason = models.TextField(_("reason"), max_length=2000, blank=True)
    language = models.CharField(
        _("language of the emails"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The page's language when the claim was made or the profile last edited."),
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "cluster"],
                condition=Q(status__in=["unverified", "pending", "approved"]),
                name="clusters_claim_one_open_per_user_cluster",
                violation_error_message=_("You already have a claim on this cluster."),
            ),
        ]
        indexes = [
            # The staff queue: claims waiting for a decision, oldest first.
            models.Index(fields=["status", "created"], name="clusters_claim_status_idx"),
        ]

    def __str__(self):
        return f"{self.name} → {self.cluster}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES
