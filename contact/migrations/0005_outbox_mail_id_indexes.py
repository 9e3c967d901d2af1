"""Sparse indexes on the Message-IDs in outbox jobs' payloads: an answer to a confirmation or a
notice finds its lead through them (contact.outbox.job_lead_by_mail_id). Django cannot declare an
index on a JSON key, so they are made here with pymongo."""
from django.db import migrations

INDEXES = {"outbox_payload_mail_message_id": "payload.mail_message_id", "outbox_payload_message_id": "payload.message_id"}


def create(apps, schema_editor) -> None:
    collection = schema_editor.connection.get_collection(apps.get_model("contact", "OutboxJob")._meta.db_table)
    for name, key in INDEXES.items():
        collection.create_index([(key, 1)], name=name, sparse=True)


def drop(apps, schema_editor) -> None:
    collection = schema_editor.connection.get_collection(apps.get_model("contact", "OutboxJob")._meta.db_table)
    for name in INDEXES:
        collection.drop_index(name)


class Migration(migrations.Migration):
    dependencies = [("contact", "0004_conversations")]
    operations = [migrations.RunPython(create, drop)]
