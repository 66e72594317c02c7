from django.db import migrations

from standards.catalog import load_catalog


def load(apps, schema_editor) -> None:
    # The catalog is Python data in standards/catalog.py, so this runs without shared/seeds.
    load_catalog(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("standards", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
