"""Nothing: the cluster data's version token and its triggers are the clusters app's
(``clusters/migrations/0005_data_version``), which also takes over what this migration
created on databases migrated before it moved there."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("clusters", "0001_initial"),
        ("matchmaking", "0003_organisation_language"),
    ]

    operations = []
