from datetime import datetime, timezone
from itertools import count

import pytest
from django.db import connection

from analytics.services import REPORTS
from contact.models import Message
from tests import factories

_emails = count()


@pytest.fixture
def model_path(settings, tmp_path):
    """Each test has its own model file (none until it writes one), and starts and ends with no
    live model loaded in this process (the database's versions go with each test's flush)."""
    from analytics.scoring import live_reset

    settings.ANALYTICS_MODEL_PATH = tmp_path / "spam_model.joblib"
    live_reset()
    yield settings.ANALYTICS_MODEL_PATH
    live_reset()


@pytest.fixture
def make_message(db):
    """A message from a person of its own (tests.factories.make_message), with the analytics' defaults."""
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
        return factories.make_message(
            name=f"Person {n}", email=f"person{n}@example.com", subject=subject, message=message, kind=kind,
            spam=is_spam, received_at=received_at, status=status, spam_label=spam_label,
        )

    yield make
    connection.get_collection(REPORTS).delete_many({})
