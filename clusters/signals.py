"""Signals other apps may listen to. Sent explicitly (by the admin), never from save()."""

from django.dispatch import Signal

# Sent with ``cluster_ids`` after an admin changed, published or unpublished clusters.
clusters_changed = Signal()
