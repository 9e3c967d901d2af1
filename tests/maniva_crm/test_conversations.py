"""A lead's conversation: staff replies leave under the staff member's name with a stable Message-ID
and the lead's reply address, are stored on the lead with their full body, and show in order."""
from datetime import timedelta
from email.utils import parseaddr

import pytest
from django.utils import timezone

from contact.delivery import job_run
from contact.leads import lead_awaiting_set, message_insert
from contact.models import Direction, Lead, Message
from contact.replytoken import lead_id_from_reply_address
from maniva_crm import services
from tests.maniva_crm.conftest import make_message

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def mail_settings(settings):
    settings.INBOUND_EMAIL_DOMAIN = "reply.maniva.test"
    settings.DEFAULT_FROM_EMAIL = "Maniva Digital <hello@maniva.test>"


def inbound_mail(*, lead: Lead, body: str, mail_id: str, ago: timedelta = timedelta(0), **extra) -> Message:
    """An inbound mail as the inbound path stores it (the lead store's insert)."""
    return message_insert(
        lead=lead, kind="email", direction=Direction.IN, name=lead.name, email=lead.email, subject="Re: Your site",
        message=body.split("\n>")[0], body_full=body, mail_message_id=mail_id, received_at=timezone.now() - ago, **extra,
    )


def test_a_staff_reply_leaves_under_the_staff_name_with_the_leads_reply_address(sales, smtp_server):
    sales.first_name, sales.last_name = "Ana", "Silva"
    sales.save()
    lead = make_message().lead
    job = services.lead_reply(lead=lead, subject="Your bakery site", body="Hi,\nour plan.", actor=sales)
    job_run(job)
    mail = smtp_server.wait_for(1)[0]
    assert mail["From"] == '"Ana Silva (Maniva Digital)" <hello@maniva.test>'
    assert parseaddr(mail["From"])[1] == "hello@maniva.test"
    assert lead_id_from_reply_address(mail["Reply-To"]) == str(lead.pk)
    assert mail["Message-ID"] == job.payload["message_id"] and mail["Message-ID"].endswith("@maniva.test>")
    assert mail["Auto-Submitted"] is None  # a person wrote it
    job_run(job)  # sent again, as after a worker's crash: the same Message-ID
    assert smtp_server.wait_for(2)[1]["Message-ID"] == mail["Message-ID"]


def test_a_staff_reply_is_on_the_conversation_and_clears_awaiting(sales, smtp_server):
    lead = make_message(ago=timedelta(hours=2)).lead
    earlier = inbound_mail(lead=lead, body="Sounds good!\n> old quote", mail_id="abc@mail.example.com", ago=timedelta(hours=1),
                           mail_references=["first@maniva.test"])
    lead_awaiting_set(lead_id=lead.pk, awaiting=True)
    job = services.lead_reply(lead=lead, subject="Re: Your site", body="Great,\nhere is the full plan.", actor=sales)
    reply = Message.objects.get(lead=lead, direction=Direction.OUT)
    assert reply.kind == "email" and reply.sender_user == sales and reply.body_full == "Great,\nhere is the full plan."
    assert f"<{reply.mail_message_id}>" == job.payload["message_id"]
    assert reply.deliveries_enqueued  # nobody is notified about our own reply
    lead.refresh_from_db()
    assert lead.awaiting_reply is False and lead.message_count == 1  # the count is of the visitor's messages
    # threaded to the visitor's latest mail
    assert job.payload["in_reply_to"] == f"<{earlier.mail_message_id}>"
    assert job.payload["references"] == ["<first@maniva.test>", "<abc@mail.example.com>"]
    job_run(job)
    mail = smtp_server.wait_for(1)[0]
    assert mail["In-Reply-To"] == "<abc@mail.example.com>"
