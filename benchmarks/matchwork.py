"""Targets 1-3: one interest end to end, the full re-match through the queue, one cluster
edited."""

import random
import statistics
import threading
import time
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from benchmarks.data import settle
from benchmarks.env import BenchmarkError, Workers, wait_for
from benchmarks.tasks import rank_only
from clusters.models import Cluster
from matchmaking.matching import engine, features, keys, storage, suggest
from matchmaking.matching.suggest import batches
from matchmaking.matching.terms import fold_terms
from matchmaking.models import Interest, MatchRun, Suggestion
from matchmaking.tasks import match_interests, run_cluster_change

# --- 1. One interest ----------------------------------------------------------------------


@dataclass
class OneInterest:
    end_to_end: list[float]
    candidate_query: list[float]
    candidates: list[int]
    cold: list[float]


def one_interest(ids: list[int], *, sample: int) -> OneInterest:
    """``rescore_interest`` (candidates, scoring, storing the top N) for a random sample of
    interests, beside the database query that selects their candidates by the sector index."""
    chosen = random.Random(1).sample(ids, min(sample, len(ids)))
    suggest.load_index()  # a worker's index is warm but for the first task after a change
    for pk in chosen[:10]:
        suggest.rescore_interest(pk)
    end_to_end = []
    for pk in chosen:
        started = time.perf_counter()
        suggest.rescore_interest(pk)
        end_to_end.append(time.perf_counter() - started)

    reaches = []
    for pk in chosen:
        wanted = suggest.interest_features(Interest.objects.get(pk=pk))
        reaches.append(wanted.sectors | wanted.related_sectors)
    through = Cluster.sectors.through.objects
    candidate_query, candidates = [], []
    for sectors in reaches:
        started = time.perf_counter()
        found = list(
            Cluster.objects.published()
            .filter(pk__in=through.filter(sector__slug__in=sectors).values("cluster_id"))
            .values_list("pk", flat=True)
        )
        candidate_query.append(time.perf_counter() - started)
        candidates.append(len(found))

    # The first interest after any cluster change rebuilds the process's index.
    cold = []
    for pk in chosen[:3]:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE clusters_state SET code = code WHERE false")  # new version
        started = time.perf_counter()
        suggest.rescore_interest(pk)
        cold.append(time.perf_counter() - started)
    return OneInterest(end_to_end, candidate_query, candidates, cold)


def p50(values) -> float:
    return statistics.median(values)


# --- 2. Full re-match ---------------------------------------------------------------------


@dataclass
class Rematch:
    label: str
    interests: int
    clusters: int
    batches: int
    batch_size: int
    wall: float
    suggestions: int
    peak_mb: list[float]
    batch_compute: list[float] = field(default_factory=list)

    @property
    def per_suggestion_us(self) -> float:
        return self.wall / max(self.suggestions, 1) * 1e6


def clear_suggestions() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {Suggestion._meta.db_table}")
    Interest.objects.update(matched_at=None, matched_version=None, match_floor=None)


def as_from_an_older_engine(interest_ids: list[int] | None = None) -> None:
    """Mark the stored suggestions (of ``interest_ids``, or all) as computed by the engine
    before this one: re-scoring then writes every row again, as after an engine change
    (rows that come out as they were are not written)."""
    older = engine.ENGINE_VERSION - 1
    assert older >= 0, "there is no older engine to pretend"
    rows = Suggestion.objects.all()
    if interest_ids is not None:
        rows = rows.filter(interest_id__in=interest_ids)
    rows.update(engine_version=older)


