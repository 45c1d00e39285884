"""The version token of the cluster data (PostgreSQL only; migration 0005_data_version).

Triggers move ``clusters_data_version.token`` (from a sequence, so it never repeats) before
every statement that writes the clusters, their sectors, labels and other names, or the
taxonomy (sectors, their ecosystems, states, strongholds), whoever writes: admin, loader,
import, shell, raw SQL. Each new token is logged in ``clusters_data_change`` with cluster id
0 (proof that it was committed), and under it the id of every cluster whose rows changed, or
a null id when the taxonomy changed. The token row is transactional: a rolled-back change
rolls it back too. Readers: the directory's page cache (``clusters.pagecache``) and the
matching's in-memory cluster index (``matchmaking.matching.features``). Other databases
(the embedded SQLite default) keep no token: ``current()`` is None there.
"""

from datetime import datetime

from django.db import connection

_has_token: dict[str, bool] = {}


def current() -> int | None:
    """The token as of this transaction, or None where the database keeps none."""
    if connection.vendor != "postgresql":
        return None
    name = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        if name not in _has_token:
            cursor.execute(
                "SELECT to_regclass('clusters_data_version') IS NOT NULL "
                "AND to_regclass('clusters_data_change') IS NOT NULL"
            )
            _has_token[name] = cursor.fetchone()[0]
        if not _has_token[name]:
            return None
        cursor.execute("SELECT token FROM clusters_data_version")
        row = cursor.fetchone()
    return None if row is None else row[0]


def changed_since(token: int, until: int) -> set[int | None] | None:
    """The clusters changed by the tokens in (token, until]; None in the set: the taxonomy
    changed. None instead of a set if ``token`` was never committed (rolled back)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM clusters_data_change "
            "WHERE token = %s AND cluster_id = 0)",
            [token],
        )
        if not cursor.fetchone()[0]:
            return None
        cursor.execute(
            "SELECT DISTINCT cluster_id FROM clusters_data_change "
            "WHERE token > %s AND token <= %s AND cluster_id IS DISTINCT FROM 0",
            [token, until],
        )
        return {row[0] for row in cursor.fetchall()}


def forget_changes_before(moment: datetime) -> None:
    """Delete the change log older than ``moment`` (a reader that old reads everything)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM clusters_data_change WHERE at < %s", [moment])
