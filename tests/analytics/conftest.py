from datetime import datetime, timezone
from itertools import count

import pytest
from django.db import connection

from analytics.services import REPORTS
from contact.models import Lead, Message

_emails = count()


@pytest.fixture
def model_path(settings, tmp_path):
    """Each test trains into its own folder; var/ is never touched."""
    settings.ANALYTICS_MODEL_PATH = tmp_path / "spam_model.joblib"
    return settings.ANALYTICS_MODEL_PATH


@pytest.fixture
def make_message(db):
    """A Message (and its Lead) through the ORM, as the intake stores them."""
    connection.get_collection(REPORTS).delete_many({})

    def make(
        message: str,
        *,
        subject: str = "Hello",
        kind: str = "contact",
        status: str = "new",
        received_at: datetime = datetime(2026, 3, 10, tzinfo=timezone.utc),
        is_spam: bool = False,
        spam_label: str = "",
    ) -> Message:
        n = next(_emails)
        lead = Lead.objects.create(
            email=f"person{n}@example.com", name=f"Person {n}", status=status, created_at=received_at, last_activity_at=received_at
        )
        return Message.objects.create(
            lead=lead, kind=kind, name=lead.name, email=lead.email, subject=subject, message=message,
            received_at=received_at, is_spam=is_spam, spam_label=spam_label,
        )

    yield make
    connection.get_collection(REPORTS).delete_many({})
