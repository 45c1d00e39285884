"""Matching's own transactions skip the wait for the disk flush; nothing else does."""

import pytest
from django.db import connection, transaction

from matchmaking.matching import storage


def synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.postgresql(reason="synchronous_commit is a PostgreSQL setting")
@pytest.mark.django_db(transaction=True)
def test_a_derived_transaction_commits_without_waiting_for_the_flush():
    assert synchronous_commit() == "on"
    with storage.derived_transaction():
        assert synchronous_commit() == "off"
    assert synchronous_commit() == "on"  # for that transaction only


@pytest.mark.postgresql(reason="synchronous_commit is a PostgreSQL setting")
@pytest.mark.django_db(transaction=True)
def test_inside_an_enclosing_transaction_it_changes_nothing():
    """The enclosing transaction may hold a user's own writes: they keep their durability."""
    with transaction.atomic():
        with storage.derived_transaction():
            assert synchronous_commit() == "on"
        assert synchronous_commit() == "on"