def rematch(
    ids: list[int], *, label: str, stored: str, counter, batch_size: int | None = None
) -> Rematch:
    """Every interest in ``ids`` re-matched by two fresh worker processes through Redis, in
    batches as ``manage.py rematch --enqueue`` sends them; the wall time runs from the first
    enqueue to the end of the last batch. Over ``stored`` suggestions: "none" (emptied
    first), "older" (every one written again, as after an engine change) or "current" (as
    they are: the rows that come out the same are not written)."""
    batch_size = batch_size or settings.MATCH_BATCH_SIZE
    if stored == "none":
        clear_suggestions()
    elif stored == "older":
        as_from_an_older_engine()
    else:
        assert stored == "current", stored
    MatchRun.objects.all().delete()
    settle()  # the rows an earlier run left are not vacuumed while this one runs
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the rest (clusters published or not, MatchRuns)
    clusters = Cluster.objects.published().count()
    workers = Workers(concurrency=2, name=f"rematch-{label}")
    workers.start()
    try:
        counter.ping()
        started = timezone.now()
        chunks = list(batches(ids, batch_size))
        for chunk in chunks:
            match_interests.delay(chunk, MatchRun.Trigger.FULL)

        def finished():
            runs = MatchRun.objects.filter(trigger=MatchRun.Trigger.FULL)
            if runs.filter(status=MatchRun.Status.FAILED).exists():
                error = runs.filter(status=MatchRun.Status.FAILED).first().error
                raise BenchmarkError(f"a match batch failed: {error.splitlines()[0]}")
            # A batch delivered twice (rare: a message handed out again) counts twice: the
            # run ends only once every batch is done and none is still running.
            done = runs.filter(status=MatchRun.Status.DONE).count() >= len(chunks)
            return done and not runs.filter(status=MatchRun.Status.RUNNING).exists()

        wait_for(finished, timeout=900, what=f"the re-match of {len(ids)} interests")
        peak = workers.peak_rss_mb()
    finally:
        workers.stop()
    runs = list(MatchRun.objects.filter(trigger=MatchRun.Trigger.FULL))
    ended = max(run.finished_at for run in runs)
    return Rematch(
        label=label,
        interests=len(ids),
        clusters=clusters,
        batches=len(chunks),
        batch_size=batch_size,
        wall=(ended - started).total_seconds(),
        suggestions=sum(run.suggestions_stored for run in runs),
        peak_mb=peak,
        batch_compute=[(run.finished_at - run.started_at).total_seconds() for run in runs],
    )


