from django.db import migrations, models

# ``?`` and ``?|`` (has this key, any of these keys) on the match keys, for
# matchmaking.matching.cluster_change: a GIN index on PostgreSQL only (SQLite has neither).
GIN = (
    "CREATE INDEX IF NOT EXISTS matchmaking_interest_keys_gin "
    "ON matchmaking_interest USING gin (match_keys)"
)
DROP_GIN = "DROP INDEX IF EXISTS matchmaking_interest_keys_gin"


def create_gin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GIN)


def drop_gin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_GIN)


class Migration(migrations.Migration):
    dependencies = [
        ("matchmaking", "0008_interest_floor_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="interest",
            name="match_floor_cluster",
            field=models.BigIntegerField(
                blank=True,
                editable=False,
                help_text="The cluster of the N-th suggestion: a changed cluster scoring exactly the floor enters only if its id is lower (ties rank by cluster id).",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="interest",
            name="match_keys",
            field=models.JSONField(
                blank=True,
                editable=False,
                help_text="What the suggestions were computed from (sectors, target states, kinds, the description's folded terms), as indexed keys: how a changed cluster finds the interests it can enter. Null until matched so.",
                null=True,
            ),
        ),
        migrations.RunPython(create_gin, drop_gin, elidable=False),
    ]
