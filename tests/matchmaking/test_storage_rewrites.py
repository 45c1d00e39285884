"""Re-scoring writes only the suggestions whose result changed (PostgreSQL's upsert)."""

import pytest
from django.db import connection

from matchmaking.matching import engine, suggest
from matchmaking.models import Suggestion
from tests.factories import make_interest

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgresql(reason="the portable store rewrites every row"),
]


def _tuples(interest) -> dict[int, str]:
    """suggestion id -> where its row version sits: a row written again moves."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, ctid::text FROM {Suggestion._meta.db_table} WHERE interest_id = %s",
            [interest.pk],
        )
        return dict(cursor.fetchall())


def test_rescoring_with_the_same_result_writes_no_row(briefing):
    interest = make_interest(sectors=["aerospace"], matched=False)
    suggest.rescore_interest(interest.pk)
    before = _tuples(interest)
    computed = dict(interest.suggestions.values_list("pk", "computed_at"))
    matched_at = type(interest).objects.get(pk=interest.pk).matched_at

    result = suggest.rescore_interest(interest.pk)

    assert len(before) == result.stored > 0
    assert _tuples(interest) == before
    assert dict(interest.suggestions.values_list("pk", "computed_at")) == computed
    assert type(interest).objects.get(pk=interest.pk).matched_at > matched_at  # it did run


def test_a_result_that_changed_is_written(briefing):
    interest = make_interest(sectors=["aerospace"], matched=False)
    suggest.rescore_interest(interest.pk)
    changed = interest.suggestions.order_by("pk").first()
    Suggestion.objects.filter(pk=changed.pk).update(score=0, reasons=[])
    interest.suggestions.exclude(pk=changed.pk).update(engine_version=0)  # an older engine
    before = _tuples(interest)

    suggest.rescore_interest(interest.pk)

    after = _tuples(interest)
    assert after.keys() == before.keys()
    assert all(after[pk] != before[pk] for pk in before)  # every row written again
    changed.refresh_from_db()
    assert changed.score > 0 and changed.reasons
    assert set(interest.suggestions.values_list("engine_version", flat=True)) == {
        engine.ENGINE_VERSION
    }