def writes_alone(ids: list[int], *, batch_size: int | None = None, connections: int = 2) -> float:
    """Seconds to write a re-match's rows and nothing else: the suggestions now stored,
    copied aside, upserted back onto themselves (``computed_at`` moved, as a re-match moves
    it) by raw SQL from ``connections`` threads with their own connections, in the same
    batches as the re-match, one transaction each. No scoring, no reading of interests, no
    JSON to parse (the copy holds it as jsonb): a floor under any re-match that stores
    these rows."""
    batch_size = batch_size or settings.MATCH_BATCH_SIZE
    table = Suggestion._meta.db_table
    columns = [f.column for f in Suggestion._meta.concrete_fields if not f.primary_key]
    listed = ", ".join(columns)
    chosen = ", ".join("now()" if c == "computed_at" else c for c in columns)
    updated = ("score", "reasons", "engine_version", "computed_at", "is_current")
    sql = (
        f"INSERT INTO {table} ({listed}) SELECT {chosen} FROM bench_rows "
        "WHERE interest_id = ANY(%s) ON CONFLICT (interest_id, cluster_id) DO UPDATE SET "
        + ", ".join(f"{c} = EXCLUDED.{c}" for c in updated)
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_rows")
        cursor.execute(f"CREATE UNLOGGED TABLE bench_rows AS SELECT * FROM {table}")
        cursor.execute("CREATE INDEX ON bench_rows (interest_id)")
        cursor.execute("ANALYZE bench_rows")
    chunks = list(batches(ids, batch_size))
    errors: list[Exception] = []

    def write(share: list[list[int]]) -> None:
        try:
            for chunk in share:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")  # as the matching
                    cursor.execute(sql, [chunk])
        except Exception as exc:  # noqa: BLE001 - reported below, in the calling thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=write, args=(chunks[number::connections],))
        for number in range(connections)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_rows")
    if errors:
        raise BenchmarkError(f"writing the rows alone failed: {errors[0]}")
    return seconds


def ranking_alone(ids: list[int], *, counter, batch_size: int | None = None) -> float:
    """Seconds for the re-match's batches to do everything before writing (``rank_only``:
    lock and read the interests, rank them with their top N's reasons), sent through Redis
    to two fresh worker processes as the re-match sends them, each batch rolled back: the
    other floor under the re-match, beside ``writes_alone``."""
    batch_size = batch_size or settings.MATCH_BATCH_SIZE
    chunks = list(batches(ids, batch_size))
    key = f"rank-only:{uuid.uuid4().hex}"
    workers = Workers(concurrency=2, name="rank-only")
    workers.start()
    try:
        counter.ping()
        started = time.perf_counter()
        for chunk in chunks:
            rank_only.delay(chunk, key)
        ended = wait_for(
            lambda: counter.value(key) >= len(chunks) and time.perf_counter(),
            timeout=900,
            what=f"ranking {len(ids)} interests alone",
            interval=0.05,
        )
    finally:
        workers.stop()
    return ended - started


STAGES = ("reading", "walk", "reasons", "storing", "recording")


def stage_costs(ids: list[int], *, sample: int = 10_000, batch_size: int | None = None):
    """Seconds per interest of each stage of ``rescore_interests`` (``STAGES``), timed apart
    in this process for a random ``sample`` of ``ids`` in the re-match's batches, each
    rolled back (the rows written, then undone), after a first pass over the sample that
    warms the index's level groups as a worker's are warm:

    - reading: locking and reading the interests, their "not relevant" marks;
    - walk: ``ClusterIndex.rank`` finding the top N, less the reasons it builds for them;
    - reasons: building those N ``Match``es with their reasons (``score_with_terms`` on the
      same clusters again, timed alone);
    - storing: ``storage.store``, the database's work on the rows included (every row
      written again: the sample's rows are marked as from an older engine first, and put
      back after);
    - recording: each interest's reach keys and match record (``mark_matched``).

    Everything but the walk is work any ranker leaves to do, once it knows the top N."""
    batch_size = batch_size or settings.MATCH_BATCH_SIZE
    chosen = sorted(random.Random(4).sample(ids, min(sample, len(ids))))
    as_from_an_older_engine(chosen)  # every row written again, as in the re-match timed
    settle()
    current = features.published(build=True)
    for chunk in batches(chosen, batch_size):
        _time_stages(chunk, current)  # warming
    spent = dict.fromkeys(STAGES, 0.0)
    for chunk in batches(chosen, batch_size):
        for stage, seconds in _time_stages(chunk, current).items():
            spent[stage] += seconds
    Suggestion.objects.filter(interest_id__in=chosen).update(engine_version=engine.ENGINE_VERSION)
    return {stage: seconds / len(chosen) for stage, seconds in spent.items()}


def _time_stages(chunk: list[int], current) -> dict[str, float]:
    index, limit = current.index, settings.MATCH_TOP_N
    with transaction.atomic():
        now = timezone.now()
        started = time.perf_counter()
        interests = suggest.lock_and_read(chunk, current.neighbours)
        active = [interest for interest in interests if interest.is_active]
        dismissed = storage.not_relevant([interest.pk for interest in active])
        read = time.perf_counter()
        found = {
            interest.pk: index.rank(
                interest.features, limit=limit, exclude=dismissed.get(interest.pk, ())
            )
            for interest in active
        }
        ranked = time.perf_counter()
        terms = {interest.pk: fold_terms(interest.features.description) for interest in active}
        for interest in active:
            for match in found[interest.pk]:
                cluster = index.by_id[match.cluster_id]
                engine.score_with_terms(
                    interest.features, terms[interest.pk], cluster, index.context
                )
        reasoned = time.perf_counter()
        rows = [(pk, match) for pk, matches in found.items() for match in matches]
        storage.store(rows, list(found), now=now)
        stored = time.perf_counter()
        match_keys = {
            interest.pk: keys.match_keys(interest.features, terms[interest.pk])
            for interest in active
        }
        storage.mark_matched(found, match_keys, now=now)
        recorded = time.perf_counter()
        transaction.set_rollback(True)
    return {
        "reading": read - started,
        "walk": (ranked - read) - (reasoned - ranked),
        "reasons": reasoned - ranked,
        "storing": stored - reasoned,
        "recording": recorded - stored,
    }


def every_pair_baseline(ids: list[int], *, share: float = 0.01) -> tuple[float, int]:
    """Seconds to score every (interest, published cluster) pair with ``engine.score`` and
    keep the top N, for a random ``share`` of ``ids``, features already in memory. Returns
    (seconds for the sample, sample size)."""
    sample = sorted(random.Random(2).sample(ids, max(1, round(len(ids) * share))))
    index = suggest.load_index()
    clusters, context = index.clusters, index.context
    with transaction.atomic():
        interests = suggest.lock_and_read(sample, None)
    limit = settings.MATCH_TOP_N
    started = time.perf_counter()
    for interest in interests:
        scored = [engine.score(interest.features, cluster, context) for cluster in clusters]
        ranked = sorted(
            (m for m in scored if m is not None), key=lambda m: (-m.score, m.cluster_id)
        )
        del ranked[limit:]
    return time.perf_counter() - started, len(sample)


# --- 3. One cluster edited ----------------------------------------------------------------


@dataclass
class ClusterEdit:
    cluster: str
    suggested_to: int
    changed: int  # interests whose suggestions changed (most edits of the run)
    seconds: list[float]
    full_runs: int
    active_interests: int


def typical_cluster() -> Cluster:
    """The synthetic cluster, of 31 picked at random, suggested to the median number of
    interests."""
    ids = list(
        Cluster.objects.filter(is_synthetic=True, is_published=True).values_list("pk", flat=True)
    )
    picked = random.Random(3).sample(ids, min(31, len(ids)))
    counts = sorted(
        (Suggestion.objects.filter(cluster_id=pk, is_current=True).count(), pk) for pk in picked
    )
    return Cluster.objects.get(pk=counts[len(counts) // 2][1])


def cluster_edit(*, repeats: int = 3, warm: int = 500) -> ClusterEdit:
    """Edit a typical cluster's profile (its description: text points change for many
    interests) and time what ``match_for_cluster`` runs for it (``run_cluster_change``), in
    this process, warmed as a worker is: its index current and ``warm`` random interests
    ranked (their level groups built), so that patching the index is timed as a worker
    pays it."""
    cluster = typical_cluster()
    original = cluster.description
    suggested_to = Suggestion.objects.filter(cluster=cluster, is_current=True).count()
    before = MatchRun.objects.filter(trigger=MatchRun.Trigger.FULL).count()
    ids = list(Interest.objects.active().order_by("?").values_list("pk", flat=True)[:warm])
    with transaction.atomic():
        interests = suggest.lock_and_read(sorted(ids), None)
    seconds, scored = [], 0
    words = ["turbine machining", "software logistics research", "training suppliers"]
    try:
        for number in range(repeats):
            index = suggest.load_index()  # as it was before the edit
            for interest in interests:
                if interest.features is not None:
                    index.rank(interest.features, limit=settings.MATCH_TOP_N)
            cluster.description = f"{original} {words[number % len(words)]}".strip()
            cluster.save()
            started = time.perf_counter()
            run = run_cluster_change(cluster.pk)
            seconds.append(time.perf_counter() - started)
            scored = max(scored, run.interests_scored)
    finally:
        cluster.description = original
        cluster.save()
        run_cluster_change(cluster.pk)
    return ClusterEdit(
        cluster=cluster.name,
        suggested_to=suggested_to,
        changed=scored,
        seconds=seconds,
        full_runs=MatchRun.objects.filter(trigger=MatchRun.Trigger.FULL).count() - before,
        active_interests=Interest.objects.active().count(),
    )
