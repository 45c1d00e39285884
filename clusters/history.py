"""The history of cluster profiles: who changed what, when; and reverting to a version.

Revisions are recorded by explicit calls from the admin (save, actions), the import, revert
and merge — never by a ``post_save`` signal, so a bulk load or a test fixture writes none.
The first recorded change of a profile also stores a *baseline* revision (the profile as it
was before), so even the first change can be reverted.
"""

from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from clusters import profile
from clusters.models import Cluster, ClusterRevision
from clusters.signals import clusters_changed


class RevertError(Exception):
    """The version cannot be restored; ``messages`` say why (nothing was changed)."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def record_changes(
    befores: dict[int, dict | None],
    *,
    user=None,
    action: str,
    comment: str = "",
    details: dict | None = None,
    always: bool = False,
) -> list[ClusterRevision]:
    """Record a revision for each cluster whose profile differs from its ``before`` snapshot
    (``None``: the cluster was just created). ``always`` records one even without changes."""
    afters = profile.snapshots(befores.keys())
    with_history = set(
        ClusterRevision.objects.filter(cluster_id__in=afters).values_list("cluster_id", flat=True)
    )
    user = user if getattr(user, "is_authenticated", False) else None
    now = timezone.now()
    rows = []
    for pk, after in afters.items():
        before = befores[pk]
        changes = profile.diff(before, after)
        if before is not None and not changes and not always:
            continue
        if before is not None and pk not in with_history:
            rows.append(
                ClusterRevision(
                    cluster_id=pk, at=now, action=ClusterRevision.Action.BASELINE, snapshot=before
                )
            )
        rows.append(
            ClusterRevision(
                cluster_id=pk,
                user=user,
                at=now,
                action=action,
                comment=str(comment)[:300],
                snapshot=after,
                changes=changes,
                details=details or {},
            )
        )
    return ClusterRevision.objects.bulk_create(rows)


def revert(revision: ClusterRevision, *, user=None) -> ClusterRevision:
    """Restore a revision's profile (fields, sectors, other names, labels) as a new revision."""
    with transaction.atomic():
        cluster = Cluster.objects.select_for_update().get(pk=revision.cluster_id)
        before = profile.snapshots([cluster.pk])[cluster.pk]
        lookups = profile.Lookups.load()
        wanted = profile.empty_profile() | revision.snapshot
        errors = profile.validate(wanted, lookups, instance=cluster, unique=True)
        if errors:
            raise RevertError(errors)
        cluster.is_curated = True
        profile.apply(cluster, wanted, lookups)
        when = date_format(timezone.localtime(revision.at), "DATETIME_FORMAT")
        [new] = record_changes(
            {cluster.pk: before},
            user=user,
            action=ClusterRevision.Action.REVERT,
            comment=_("Reverted to the version of %(when)s (revision %(id)s).")
            % {"when": when, "id": revision.pk},
            always=True,
        )[-1:]
        clusters_changed.send(sender=Cluster, cluster_ids=[cluster.pk])
    return new


def field_label(name: str) -> str:
    """A profile field as the admin's form labels it ("Formally organised", not
    "is_formally_organised"); the names and labels of other names are not model fields."""
    labels = {"other_names": _("Other names"), "labels": _("ESCA labels")}
    if name in labels:
        return labels[name]
    try:
        return capfirst(Cluster._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def change_rows(revision: ClusterRevision) -> list[tuple[str, str, str]]:
    """(field label, before, after) as the CSV cells write them, for the history page."""
    return [
        (field_label(field), profile.to_cell(field, old), profile.to_cell(field, new))
        for field, (old, new) in revision.changes.items()
    ]
