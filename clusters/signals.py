"""Signals other apps may listen to. Sent explicitly (by the admin), never from save()."""

from django.dispatch import Signal

# Sent with ``cluster_ids`` after an admin changed, published or unpublished clusters.
clusters_changed = Signal()

# Sent with ``cluster_ids`` inside the admin's delete transaction, before those clusters and
# everything that cascades from them (their suggestions among it) are deleted.
clusters_deleting = Signal()

# Sent with ``survivor_id`` and ``merged_id`` inside the merge transaction, before the merged
# record is deleted: a receiver moves its own rows that point to the merged cluster onto the
# survivor, resolving duplicates by its own rules. Rows left behind are moved generically
# (``clusters.merge``), keeping the survivor's row where a unique constraint would clash.
clusters_merging = Signal()

# Sent with ``sector_slugs`` after an admin changed what scoring reads of a sector: its
# strongholds (Table 2) or its ecosystems (which sectors count as related). The slugs are the
# sector and every sector that shared an ecosystem with it before or after the change: an
# interest choosing any of them may score differently now.
sector_rules_changed = Signal()

# Sent with ``cluster_ids`` and ``sector_slugs`` by ``manage.py load_briefing``, inside its
# transaction, after a load that created or updated clusters (their ids) or changed sectors'
# strongholds or ecosystems (the slugs, as for ``sector_rules_changed``). A receiver returns
# whether it asked for anything to be computed again.
briefing_changed = Signal()
