from django.db import migrations
from pymongo import DESCENDING

# The collections analytics keeps with pymongo, each read newest first.
COLLECTIONS = ("analytics_report", "analytics_intent_model")


def create_indexes(apps, schema_editor) -> None:
    for name in COLLECTIONS:
        schema_editor.connection.get_collection(name).create_index([("created_at", DESCENDING)])


def drop_indexes(apps, schema_editor) -> None:
    for name in COLLECTIONS:
        schema_editor.connection.get_collection(name).drop_index([("created_at", DESCENDING)])


class Migration(migrations.Migration):
    dependencies = []
    operations = [migrations.RunPython(create_indexes, drop_indexes)]
