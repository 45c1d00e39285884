"""The benchmark database's data: the briefing plus synthetic data at platform scale."""

import io
import time

from django.core.management import call_command
from django.db import connection

from benchmarks.synthetic import generate, synthetic_counts
from clusters.models import Cluster
from matchmaking.models import Interest, Organisation, Suggestion

SEED = 1


def prepare(*, clusters: int, organisations: int) -> str:
    """Migrate, load the briefing, and make sure the synthetic data is there: reused when a
    previous run left exactly these sizes (same seed: the same rows), generated otherwise.
    Returns what was done, for the report."""
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    # Production's manifest storage: pages need the collected files, and this process reads
    # the manifest once, so before any page is rendered.
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("load_briefing", verbosity=0, stdout=io.StringIO())
    counts = synthetic_counts()
    if counts["clusters"] == clusters and counts["organisations"] == organisations:
        return "reused from an earlier run (same sizes and seed: the same rows)"
    started = time.monotonic()
    print(
        f"generating {clusters} synthetic clusters and {organisations} organisations...",
        flush=True,
    )
    generate(clusters=clusters, organisations=organisations, seed=SEED)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return f"generated in {time.monotonic() - started:.0f} s"


def interest_ids(organisations: int | None = None) -> list[int]:
    """Active interests of the first ``organisations`` synthetic organisations (all if None)."""
    synthetic = Organisation.objects.filter(is_synthetic=True).order_by("pk")
    if organisations is not None:
        last = synthetic.values_list("pk", flat=True)[organisations - 1 : organisations]
        synthetic = synthetic.filter(pk__lte=last[0]) if last else synthetic
    return list(
        Interest.objects.active()
        .filter(organisation__in=synthetic.values("pk"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


class FewerClusters:
    """Within the block, only the briefing's and the first ``keep`` synthetic clusters are
    published (committed, so that workers see it); all are published again afterwards."""

    def __init__(self, keep: int):
        self.keep = keep

    def __enter__(self):
        last = f"synthetic-cluster-{self.keep:05d}"
        Cluster.objects.filter(is_synthetic=True, slug__gt=last).update(is_published=False)
        return self

    def __exit__(self, *exc):
        Cluster.objects.filter(is_synthetic=True, is_published=False).update(is_published=True)
        return False


def published_clusters() -> int:
    return Cluster.objects.published().count()


def settle() -> None:
    """VACUUM ANALYZE the matching's tables, so that the dead rows an earlier run left (a
    re-match rewrites every suggestion) are not being vacuumed while this run measures."""
    with connection.cursor() as cursor:
        for table in (Interest._meta.db_table, Suggestion._meta.db_table):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
