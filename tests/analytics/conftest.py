from datetime import datetime, timezone
from itertools import count

import pytest
from django.db import connection

from analytics.services import REPORTS
from contact.models import Message
from tests import factories

_emails = count()


def _versions_clear() -> None:
    from analytics import model_store

    for name in (model_store.VERSIONS, model_store.LIVE, f"{model_store.BUCKET}.files", f"{model_store.BUCKET}.chunks"):
        connection.get_collection(name).delete_many({})


@pytest.fixture
def model_path(settings, tmp_path, request):
    """Each test has its own model file (none until it writes one), no stored model versions (the
    ORM's flush does not know those collections), and no live model loaded in this process."""
    from analytics.scoring import live_reset

    uses_db = "db" in request.fixturenames or request.node.get_closest_marker("django_db")
    settings.ANALYTICS_MODEL_PATH = tmp_path / "spam_model.joblib"
    live_reset()
    if uses_db:
        _versions_clear()
    yield settings.ANALYTICS_MODEL_PATH
    live_reset()
    if uses_db:
        _versions_clear()


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
