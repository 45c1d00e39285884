"""Storing suggestions: the top N of each interest of a batch, the user's marks kept.

On PostgreSQL one statement stores a whole batch (``_store_postgresql``); elsewhere the ORM
does it in a few (``_store_portable``). Either way: an upsert on (interest, cluster) of every
match, the deletion of unmarked suggestions that fell out of the top, and the end of
``is_current`` for marked ones (the mark survives every re-computation).
"""

import json
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.conf import settings
from django.db import connection, transaction

from matchmaking.matching import engine
from matchmaking.models import Interest, Suggestion


@dataclass
class StoreResult:
    """What storing one interest's suggestions did: how many are stored, how many are new."""

    interest_id: int
    organisation_id: int
    stored: int = 0
    new: int = 0


@contextmanager
def derived_transaction() -> Iterator[None]:
    """A transaction that writes only what matching can compute again: suggestions, an
    interest's match record, a MatchRun. On PostgreSQL it commits without waiting for its
    WAL to reach the disk (``synchronous_commit`` off for this transaction alone): a
    database crash may lose the last fraction of a second of such commits, never corrupt
    them, and what is lost reads as not yet matched, which the sweep matches again. The
    wait it saves is a disk flush per batch. Inside an enclosing transaction (which may
    hold a user's own writes) it is a plain savepoint and changes nothing."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def not_relevant(interest_ids: list[int]) -> dict[int, list[int]]:
    """interest id -> the clusters its organisation marked "not relevant" (never shown again)."""
    found: dict[int, list[int]] = defaultdict(list)
    if interest_ids:
        rows = (
            Suggestion.objects.filter(
                interest_id__in=interest_ids, status=Suggestion.Status.NOT_RELEVANT
            )
            .order_by()
            .values_list("interest_id", "cluster_id")
        )
        for interest_id, cluster_id in rows:
            found[interest_id].append(cluster_id)
    return found


def store(rows: list[tuple[int, engine.Match]], interest_ids: list[int], *, now: datetime):
    """Store ``rows`` (interest id, match): every interest of ``interest_ids`` gets exactly
    those matches as its current suggestions. Returns the number of new suggestions (clusters
    not suggested to it before) per interest."""
    if not interest_ids:
        return {}
    if connection.vendor == "postgresql":
        return _store_postgresql(interest_ids, rows, now=now)
    return _store_portable(interest_ids, rows, now=now)


def _store_portable(
    interest_ids: list[int], rows: list[tuple[int, engine.Match]], *, now: datetime
) -> dict[int, int]:
    """``store`` with the ORM: read what is there, upsert, delete, update. Returns the
    number of new suggestions per interest."""
    existing: dict[int, dict[int, tuple]] = defaultdict(dict)
    for interest_id, cluster_id, pk, status, is_current in (
        Suggestion.objects.filter(interest_id__in=interest_ids)
        .order_by()
        .values_list("interest_id", "cluster_id", "pk", "status", "is_current")
    ):
        existing[interest_id][cluster_id] = (pk, status, is_current)
    kept: dict[int, set[int]] = defaultdict(set)
    for interest_id, match in rows:
        kept[interest_id].add(match.cluster_id)
    gone, stale, new = [], [], {}
    for interest_id in interest_ids:
        previous = existing[interest_id]
        new[interest_id] = len(kept[interest_id] - previous.keys())
        for cluster_id, (pk, status, is_current) in previous.items():
            if cluster_id in kept[interest_id]:
                continue
            if status == Suggestion.Status.NEW:
                gone.append(pk)
            elif is_current:
                stale.append(pk)
    if rows:
        Suggestion.objects.bulk_create(
            [
                Suggestion(
                    interest_id=interest_id,
                    cluster_id=match.cluster_id,
                    score=match.score,
                    reasons=[reason.to_dict() for reason in match.reasons],
                    engine_version=engine.ENGINE_VERSION,
                    computed_at=now,
                    is_current=True,
                )
                for interest_id, match in rows
            ],
            update_conflicts=True,
            unique_fields=["interest", "cluster"],
            update_fields=_UPDATED,
        )
    if gone:
        # A mark made since the read keeps its row: only unmarked ones are deleted.
        Suggestion.objects.filter(pk__in=gone, status=Suggestion.Status.NEW).delete()
        stale += gone  # anything not deleted (just marked) is no longer current
    if stale:
        Suggestion.objects.filter(pk__in=stale, is_current=True).update(is_current=False)
    return new


_UPDATED = ["score", "reasons", "engine_version", "computed_at", "is_current"]
_COLUMNS = ["interest", "cluster", "status", "created", *_UPDATED]


@lru_cache(maxsize=1 << 13)
def _reason_json(reason: engine.Reason) -> str:
    # Bounded: reasons naming shared terms are many and mostly seen once.
    return json.dumps(reason.to_dict())


def reasons_json(reasons: tuple[engine.Reason, ...]) -> str:
    """``json.dumps([r.to_dict() for r in reasons])``, frequent reasons encoded once."""
    return "[" + ",".join(map(_reason_json, reasons)) + "]"


def replace(
    rows: list[tuple[int, engine.Match]], dropped: list[tuple[int, int]], *, now: datetime
) -> dict[int, int]:
    """Store ``rows`` (interest id, match) and take the suggestions ``dropped`` (interest id,
    cluster id) out of their interests' top N: deleted if unmarked, no longer current if
    marked. The other suggestions of those interests stay as they are. Returns the number
    of new suggestions per interest."""
    if connection.vendor == "postgresql":
        return _store_postgresql([], rows, now=now, dropped=dropped)
    pairs = {(interest_id, match.cluster_id) for interest_id, match in rows}
    there = set(
        Suggestion.objects.filter(
            interest_id__in={pk for pk, _cluster in pairs},
            cluster_id__in={cluster for _pk, cluster in pairs},
        )
        .order_by()
        .values_list("interest_id", "cluster_id")
    )
    new: dict[int, int] = defaultdict(int)
    for interest_id, _cluster in pairs - there:
        new[interest_id] += 1
    _store_portable([], rows, now=now)
    for interest_id, cluster_id in dropped:
        leaving = Suggestion.objects.filter(interest_id=interest_id, cluster_id=cluster_id)
        leaving.filter(status=Suggestion.Status.NEW).delete()
        leaving.filter(is_current=True).update(is_current=False)
    return dict(new)


def _store_postgresql(
    interest_ids: list[int],
    rows: list[tuple[int, engine.Match]],
    *,
    now: datetime,
    dropped: list[tuple[int, int]] = (),
) -> dict[int, int]:
    """``store`` in one statement: the rows go as three arrays and one JSON document (the
    reasons) joined by position; the upsert, the delete of the unmarked leftovers (the
    suggestions of ``interest_ids`` that are not among the rows, and those ``dropped``), the
    update of the marked ones, and the count of new suggestions per interest all see the
    same rows (one statement). A suggestion is new when the upsert inserted it: only an
    insert sets ``created`` (to ``now``, this call's own time). A row whose score, reasons,
    engine and currency come out as they were is not written again (its ``computed_at``
    stays when that result was first computed): a re-match where nothing changed leaves no dead rows
    and about half the WAL (measured: benchmarks/HISTORY.md), in about the same time, as
    the upsert still finds and locks each row. Columns the matching does not set get their
    model default."""
    given = {
        "interest": "incoming.interest_id",
        "cluster": "incoming.cluster_id",
        "score": "incoming.score",
        "reasons": "incoming.reasons",
        "engine_version": "%(version)s",
        "computed_at": "%(now)s",
        "is_current": "true",
    }
    quote = connection.ops.quote_name
    columns, values, params = [], [], {"version": engine.ENGINE_VERSION, "now": now}
    for field in Suggestion._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(quote(field.column))
        if field.name in given:
            values.append(given[field.name])
            continue
        values.append(f"%({field.name})s")
        if getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
            params[field.name] = now
        else:
            params[field.name] = field.get_db_prep_save(field.get_default(), connection)
    table = quote(Suggestion._meta.db_table)
    column = {name: quote(Suggestion._meta.get_field(name).column) for name in _COLUMNS}
    updates = ", ".join(f"{column[name]} = EXCLUDED.{column[name]}" for name in _UPDATED)
    compared = [column[name] for name in _UPDATED if name != "computed_at"]
    differs = (
        f"({', '.join(f'{table}.{name}' for name in compared)}) IS DISTINCT FROM "
        f"({', '.join(f'EXCLUDED.{name}' for name in compared)})"
    )
    if dropped:
        elsewhere = (
            f"(s.{column['interest']}, s.{column['cluster']}) IN (SELECT * FROM unnest("
            "%(dropped_interests)s::bigint[], %(dropped_clusters)s::bigint[]))"
        )
    else:
        elsewhere = (
            f"s.{column['interest']} = ANY(%(batch)s) AND NOT EXISTS (SELECT 1 FROM incoming "
            f"WHERE incoming.interest_id = s.{column['interest']} "
            f"AND incoming.cluster_id = s.{column['cluster']})"
        )
    assert not (dropped and interest_ids), "either whole interests or dropped suggestions"
    sql = f"""
        WITH incoming AS (
            SELECT r.interest_id, r.cluster_id, r.score, x.reasons
            FROM unnest(%(interests)s::bigint[], %(clusters)s::bigint[], %(scores)s::integer[])
                WITH ORDINALITY AS r(interest_id, cluster_id, score, position)
            JOIN jsonb_array_elements(%(reasons)s::jsonb) WITH ORDINALITY
                AS x(reasons, position) USING (position)
        ), upserted AS (
            INSERT INTO {table} ({", ".join(columns)})
            SELECT {", ".join(values)} FROM incoming
            ON CONFLICT ({column["interest"]}, {column["cluster"]}) DO UPDATE SET {updates}
                WHERE {differs}
            RETURNING {column["interest"]} AS interest_id, {column["created"]} = %(now)s AS inserted
        ), gone AS (
            DELETE FROM {table} AS s WHERE {elsewhere} AND s.{column["status"]} = %(new)s
        ), stale AS (
            UPDATE {table} AS s SET {column["is_current"]} = false
            WHERE {elsewhere} AND s.{column["is_current"]} AND s.{column["status"]} <> %(new)s
        )
        SELECT interest_id, count(*) FROM upserted WHERE inserted GROUP BY interest_id
    """
    params.update(
        interests=[interest_id for interest_id, _match in rows],
        clusters=[match.cluster_id for _pk, match in rows],
        scores=[match.score for _pk, match in rows],
        reasons="[" + ",".join(reasons_json(match.reasons) for _pk, match in rows) + "]",
        batch=interest_ids,
        dropped_interests=[interest_id for interest_id, _cluster in dropped],
        dropped_clusters=[cluster_id for _pk, cluster_id in dropped],
        new=Suggestion.Status.NEW.value,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())


def set_floors(floors: dict[int, tuple[int | None, int | None]]) -> None:
    """interest id -> (floor, its cluster): after a change of one suggestion, the rest of
    the interest's top N as it was matched."""
    _update_interests(floors)


def mark_matched(
    matches: dict[int, list[engine.Match]],
    keys: dict[int, list[str]],
    *,
    now: datetime,
) -> None:
    """Record when and by which engine each interest was matched, its floor (the score of
    its N-th match; none while it has fewer), that match's cluster, and its match keys
    (``keys``): what ``cluster_change`` finds the interests a changed cluster can enter by."""
    top = settings.MATCH_TOP_N
    floors = {
        pk: (found[-1].score, found[-1].cluster_id) if len(found) >= top else (None, None)
        for pk, found in matches.items()
    }
    _update_interests(floors, matched_at=now, keys=keys)


def _update_interests(
    floors: dict[int, tuple[int | None, int | None]],
    *,
    matched_at: datetime | None = None,
    keys: dict[int, list[str]] | None = None,
) -> None:
    """Write each interest's floor and the cluster holding it; with ``matched_at``, also
    its match record (when, by which engine, its match keys). One statement on PostgreSQL."""
    if not floors:
        return
    matched = matched_at is not None
    keys_of = [(keys or {}).get(pk, []) for pk in floors]
    if connection.vendor == "postgresql":
        sets = ["match_floor = new.floor", "match_floor_cluster = new.last"]
        source = (
            "unnest(%s::bigint[], %s::integer[], %s::bigint[]) WITH ORDINALITY "
            "AS new(id, floor, last, position)"
        )
        params: list = [list(floors), *map(list, zip(*floors.values(), strict=True))]
        if matched:
            sets = ["matched_at = %s", "matched_version = %s", *sets, "match_keys = k.keys"]
            source += (
                " JOIN jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS k(keys, position) "
                "USING (position)"
            )
            params = [matched_at, engine.ENGINE_VERSION, *params, json.dumps(keys_of)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Interest._meta.db_table} AS interest SET {', '.join(sets)} "
                f"FROM {source} WHERE interest.id = new.id",
                params,
            )
        return
    interests = []
    for (pk, (floor, last)), interest_keys in zip(floors.items(), keys_of, strict=True):
        interest = Interest(pk=pk, match_floor=floor, match_floor_cluster=last)
        if matched:
            interest.matched_at = matched_at
            interest.matched_version = engine.ENGINE_VERSION
            interest.match_keys = interest_keys
        interests.append(interest)
    fields = _MATCHED if matched else ["match_floor", "match_floor_cluster"]
    Interest.objects.bulk_update(interests, fields, batch_size=500)


_MATCHED = ["matched_at", "matched_version", "match_floor", "match_floor_cluster", "match_keys"]
