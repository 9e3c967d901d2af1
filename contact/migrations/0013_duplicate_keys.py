"""Duplicate keys on leads and messages (issue 16), and their backfill for what is stored already.

The backfill reads the historical models' collections with pymongo and writes the keys in batches
of bulk updates; the keys come from contact.dupkeys (pure functions: the same code the lead store
writes them with, so old and new leads match each other)."""
import django_mongodb_backend.fields
from django.conf import settings
from django.db import migrations, models
from pymongo import UpdateOne

BATCH = 1000


def _flush(collection, updates: list) -> None:
    if updates:
        collection.bulk_write(updates, ordered=False)
        updates.clear()


def keys_backfill(apps, schema_editor) -> None:
    from contact.dupkeys import lead_keys, text_bands

    connection = schema_editor.connection
    leads = connection.get_collection(apps.get_model("contact", "Lead")._meta.db_table)
    updates: list = []
    for doc in leads.find({}, {"email": 1, "name": 1, "phone": 1, "country": 1, "aliases": 1}):
        keys = lead_keys(email=doc.get("email", ""), name=doc.get("name", ""), phone=doc.get("phone", ""), country=doc.get("country", ""))
        for alias in doc.get("aliases") or []:
            keys["mailbox_keys"] += [k for k in lead_keys(email=alias, name="")["mailbox_keys"] if k not in keys["mailbox_keys"]]
        updates.append(UpdateOne({"_id": doc["_id"]}, {"$set": keys}))
        if len(updates) >= BATCH:
            _flush(leads, updates)
    _flush(leads, updates)
    messages = connection.get_collection(apps.get_model("contact", "Message")._meta.db_table)
    for doc in messages.find({"direction": {"$ne": "out"}}, {"message": 1}):
        updates.append(UpdateOne({"_id": doc["_id"]}, {"$set": {"text_bands": text_bands(doc.get("message", ""))}}))
        if len(updates) >= BATCH:
            _flush(messages, updates)
    _flush(messages, updates)


class Migration(migrations.Migration):

    dependencies = [
        ('contact', '0012_status_counts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='lead',
            name='aliases',
            field=django_mongodb_backend.fields.ArrayField(base_field=models.EmailField(max_length=254), blank=True, default=list),
        ),
        migrations.AddField(
            model_name='lead',
            name='domain_key',
            field=models.CharField(blank=True, max_length=254),
        ),
        migrations.AddField(
            model_name='lead',
            name='mailbox_keys',
            field=django_mongodb_backend.fields.ArrayField(base_field=models.CharField(max_length=254), blank=True, default=list),
        ),
        migrations.AddField(
            model_name='lead',
            name='merged_ids',
            field=django_mongodb_backend.fields.ArrayField(base_field=models.CharField(max_length=24), blank=True, default=list),
        ),
        migrations.AddField(
            model_name='lead',
            name='merged_into',
            field=models.CharField(blank=True, max_length=24),
        ),
        migrations.AddField(
            model_name='lead',
            name='name_key',
            field=models.CharField(blank=True, max_length=120),
        ),
        migrations.AddField(
            model_name='lead',
            name='phone_key',
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AddField(
            model_name='message',
            name='text_bands',
            field=django_mongodb_backend.fields.ArrayField(base_field=models.CharField(max_length=12), blank=True, default=list),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(fields=['mailbox_keys'], name='lead_mailbox_keys'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(fields=['phone_key'], name='lead_phone_key'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(fields=['domain_key', 'name_key'], name='lead_domain_name'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(fields=['aliases'], name='lead_aliases'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(fields=['merged_ids'], name='lead_merged_ids'),
        ),
        migrations.AddIndex(
            model_name='message',
            index=models.Index(fields=['text_bands'], name='message_text_bands'),
        ),
        migrations.RunPython(keys_backfill, migrations.RunPython.noop),
    ]
