"""The review band of the spam filter (issue 16): a message the model is unsure about is stored
with spam_review set (staff are notified), and its lead with needs_review, which the CRM inbox
filters on through lead_review_recent."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contact', '0010_intake_round_trips'),
    ]

    operations = [
        migrations.AddField(
            model_name='lead',
            name='needs_review',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='message',
            name='spam_review',
            field=models.BooleanField(default=False),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(fields=['needs_review', '-last_activity_at'], name='lead_review_recent'),
        ),
    ]
