"""Which clusters changed, for each version token (PostgreSQL only; see migration 0004).

The version token now moves before each writing statement (so that writers are serialised
from their first write and tokens follow commit order) and logs itself (cluster id 0: proof
that it was committed); row triggers log the id of each cluster whose data changed under the
token of their statement; a change to the taxonomy (sectors, their ecosystems, states,
strongholds) logs a null id: everything must be read again.
A process holding the cluster index as of one token reads only the clusters changed since
(``matchmaking.matching.load_index``). Rows older than a day are deleted by that reader.
"""

from django.db import migrations

BUMP = "matchmaking_bump_clusters_version"
LOG = "matchmaking_log_cluster_change"
LOG_ALL = "matchmaking_log_clusters_change"
TRIGGER = "matchmaking_clusters_version"
ROW_TRIGGER = "matchmaking_clusters_change"


def _tables(apps):
    """(table, column holding the cluster id or None for taxonomy tables)."""
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


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    run(
        "CREATE TABLE matchmaking_clusters_change (token bigint NOT NULL, cluster_id bigint, "
        "at timestamptz NOT NULL DEFAULT now())"
    )
    run("CREATE INDEX matchmaking_clusters_change_token ON matchmaking_clusters_change (token)")
    # Each new token also logs cluster id 0: seeing it proves the token was committed.
    run(
        f"""
        CREATE OR REPLACE FUNCTION {BUMP}() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            new_token bigint;
        BEGIN
            -- nextval() in SET runs once the row is locked (again after waiting for another
            -- writer's commit): tokens follow commit order.
            UPDATE matchmaking_clusters_version
            SET token = nextval('matchmaking_clusters_version_seq')
            RETURNING token INTO new_token;
            INSERT INTO matchmaking_clusters_change (token, cluster_id) VALUES (new_token, 0);
            RETURN NULL;
        END $$
        """
    )
    run(
        f"""
        CREATE FUNCTION {LOG}() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            current_token bigint := currval('matchmaking_clusters_version_seq');
            new_id bigint;
            old_id bigint;
        BEGIN
            IF TG_OP <> 'DELETE' THEN
                new_id := (to_jsonb(NEW) ->> TG_ARGV[0])::bigint;
                INSERT INTO matchmaking_clusters_change (token, cluster_id)
                VALUES (current_token, new_id);
            END IF;
            IF TG_OP <> 'INSERT' THEN
                old_id := (to_jsonb(OLD) ->> TG_ARGV[0])::bigint;
                IF old_id IS DISTINCT FROM new_id THEN
                    INSERT INTO matchmaking_clusters_change (token, cluster_id)
                    VALUES (current_token, old_id);
                END IF;
            END IF;
            RETURN NULL;
        END $$
        """
    )
    run(
        f"""
        CREATE FUNCTION {LOG_ALL}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO matchmaking_clusters_change (token, cluster_id)
            VALUES (currval('matchmaking_clusters_version_seq'), NULL);
            RETURN NULL;
        END $$
        """
    )
    for table, column in _tables(apps):
        quoted = schema_editor.quote_name(table)
        run(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {quoted}")
        run(
            f"CREATE TRIGGER {TRIGGER} BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {quoted} FOR EACH STATEMENT EXECUTE FUNCTION {BUMP}()"
        )
        if column is None:
            run(
                f"CREATE TRIGGER {ROW_TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {quoted} FOR EACH STATEMENT EXECUTE FUNCTION {LOG_ALL}()"
            )
        else:
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
        quoted = schema_editor.quote_name(table)
        run(f"DROP TRIGGER IF EXISTS {ROW_TRIGGER} ON {quoted}")
        run(f"DROP TRIGGER IF EXISTS {ROW_TRIGGER}_truncate ON {quoted}")
        run(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {quoted}")
        run(
            f"CREATE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {quoted} FOR EACH STATEMENT EXECUTE FUNCTION {BUMP}()"
        )
    run(
        f"""
        CREATE OR REPLACE FUNCTION {BUMP}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE matchmaking_clusters_version
            SET token = nextval('matchmaking_clusters_version_seq');
            RETURN NULL;
        END $$
        """
    )
    run(f"DROP FUNCTION IF EXISTS {LOG}()")
    run(f"DROP FUNCTION IF EXISTS {LOG_ALL}()")
    run("DROP TABLE IF EXISTS matchmaking_clusters_change")


class Migration(migrations.Migration):
    dependencies = [
        ("clusters", "0001_initial"),
        ("matchmaking", "0005_interest_match_floor"),
    ]

    operations = [migrations.RunPython(create, drop)]
