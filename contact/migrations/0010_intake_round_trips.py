"""A form POST in four round trips (issue 15): a lead remembers the idempotency keys of its latest
form messages, so the intake's one upsert counts a message once; form messages are stored without
the "deliveries enqueued" mark, which the worker's sweep sets in bulk through message_undelivered."""
import django_mongodb_backend.fields
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contact', '0009_outbox_throughput'),
    ]

    operations = [
        migrations.AddField(
            model_name='lead',
            name='intake_keys',
            field=django_mongodb_backend.fields.ArrayField(base_field=models.CharField(max_length=64), blank=True, default=list, editable=False, size=None),
        ),
        migrations.AddIndex(
            model_name='message',
            index=models.Index(fields=['deliveries_enqueued', 'is_spam', 'received_at'], name='message_undelivered'),
        ),
    ]
