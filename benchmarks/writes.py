"""Target 5: storing 10k suggestions, three ways, each into the same empty rows."""

import json
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from matchmaking.matching import engine, storage, suggest
from matchmaking.models import Suggestion


@dataclass
class Writes:
    rows: int
    ours: float
    raw_many: float  # executemany of one-row INSERT ... ON CONFLICT (pipelined)
    raw_values: float  # one multi-row INSERT ... VALUES ... ON CONFLICT
    row_by_row: float  # update_or_create, extrapolated to ``rows``
    row_by_row_measured: int

    @property
    def raw(self) -> float:
        return min(self.raw_many, self.raw_values)


def _rows(ids: list[int], count: int) -> list[tuple[int, engine.Match]]:
    """``count`` (interest, match) pairs: the top matches of the first interests in ``ids``."""
    index = suggest.load_index()
    rows: list[tuple[int, engine.Match]] = []
    with transaction.atomic():
        for chunk in suggest.batches(ids, 500):
            for interest in suggest.lock_and_read(chunk, None):
                for match in index.rank(interest.features, limit=settings.MATCH_TOP_N):
                    rows.append((interest.pk, match))
                if len(rows) >= count:
                    return rows[:count]
    return rows


def _clear(rows) -> None:
    Suggestion.objects.filter(interest_id__in={pk for pk, _m in rows}).delete()


_COLUMNS = (
    "interest_id, cluster_id, score, reasons, engine_version, computed_at, is_current, "
    "status, status_changed_at, created, merged_from"
)
_WIDTH = len(_COLUMNS.split(","))
_CONFLICT = (
    "ON CONFLICT (interest_id, cluster_id) DO UPDATE SET score = EXCLUDED.score, "
    "reasons = EXCLUDED.reasons, engine_version = EXCLUDED.engine_version, "
    "computed_at = EXCLUDED.computed_at, is_current = EXCLUDED.is_current"
)


def _params(rows, now) -> list[tuple]:
    return [
        (
            pk,
            match.cluster_id,
            match.score,
            json.dumps([reason.to_dict() for reason in match.reasons]),
            engine.ENGINE_VERSION,
            now,
            True,
            "new",
            None,
            now,
            "",
        )
        for pk, match in rows
    ]


def _timed(function) -> float:
    started = time.perf_counter()
    with transaction.atomic():
        function()
    return time.perf_counter() - started


def _best(rows, function, runs: int = 3) -> float:
    """The best of ``runs`` timings of ``function``, each into empty rows."""
    found = []
    for _ in range(runs):
        _clear(rows)
        found.append(_timed(function))
    return min(found)


def writes(ids: list[int], *, count: int, row_by_row: int) -> Writes:
    rows = _rows(ids, count)
    now = timezone.now()
    table = Suggestion._meta.db_table

    interests = sorted({pk for pk, _match in rows})
    ours = _best(rows, lambda: storage.store(rows, interests, now=now))
    one_row = f"INSERT INTO {table} ({_COLUMNS}) VALUES ({', '.join(['%s'] * _WIDTH)}) {_CONFLICT}"

    def raw_many():
        with connection.cursor() as cursor:
            cursor.executemany(one_row, _params(rows, now))

    raw_many_seconds = _best(rows, raw_many)

    def raw_values():
        params = _params(rows, now)
        placeholders = ", ".join(["(" + ", ".join(["%s"] * _WIDTH) + ")"] * len(params))
        flat = [value for row in params for value in row]
        sql = f"INSERT INTO {table} ({_COLUMNS}) VALUES {placeholders} {_CONFLICT}"
        with connection.cursor() as cursor:
            cursor.execute(sql, flat)

    raw_values_seconds = _best(rows, raw_values)

    _clear(rows)
    subset = rows[:row_by_row]

    def one_by_one():
        for pk, match in subset:
            Suggestion.objects.update_or_create(
                interest_id=pk,
                cluster_id=match.cluster_id,
                defaults={
                    "score": match.score,
                    "reasons": [reason.to_dict() for reason in match.reasons],
                    "engine_version": engine.ENGINE_VERSION,
                    "computed_at": now,
                    "is_current": True,
                },
            )

    one_by_one_seconds = _timed(one_by_one) * len(rows) / max(len(subset), 1)
    _clear(rows)
    return Writes(
        rows=len(rows),
        ours=ours,
        raw_many=raw_many_seconds,
        raw_values=raw_values_seconds,
        row_by_row=one_by_one_seconds,
        row_by_row_measured=len(subset),
    )
