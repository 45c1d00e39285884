"""Merge two records of the same cluster into one (see README "Curation" for the rules).

The survivor keeps its own values and gains everything the merged-away record adds: its
names (as other names), sectors, labels, the figures the survivor lacks, and every row of
another app that points to it. Other apps move their rows in a ``clusters_merging``
receiver with their own rules; whatever is left is moved here generically, through
``Cluster._meta.related_objects``, keeping the survivor's row where a unique constraint
would clash. ``clusters`` never imports those apps.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clusters import profile
from clusters.history import record_changes
from clusters.models import Cluster, ClusterName, ClusterRevision, QualityLabel
from clusters.signals import clusters_changed, clusters_merging

# Filled from the merged-away record only where the survivor has no value.
FILL_BLANKS = [
    "acronym", "state", "sector_label", "website", "description", "members", "companies",
    "founded_year", "exports_usd_millions", "figures_note", "last_verified",
]  # fmt: skip
# What says how to read a field comes with it: "more than" with its number, "a brochure"
# with its address.
COMPANIONS = {
    "website": "website_kind",
    "members": "members_qualifier",
    "companies": "companies_qualifier",
}
OWN_RELATIONS = (ClusterName, QualityLabel, ClusterRevision)  # handled (or dropped) below


class MergeError(Exception):
    """The merge cannot be done; nothing was changed."""


def merge_clusters(*, survivor_id: int, merged_id: int, user=None) -> ClusterRevision:
    if survivor_id == merged_id:
        raise MergeError(_("A cluster cannot be merged with itself."))
    with transaction.atomic():
        found = Cluster.objects.select_for_update().in_bulk([survivor_id, merged_id])
        if len(found) != 2:
            raise MergeError(_("One of the two clusters no longer exists."))
        survivor, merged = found[survivor_id], found[merged_id]
        befores = profile.snapshots([survivor_id, merged_id])
        _merge_labels(survivor, merged)
        _merge_names(survivor, merged)
        survivor.sectors.add(*merged.sectors.all())
        _fill_blanks(survivor, merged)
        clusters_merging.send(sender=Cluster, survivor_id=survivor_id, merged_id=merged_id)
        _repoint_related(survivor, merged)
        merged.delete()
        survivor.is_curated = True
        try:
            survivor.full_clean(exclude=["sectors"])
        except ValidationError as exc:
            raise MergeError("; ".join(exc.messages)) from exc
        survivor.save()
        survivor.refresh_search_text()
        [revision] = record_changes(
            {survivor_id: befores[survivor_id]},
            user=user,
            action=ClusterRevision.Action.MERGE,
            comment=_("Merged “%(name)s” (%(slug)s) into this record.")
            % {"name": merged.name, "slug": merged.slug},
            details={"merged": befores[merged_id]},
            always=True,
        )[-1:]
        clusters_changed.send(sender=Cluster, cluster_ids=[survivor_id])
    return revision


def _label_rank(label: QualityLabel, cluster: Cluster) -> tuple:
    # A valid label beats a lapsed one; then the record verified more recently wins.
    return (label.is_valid, cluster.last_verified or datetime.date.min)


def _merge_labels(survivor: Cluster, merged: Cluster) -> None:
    kept = {label.level: label for label in survivor.labels.all()}
    for label in merged.labels.all():
        current = kept.get(label.level)
        if current is not None:
            if _label_rank(label, merged) <= _label_rank(current, survivor):
                continue  # on a tie the survivor's label stays; this one goes with its record
            current.delete()
        label.cluster = survivor
        label.save(update_fields=["cluster"])


def _merge_names(survivor: Cluster, merged: Cluster) -> None:
    have = {survivor.name, *survivor.other_names.values_list("name", flat=True)}
    names = [(merged.name, merged.source)]
    if merged.acronym and survivor.acronym and merged.acronym != survivor.acronym:
        names.append((merged.acronym, merged.source))
    names += list(merged.other_names.values_list("name", "source"))
    for name, source in names:
        if name not in have:
            ClusterName.objects.create(cluster=survivor, name=name, source=source)
            have.add(name)


def _fill_blanks(survivor: Cluster, merged: Cluster) -> None:
    for name in FILL_BLANKS:
        attname = Cluster._meta.get_field(name).attname
        if getattr(survivor, attname) in (None, "") and getattr(merged, attname) not in (None, ""):
            setattr(survivor, attname, getattr(merged, attname))
            if companion := COMPANIONS.get(name):
                setattr(survivor, companion, getattr(merged, companion))
    survivor.is_formally_organised = survivor.is_formally_organised or merged.is_formally_organised
    combined = f"{survivor.source}; {merged.source}"
    if merged.source not in survivor.source and len(combined) <= 300:
        survivor.source = combined


def _unique_sets(model, name: str) -> list[tuple]:
    sets = [c.fields for c in model._meta.total_unique_constraints if name in c.fields]
    sets += [tuple(fields) for fields in model._meta.unique_together if name in fields]
    if model._meta.get_field(name).unique:
        sets.append((name,))
    return sets


def _repoint_related(survivor: Cluster, merged: Cluster) -> None:
    """Move every other app's row from the merged cluster to the survivor."""
    for rel in Cluster._meta.related_objects:
        model = rel.related_model
        if model in OWN_RELATIONS:
            continue
        if rel.many_to_many:
            to_cluster, to_owner = rel.field.m2m_reverse_field_name(), rel.field.m2m_field_name()
            rows = rel.through._base_manager.filter(**{to_cluster: merged})
            kept = rel.through._base_manager.filter(**{to_cluster: survivor}).values(to_owner)
            rows.filter(**{f"{to_owner}__in": kept}).delete()
            rows.update(**{to_cluster: survivor})
            continue
        name, manager = rel.field.name, model._base_manager
        rows = manager.filter(**{name: merged})
        for fields in _unique_sets(model, name):
            others = [field for field in fields if field != name]
            survivors = manager.filter(**{name: survivor}).values_list("pk", *others)
            taken = {tuple(values) for _pk, *values in survivors}
            clash = [
                pk for pk, *values in rows.values_list("pk", *others) if tuple(values) in taken
            ]
            manager.filter(pk__in=clash).delete()
        rows.update(**{name: survivor})


def related_counts(cluster: Cluster) -> list[tuple[str, int]]:
    """What points to a cluster from other apps (e.g. suggestions), for the merge page."""
    counts = []
    for rel in Cluster._meta.related_objects:
        if rel.related_model in OWN_RELATIONS or rel.many_to_many:
            continue
        count = rel.related_model._base_manager.filter(**{rel.field.name: cluster}).count()
        counts.append((str(rel.related_model._meta.verbose_name_plural), count))
    return counts
