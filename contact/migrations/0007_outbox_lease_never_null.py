"""An outbox job's locked_until is never null: "no lease" is the epoch (contact.models.LEASE_NONE),
so the claim tests one range instead of an $or, which sends the embedded server's update by _id
through every job (issue 15). Existing unleased jobs get the epoch."""
import datetime

from django.db import migrations, models

LEASE_NONE = datetime.datetime(1970, 1, 1, 0, 0, tzinfo=datetime.timezone.utc)


def lease_none(apps, schema_editor) -> None:
    collection = schema_editor.connection.get_collection(apps.get_model("contact", "OutboxJob")._meta.db_table)
    collection.update_many({"locked_until": None}, {"$set": {"locked_until": LEASE_NONE}})


class Migration(migrations.Migration):

    dependencies = [
        ('contact', '0006_lookup_indexes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='outboxjob',
            name='locked_until',
            field=models.DateTimeField(blank=True, default=datetime.datetime(1970, 1, 1, 0, 0, tzinfo=datetime.timezone.utc), null=True),
        ),
        migrations.RunPython(lease_none, migrations.RunPython.noop),
    ]
