"""European organisations, their interests, and the match suggestions computed for them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clusters.models import Claim, Cluster, Sector, State
from matchmaking.countries import COUNTRY_CHOICES, COUNTRY_CODES

PRIVACY_NOTICE_VERSION = settings.PRIVACY_NOTICE_VERSION  # shared with claims (clusters)


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
    contact_name = models.CharField(_("contact person"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    visible_to_clusters = models.BooleanField(
        _("visible to claimed Mexican clusters"),
        default=False,
        help_text=_(
            "Managers of the clusters your interests rank see your organisation's name, "
            "country and description (never your contact details) and may ask for an "
            "introduction."
        ),
    )
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


class IntroductionQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=Introduction.Status.REQUESTED)

    def managed_by(self, user):
        """Introductions to or from the clusters ``user`` manages (an approved claim)."""
        return self.filter(
            models.Exists(
                Claim.objects.approved().filter(cluster=models.OuterRef("cluster"), user=user)
            )
        )

    def for_user(self, user):
        """Every introduction ``user`` is a party to: as the organisation or as a manager."""
        return self.filter(
            Q(organisation__user=user)
            | models.Exists(
                Claim.objects.approved().filter(cluster=models.OuterRef("cluster"), user=user)
            )
        )

    def waiting_for(self, user):
        """Open requests that ``user`` is the one to answer."""
        asked_by_cluster = Q(direction=Introduction.Direction.FROM_CLUSTER, organisation__user=user)
        asked_by_organisation = Q(direction=Introduction.Direction.FROM_ORGANISATION) & Q(
            models.Exists(
                Claim.objects.approved().filter(cluster=models.OuterRef("cluster"), user=user)
            )
        )
        return self.open().filter(asked_by_cluster | asked_by_organisation)

    def waiting_for_staff(self):
        """Open requests to clusters with no manager: the staff queue."""
        return self.open().exclude(
            models.Exists(Claim.objects.approved().filter(cluster=models.OuterRef("cluster")))
        )

    def for_list(self):
        return self.select_related("organisation", "cluster__state", "interest").order_by(
            "-created", "-pk"
        )


def _user_link() -> models.ForeignKey:
    """Who did something to an introduction; kept as null when that account is deleted."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )


class Introduction(models.Model):
    """A request to introduce a European organisation and a Mexican cluster (double opt-in).

    Contact details of either side are shown to the other only once ``status`` is accepted.
    An organisation that deletes its account leaves ``organisation`` null: the cluster keeps
    a tombstone and the messages its own side wrote.
    """

    class Direction(models.TextChoices):
        FROM_ORGANISATION = "organisation", _("Asked by the organisation")
        FROM_CLUSTER = "cluster", _("Asked by the cluster")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        CLOSED = "closed", _("Closed by the programme team")

    class Outcome(models.TextChoices):
        MET = "met", _("We met")
        AGREEMENT = "agreement", _("Partnership agreed")
        NO_FOLLOW_UP = "no_follow_up", _("No follow-up")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="introductions",
    )
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="introductions")
    interest = models.ForeignKey(
        Interest, on_delete=models.SET_NULL, null=True, blank=True, related_name="introductions"
    )
    direction = models.CharField(max_length=12, choices=Direction.choices)
    requested_by = _user_link()
    message = models.TextField(_("message"), max_length=1000, blank=True)
    kinds = models.JSONField(_("proposed cooperation"), default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    created = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)
    nudged_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = _user_link()
    decline_reason = models.TextField(_("reason"), max_length=1000, blank=True)
    by_staff = models.BooleanField(
        _("introduced by the programme team"),
        default=False,
        help_text=_("Staff made the introduction by hand (the cluster had no manager)."),
    )
    invited_to_claim_at = models.DateTimeField(null=True, blank=True)
    staff_note = models.TextField(_("staff note"), max_length=2000, blank=True)
    reported_spam_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    outcome_by = _user_link()

    objects = IntroductionQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "cluster"],
                condition=Q(status="requested"),
                name="matchmaking_intro_one_open_per_org_cluster",
                violation_error_message=_(
                    "An introduction between this organisation and this cluster is already "
                    "waiting for an answer."
                ),
            ),
            # A message is required while its author's side is still there.
            models.CheckConstraint(
                condition=~Q(message="")
                | Q(organisation__isnull=True, direction="organisation")
                | Q(requested_by__isnull=True, direction="cluster"),
                name="matchmaking_intro_message_required",
            ),
            models.CheckConstraint(
                condition=Q(outcome="") | Q(status="accepted"),
                name="matchmaking_intro_outcome_after_acceptance",
            ),
        ]
        indexes = [
            # The beat sweep: open requests due for a reminder or expiry, oldest first.
            models.Index(
                fields=["expires_at"],
                condition=Q(status="requested"),
                name="matchmaking_intro_open_idx",
            ),
            # The weekly limit: an organisation's requests of the last seven days.
            models.Index(fields=["organisation", "created"], name="matchmaking_intro_org_idx"),
        ]

    def __str__(self):
        name = self.organisation.name if self.organisation_id else _("A former organisation")
        return f"{name} ↔ {self.cluster}"

    def get_absolute_url(self):
        return reverse("matchmaking:introduction_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.REQUESTED

    @property
    def is_accepted(self) -> bool:
        return self.status == self.Status.ACCEPTED

    def kind_labels(self) -> list[str]:
        labels = dict(Interest.Kind.choices)
        return [labels.get(kind, kind) for kind in self.kinds]
