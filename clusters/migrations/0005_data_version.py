"""The version token of the cluster data and its change log (PostgreSQL only; read through
``clusters.data_version``, which says what they mean).

A database migrated before this app owned them holds them under matchmaking's names
(``matchmaking_clusters_version``, ...): they are renamed, keeping the token's sequence and
log, and their triggers replaced. Every statement is idempotent, so running it on either
kind of database ends in the same state.
"""

from django.db import migrations

BUMP = "clusters_bump_data_version"
LOG = "clusters_log_cluster_change"
LOG_ALL = "clusters_log_taxonomy_change"
TRIGGER = "clusters_data_version"
ROW_TRIGGER = "clusters_data_change"
FORMER_TRIGGERS = ["matchmaking_clusters_version", "matchmaking_clusters_change"]
FORMER_FUNCTIONS = [
    "matchmaking_bump_clusters_version",
    "matchmaking_log_cluster_change",
    "matchmaking_log_clusters_change",
]


def _tables(apps):
    """(table, column holding the cluster id, or None for the taxonomy's tables)."""
    cluster = apps.get_model("clusters", "Cluster")
    sector = apps.get_model("clusters", "Sector")
    return [
        (cluster._meta.db_table, "id"),
        (cluster._meta.get_field("sectors").remote_field.through._meta.db_table, "cluster_id"),
        (apps.get_model("clusters", "QualityLabel")._meta.db_table, "cluster_id"),
        (apps.get_model("clusters", "ClusterName")._meta.db_table, "cluster_id"),
        (sector._meta.db_table, None),
        (sector._meta.get_field("ecosystems").remote_field.through._meta.db_table, None),
        (apps.get_model("clusters", "State")._meta.db_table, None),
        (apps.get_model("clusters", "SectorStronghold")._meta.db_table, None),
    ]


def _drop_triggers(run, quoted: str, names: list[str]) -> None:
    for name in names:
        run(f"DROP TRIGGER IF EXISTS {name} ON {quoted}")
        run(f"DROP TRIGGER IF EXISTS {name}_truncate ON {quoted}")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    tables = _tables(apps)
    for table, _column in tables:
        _drop_triggers(run, schema_editor.quote_name(table), FORMER_TRIGGERS)
    for function in FORMER_FUNCTIONS:
        run(f"DROP FUNCTION IF EXISTS {function}()")
    run("ALTER SEQUENCE IF EXISTS matchmaking_clusters_version_seq RENAME TO clusters_data_version_seq")
    run("ALTER TABLE IF EXISTS matchmaking_clusters_version RENAME TO clusters_data_version")
    run("ALTER TABLE IF EXISTS matchmaking_clusters_change RENAME TO clusters_data_change")
    run("ALTER INDEX IF EXISTS matchmaking_clusters_change_token RENAME TO clusters_data_change_token")
    run("CREATE SEQUENCE IF NOT EXISTS clusters_data_version_seq")
    run("CREATE TABLE IF NOT EXISTS clusters_data_version (token bigint NOT NULL)")
    run(
        "INSERT INTO clusters_data_version SELECT nextval('clusters_data_version_seq') "
        "WHERE NOT EXISTS (SELECT 1 FROM clusters_data_version)"
    )
    run(
        "CREATE TABLE IF NOT EXISTS clusters_data_change (token bigint NOT NULL, "
        "cluster_id bigint, at timestamptz NOT NULL DEFAULT now())"
    )
    run("CREATE INDEX IF NOT EXISTS clusters_data_change_token ON clusters_data_change (token)")
    # Before each writing statement: writers are serialised from their first write, so
    # tokens follow commit order (nextval() in SET runs once the row is locked, again after
    # waiting for another writer's commit). Cluster id 0 logs the token itself.
    run(
        f"""
        CREATE OR REPLACE FUNCTION {BUMP}() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            new_token bigint;
        BEGIN
            UPDATE clusters_data_version
            SET token = nextval('clusters_data_version_seq')
            RETURNING token INTO new_token;
            INSERT INTO clusters_data_change (token, cluster_id) VALUES (new_token, 0);
            RETURN NULL;
        END $$
        """
    )
    # After each row: the id of the cluster it belongs to (before and after an update).
    run(
        f"""
        CREATE OR REPLACE FUNCTION {LOG}() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            current_token bigint := currval('clusters_data_version_seq');
            new_id bigint;
            old_id bigint;
        BEGIN
            IF TG_OP <> 'DELETE' THEN
                new_id := (to_jsonb(NEW) ->> TG_ARGV[0])::bigint;
                INSERT INTO clusters_data_change (token, cluster_id)
                VALUES (current_token, new_id);
            END IF;
            IF TG_OP <> 'INSERT' THEN
                old_id := (to_jsonb(OLD) ->> TG_ARGV[0])::bigint;
                IF old_id IS DISTINCT FROM new_id THEN
                    INSERT INTO clusters_data_change (token, cluster_id)
                    VALUES (current_token, old_id);
                END IF;
            END IF;
            RETURN NULL;
        END $$
        """
    )
    # After a statement on the taxonomy (or a truncate): a null id, everything changed.
    run(
        f"""
        CREATE OR REPLACE FUNCTION {LOG_ALL}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO clusters_data_change (token, cluster_id)
            VALUES (currval('clusters_data_version_seq'), NULL);
            RETURN NULL;
        END $$
        """
    )
    for table, column in tables:
        quoted = schema_editor.quote_name(table)
        _drop_triggers(run, quoted, [TRIGGER, ROW_TRIGGER])
        run(
            f"CREATE TRIGGER {TRIGGER} BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {quoted} FOR EACH STATEMENT EXECUTE FUNCTION {BUMP}()"
        )
        if column is None:
            run(
                f"CREATE TRIGGER {ROW_TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {quoted} FOR EACH STATEMENT EXECUTE FUNCTION {LOG_ALL}()"
            )
            continue
        run(
            f"CREATE TRIGGER {ROW_TRIGGER} AFTER INSERT OR UPDATE OR DELETE ON {quoted} "
            f"FOR EACH ROW EXECUTE FUNCTION {LOG}('{column}')"
        )
        run(
            f"CREATE TRIGGER {ROW_TRIGGER}_truncate AFTER TRUNCATE ON {quoted} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {LOG_ALL}()"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    for table, _column in _tables(apps):
        _drop_triggers(run, schema_editor.quote_name(table), [TRIGGER, ROW_TRIGGER])
    for function in (BUMP, LOG, LOG_ALL):
        run(f"DROP FUNCTION IF EXISTS {function}()")
    run("DROP TABLE IF EXISTS clusters_data_change")
    run("DROP TABLE IF EXISTS clusters_data_version")
    run("DROP SEQUENCE IF EXISTS clusters_data_version_seq")


class Migration(migrations.Migration):
    dependencies = [("clusters", "0004_claim")]

    operations = [migrations.RunPython(create, drop)]
