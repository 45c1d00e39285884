from django.db import migrations

# A re-match rewrites every suggestion (score, reasons, engine version, time). With no index
# on those columns and room left on each page, PostgreSQL updates the rows in place (HOT:
# no new index entries). Applies to pages written from now on (VACUUM FULL rewrites old ones).
FILLFACTOR = "ALTER TABLE matchmaking_suggestion SET (fillfactor = 70)"
DEFAULT = "ALTER TABLE matchmaking_suggestion RESET (fillfactor)"


def leave_room(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FILLFACTOR)


def fill_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DEFAULT)


class Migration(migrations.Migration):
    dependencies = [
        ("matchmaking", "0009_interest_match_keys"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="suggestion",
            name="matchmaking_sugg_dash_idx",
        ),
        migrations.RunPython(leave_room, fill_pages, elidable=False),
    ]
