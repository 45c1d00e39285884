"""European organisations, their interests, and the match suggestions computed for them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clusters.models import Cluster, Sector, State
from matchmaking.countries import COUNTRY_CHOICES, COUNTRY_CODES

PRIVACY_NOTICE_VERSION = "2026-11"


class Organisation(models.Model):
    """A European cluster organisation or SME; one account (user) per organisation."""

    class Kind(models.TextChoices):
        CLUSTER = "cluster", _("Cluster organisation")
        SME = "sme", _("SME")
        RTO = "rto", _("Research/technology organisation")
        BSO = "bso", _("Business-support organisation")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organisation"
    )
    name = models.CharField(_("organisation name"), max_length=200)
    country = models.CharField(_("country"), max_length=2, choices=COUNTRY_CHOICES)
    kind = models.CharField(_("kind of organisation"), max_length=10, choices=Kind.choices)
    website = models.URLField(_("website"), max_length=300, blank=True)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    consent_at = models.DateTimeField(_("consented to the privacy notice at"))
    consent_version = models.CharField(_("privacy notice version"), max_length=20)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    notify_by_email = models.BooleanField(_("email me when new suggestions arrive"), default=True)
    language = models.CharField(
        _("language of the emails"),
        max_length=8,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_("Set from the site's language at sign-up; changeable on My data."),
    )
    is_synthetic = models.BooleanField(
        _("synthetic"),
        default=False,
        editable=False,
        help_text=_("Generated for load testing (generate_synthetic); never a real account."),
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(country__in=COUNTRY_CODES), name="matchmaking_org_country_known"
            ),
            models.CheckConstraint(
                condition=~Q(consent_version=""), name="matchmaking_org_consent_recorded"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def email(self) -> str:
        return self.user.email


class InterestQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def computing(self):
        """Active interests whose suggestions are being computed (``Interest.is_computing``
        in SQL)."""
        return self.active().filter(
            Q(matched_at__isnull=True) | Q(changed_at__gt=models.F("matched_at"))
        )

    def needing_match(self, engine_version: int):
        """Active interests never matched, matched by an older engine or before their match
        keys were recorded, or changed since."""
        return self.active().filter(
            Q(matched_at__isnull=True)
            | ~Q(matched_version=engine_version)
            | Q(changed_at__gt=models.F("matched_at"))
            | Q(match_keys__isnull=True)
        )


class Interest(models.Model):
    """What an organisation is looking for in Mexico."""

    class Kind(models.TextChoices):
        MARKET_ACCESS = "market_access", _("Market access / export")
        TECHNOLOGY = "technology", _("Technology & R&D partnership")
        SUPPLY_CHAIN = "supply_chain", _("Supply chain")
        INVESTMENT = "investment", _("Investment / establishment")
        CLUSTER_COOPERATION = "cluster_cooperation", _("Cluster-to-cluster cooperation")
        SKILLS = "skills", _("Skills / training")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="interests"
    )
    title = models.CharField(_("title"), max_length=120)
    sectors = models.ManyToManyField(Sector, related_name="interests", verbose_name=_("sectors"))
    states = models.ManyToManyField(
        State,
        related_name="interests",
        blank=True,
        verbose_name=_("target Mexican states"),
        help_text=_("Leave empty for anywhere in Mexico."),
    )
    kinds = models.JSONField(_("kinds of cooperation"), default=list)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(default=timezone.now)
    matched_at = models.DateTimeField(null=True, blank=True)
    matched_version = models.PositiveIntegerField(null=True, blank=True)
    match_floor = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "The lowest score in the interest's current top suggestions, null while it has "
            "fewer than the top N: a changed cluster scoring below it cannot enter them."
        ),
    )
    match_floor_cluster = models.BigIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "The cluster of the N-th suggestion: a changed cluster scoring exactly the floor "
            "enters only if its id is lower (ties rank by cluster id)."
        ),
    )
    match_keys = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "What the suggestions were computed from (sectors, target states, kinds, the "
            "description's folded terms), as indexed keys: how a changed cluster finds the "
            "interests it can enter. Null until matched so."
        ),
    )

    objects = InterestQuerySet.as_manager()

    class Meta:
        ordering = ["organisation", "created"]
        # No index on matched_at or matched_version: recording a match then updates the row
        # in place (HOT, migration 0010 leaves room on each page) unless its floor or keys
        # moved, so a re-match writes no index entries for it. The sweep reads every
        # interest instead (its OR of four conditions could not use an index well anyway).
        indexes = [
            # cluster_change: the interests whose top N a changed cluster's
            # best possible score reaches (few, for most clusters).
            models.Index(fields=["match_floor"], name="matchmaking_interest_floor_idx"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("matchmaking:interest_detail", args=[self.pk])

    @property
    def is_computing(self) -> bool:
        return self.is_active and (self.matched_at is None or self.changed_at > self.matched_at)

    def kind_labels(self) -> list[str]:
        labels = dict(self.Kind.choices)
        return [labels.get(kind, kind) for kind in self.kinds]


class SuggestionQuerySet(models.QuerySet):
    def visible(self):
        """What the dashboard shows: current suggestions and those marked interested, of
        published clusters, never those marked not relevant."""
        return self.filter(
            Q(is_current=True) | Q(status=Suggestion.Status.INTERESTED),
            cluster__is_published=True,
        ).exclude(status=Suggestion.Status.NOT_RELEVANT)

    def for_dashboard(self):
        return self.visible().select_related("cluster__state").order_by("-score", "cluster__name")

    def interested_but_unpublished(self):
        """Marked interested, of a cluster staff have since unpublished: the dashboard says
        so rather than let it vanish."""
        return self.filter(status=Suggestion.Status.INTERESTED, cluster__is_published=False)


class Suggestion(models.Model):
    """A Mexican cluster suggested for an interest, with the engine's score and reasons."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        INTERESTED = "interested", _("Interested")
        NOT_RELEVANT = "not_relevant", _("Not relevant")

    # No index of its own: the (interest, cluster) constraint's index serves every lookup by
    # interest, and one index less makes storing suggestions faster.
    interest = models.ForeignKey(
        Interest, on_delete=models.CASCADE, related_name="suggestions", db_index=False
    )
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="suggestions")
    score = models.PositiveSmallIntegerField()
    reasons = models.JSONField(default=list)
    engine_version = models.PositiveIntegerField()
    # When this score and these reasons were computed; a re-match that gives the same
    # result leaves the row, and this, as they were (``storage._store_postgresql``).
    computed_at = models.DateTimeField()
    is_current = models.BooleanField(
        default=True, help_text=_("In the interest's latest top suggestions.")
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    merged_from = models.CharField(
        _("merged from"),
        max_length=200,
        blank=True,
        help_text=_(
            "The name of the record the user marked interested, where staff merged it into "
            "this cluster: the dashboard says so rather than change the name silently."
        ),
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = SuggestionQuerySet.as_manager()

    class Meta:
        ordering = ["interest", "-score"]
        constraints = [
            models.UniqueConstraint(
                fields=["interest", "cluster"],
                name="matchmaking_suggestion_unique_interest_cluster",
            ),
            models.CheckConstraint(
                condition=Q(score__lte=100), name="matchmaking_suggestion_score_max_100"
            ),
        ]
        # No index on (interest, is_current, score): the (interest, cluster) constraint's
        # index finds an interest's few suggestions, and with no index on the columns a
        # re-match rewrites, its updates are HOT (migration 0010: pages kept 30% free).
        indexes = [
            # Staff CSV export of interested pairs; the matching's "not relevant" marks. Marked
            # suggestions only: most are new, and storing them need not update this index.
            models.Index(
                fields=["status"], condition=~Q(status="new"), name="matchmaking_sugg_marked_idx"
            ),
        ]

    def __str__(self):
        return f"{self.interest} → {self.cluster} ({self.score})"


class MatchRun(models.Model):
    """One execution of a matching task, for staff to watch."""

    class Trigger(models.TextChoices):
        INTEREST = "interest", _("Interest saved")
        CLUSTER = "cluster", _("Cluster changed")
        SWEEP = "sweep", _("Periodic sweep")
        FULL = "full", _("Full re-match")

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    subject = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    interests_scored = models.PositiveIntegerField(default=0)
    suggestions_stored = models.PositiveIntegerField(default=0)
    new_suggestions = models.PositiveIntegerField(default=0)
    emails_sent = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.get_trigger_display()} {self.subject} ({self.get_status_display()})"


class PendingClusterChange(models.Model):
    """A cluster changed and the suggestions it alters are not yet updated: written in the
    transaction that changed the cluster, removed once ``match_for_cluster`` has applied that
    change. Should the task never arrive (the broker was down, or a worker died while
    fetching it), the sweep finds the row and enqueues the task again."""

    cluster = models.OneToOneField(
        Cluster, on_delete=models.CASCADE, primary_key=True, related_name="pending_change"
    )
    requested_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"cluster {self.cluster_id} changed at {self.requested_at:%Y-%m-%d %H:%M:%S}"
