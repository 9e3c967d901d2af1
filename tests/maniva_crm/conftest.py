import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from contact.meta import RequestMeta
from contact.models import Message
from contact.services import message_store
from contact.spam import SpamVerdict
from maniva_crm.services import MANAGERS, SALES, roles_ensure

PASSWORD = "a-long-test-password-42"


@pytest.fixture
def roles(db) -> None:
    """The groups a migration creates; the test database is flushed between tests, so make them again."""
    roles_ensure()


def make_user(username: str, *, role: str | None = None, staff: bool = True, email: str | None = None):
    user = get_user_model().objects.create_user(
        username=username, email=email if email is not None else f"{username}@maniva.test", password=PASSWORD, is_staff=staff
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def sales(roles):
    return make_user("sam", role=SALES)


@pytest.fixture
def manager(roles):
    return make_user("mia", role=MANAGERS)


@pytest.fixture
def sales_client(client, sales):
    client.force_login(sales)
    return client


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def make_message(*, name: str = "Ana Souza", email: str = "ana@example.com", subject: str = "New website for our bakery",
                 message: str = "We need online ordering for two shops.", kind: str = "contact", spam: bool = False,
                 company: str = "", country: str = "PT", ago: timedelta = timedelta(0)) -> Message:
    """A message stored the way the intake stores it, with the lead's inbox fields kept in step."""
    result = message_store(
        kind=kind,
        submission={"name": name, "email": email, "subject": subject, "message": message, "company": company},
        meta=RequestMeta(ip="203.0.113.9", user_agent="pytest", country=country),
        verdict=SpamVerdict(is_spam=spam, score=0.9 if spam else 0.1),
        idempotency_key=uuid.uuid4().hex,
        received_at=timezone.now() - ago,
    )
    return result.message
