from django.db import migrations

# A re-match rewrites every suggestion (score, reasons, engine version, time) and records on
# each interest when and by which engine it was matched, usually leaving its floor and match
# keys as they were. With no index on the columns rewritten and room left on each page,
# PostgreSQL updates those rows in place (HOT: no new entry in any index, the keys' GIN index
# included). Applies to pages written from now on (VACUUM FULL rewrites old ones).
ROOM = {"matchmaking_suggestion": 70, "matchmaking_interest": 80}  # fillfactor, %


def leave_room(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table, fillfactor in ROOM.items():
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {fillfactor})")


def fill_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in ROOM:
            schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("matchmaking", "0009_interest_match_keys"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="suggestion",
            name="matchmaking_sugg_dash_idx",
        ),
        migrations.RemoveIndex(
            model_name="interest",
            name="matchmaking_interest_sweep_idx",
        ),
        migrations.RunPython(leave_room, fill_pages, elidable=False),
    ]
