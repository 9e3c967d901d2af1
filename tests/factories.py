"""Test objects, one factory per kind: users, messages (with their leads) and a visitor's form data."""
import time
import uuid
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from contact.forms import signed_form_timestamp
from contact.meta import RequestMeta
from contact.leads import lead_update
from contact.models import Lead, Message
from contact.services import message_store
from contact.spam import SpamVerdict

PASSWORD = "a-long-test-password-42"


def make_user(username: str, *, role: str | None = None, staff: bool = True, email: str | None = None, superuser: bool = False):
    """A user with PASSWORD; `role` is a CRM group (the `roles` fixture makes them)."""
    create = get_user_model().objects.create_superuser if superuser else get_user_model().objects.create_user
    user = create(
        username=username, email=email if email is not None else f"{username}@maniva.test", password=PASSWORD, is_staff=staff
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def make_message(*, name: str = "Ana Souza", email: str = "ana@example.com", subject: str = "New website for our bakery",
                 message: str = "We need online ordering for two shops.", kind: str = "contact", spam: bool = False,
                 company: str = "", country: str = "PT", ago: timedelta = timedelta(0), received_at: datetime | None = None,
                 status: str = "", spam_label: str = "") -> Message:
    """A message stored the way the intake stores it, with the lead's inbox fields kept in step; then, as
    staff would, its lead moved to `status` and the message labelled `spam_label` (spam/ham) if given."""
    result = message_store(
        kind=kind,
        submission={"name": name, "email": email, "subject": subject, "message": message, "company": company},
        meta=RequestMeta(ip="203.0.113.9", user_agent="pytest", country=country),
        verdict=SpamVerdict(is_spam=spam, score=0.9 if spam else 0.1),
        idempotency_key=uuid.uuid4().hex,
        received_at=received_at or timezone.now() - ago,
    )
    if status:
        lead_update(lead_id=result.message.lead_id, status=status)
    if spam_label:
        Message.objects.filter(pk=result.message.pk).update(spam_label=spam_label)
    return Message.objects.get(pk=result.message.pk) if status or spam_label else result.message


def form_data(**overrides) -> dict:
    """What a visitor's browser posts: their answers plus the form's hidden fields."""
    data = {
        "name": "Ana Souza",
        "email": "ana@Example.COM",
        "subject": "New website for our bakery",
        "message": "Hello! We need a new website with online ordering for our two shops.",
        "consent": "on",
        "website": "",
        "form_ts": signed_form_timestamp(time.time() - 30),
        "idem": uuid.uuid4().hex,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}
