"""The outbox's single-field run_after index goes: the (status, run_after) index serves the claim and
the dead-letter list, and on the embedded server every write to a job (enqueue, lease, completion)
costs time per index on the collection, changed or not (issue 15; benchmarks/outbox.py)."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contact', '0008_intent'),
    ]

    operations = [
        migrations.AlterField(
            model_name='outboxjob',
            name='run_after',
            field=models.DateTimeField(),
        ),
    ]
