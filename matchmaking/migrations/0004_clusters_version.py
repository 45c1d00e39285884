"""A version token for the cluster data the matching reads (PostgreSQL only).

Statement-level triggers on every table the matching reads about clusters (clusters, their
sectors, labels and other names, sectors, states, ecosystems of sectors, strongholds) set
``matchmaking_clusters_version.token`` to a new value from a sequence, whatever writes
(admin, loader, import, shell, raw SQL). A process keeps its in-memory cluster index while the
token it reads is unchanged (``matchmaking.matching.load_index``). The row is transactional
(a rolled-back change rolls the token back with the data); the sequence never repeats a value.
Other databases (the embedded SQLite default) have no token and no cache.
"""

from django.db import migrations

FUNCTION = "matchmaking_bump_clusters_version"
TRIGGER = "matchmaking_clusters_version"


def _tables(apps):
    cluster = apps.get_model("clusters", "Cluster")
    sector = apps.get_model("clusters", "Sector")
    return [
        cluster._meta.db_table,
        cluster._meta.get_field("sectors").remote_field.through._meta.db_table,
        apps.get_model("clusters", "QualityLabel")._meta.db_table,
        apps.get_model("clusters", "ClusterName")._meta.db_table,
        sector._meta.db_table,
        sector._meta.get_field("ecosystems").remote_field.through._meta.db_table,
        apps.get_model("clusters", "State")._meta.db_table,
        apps.get_model("clusters", "SectorStronghold")._meta.db_table,
    ]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    run("CREATE SEQUENCE matchmaking_clusters_version_seq")
    run("CREATE TABLE matchmaking_clusters_version (token bigint NOT NULL)")
    run(
        "INSERT INTO matchmaking_clusters_version "
        "VALUES (nextval('matchmaking_clusters_version_seq'))"
    )
    run(
        f"""
        CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE matchmaking_clusters_version
            SET token = nextval('matchmaking_clusters_version_seq');
            RETURN NULL;
        END $$
        """
    )
    for table in _tables(apps):
        run(
            f"CREATE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {schema_editor.quote_name(table)} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in _tables(apps):
        schema_editor.execute(
            f"DROP TRIGGER IF EXISTS {TRIGGER} ON {schema_editor.quote_name(table)}"
        )
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    schema_editor.execute("DROP TABLE IF EXISTS matchmaking_clusters_version")
    schema_editor.execute("DROP SEQUENCE IF EXISTS matchmaking_clusters_version_seq")


class Migration(migrations.Migration):
    dependencies = [
        ("clusters", "0001_initial"),
        ("matchmaking", "0003_organisation_language"),
    ]

    operations = [migrations.RunPython(create, drop)]
