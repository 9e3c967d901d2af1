from django.db import migrations


def create_ttl_index(apps, schema_editor) -> None:
    from contact.ratelimit import COLLECTION

    schema_editor.connection.get_collection(COLLECTION).create_index("expires_at", expireAfterSeconds=0)


def drop_collection(apps, schema_editor) -> None:
    from contact.ratelimit import COLLECTION

    schema_editor.connection.get_collection(COLLECTION).drop()


class Migration(migrations.Migration):
    dependencies = [("contact", "0001_initial")]
    operations = [migrations.RunPython(create_ttl_index, drop_collection)]
