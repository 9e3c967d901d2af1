"""Maintained counts of leads per status (contact.lead_counts): each lead says under which status
it is counted and whether it has moved since; every existing lead is counted now, under its status."""
from django.db import migrations, models


def count_every_lead(apps, schema_editor) -> None:
    leads = schema_editor.connection.get_collection(apps.get_model("contact", "Lead")._meta.db_table)
    counts = schema_editor.connection.get_collection(apps.get_model("contact", "LeadStatusCount")._meta.db_table)
    counts.delete_many({})
    rows = list(leads.aggregate([{"$group": {"_id": "$status", "n": {"$sum": 1}}}]))
    if rows:
        counts.insert_many([{"_id": row["_id"], "n": row["n"]} for row in rows if row["_id"]])
    leads.update_many({}, [{"$set": {"counted_status": "$status", "count_pending": False}}])


class Migration(migrations.Migration):

    dependencies = [
        ('contact', '0011_spam_review'),
    ]

    operations = [
        migrations.AddField(
            model_name='lead',
            name='counted_status',
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AddField(
            model_name='lead',
            name='count_pending',
            field=models.BooleanField(default=True),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(fields=['count_pending'], name='lead_count_pending'),
        ),
        migrations.CreateModel(
            name='LeadStatusCount',
            fields=[
                ('status', models.CharField(db_column='_id', max_length=20, primary_key=True, serialize=False)),
                ('n', models.IntegerField(default=0)),
            ],
        ),
        migrations.RunPython(count_every_lead, migrations.RunPython.noop),
    ]
