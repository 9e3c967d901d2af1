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
from tests.factories import make_message

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


def test_the_lead_page_shows_one_conversation_in_order(sales_client, sales):
    lead = make_message(subject="Form question", message="Our bakery needs a site.", ago=timedelta(hours=3)).lead
    services.lead_reply(lead=lead, subject="Re: Form question", body="Hello Ana,\nhere is our first plan.", actor=sales)
    Message.objects.filter(lead=lead, direction=Direction.OUT).update(received_at=timezone.now() - timedelta(hours=2))
    inbound_mail(lead=lead, body="Thanks, <b>looks</b> good!\n> Hello Ana,\n> here is our first plan.",
                 mail_id="in1@mail.example.com", ago=timedelta(hours=1))
    page = sales_client.get(lead.get_absolute_url()).content.decode()
    conversation = page[page.index("Conversation"):]
    form, reply, answer = (conversation.index(text) for text in (
        "Our bakery needs a site.", "here is our first plan.", "Thanks, &lt;b&gt;looks&lt;/b&gt; good!"))
    assert form < reply < answer
    assert "sam</strong> replied by email" in conversation and "wrote by email" in conversation
    assert "crm-msg-out" in conversation and "crm-msg-in" in conversation
    assert "Show the full mail" in conversation and "&gt; here is our first plan." in conversation  # the full body, escaped
    assert "<b>looks" not in page


def test_messages_stored_in_one_millisecond_keep_their_order(sales_client, sales):
    lead = make_message(ago=timedelta(hours=1)).lead
    at = timezone.now()
    for n in range(3):
        inbound_mail(lead=lead, body=f"mail number {n}", mail_id=f"same{n}@mail.example.com")
    Message.objects.filter(lead=lead, kind="email").update(received_at=at)
    page = sales_client.get(lead.get_absolute_url()).content.decode()
    assert page.index("mail number 0") < page.index("mail number 1") < page.index("mail number 2")


@pytest.fixture
def attachments(db):
    from contact.inbound import mail_file_put

    lead = make_message().lead
    other = make_message(email="other@example.com").lead
    files = {
        "pdf": mail_file_put(data=b"%PDF-1.4 quote", filename="quote.pdf", content_type="application/pdf"),
        "html": mail_file_put(data=b"<script>alert(1)</script>", filename="page.html", content_type="text/html"),
        "raw": mail_file_put(data=b"Subject: raw\r\n\r\nraw mail", filename="raw.eml", content_type="message/rfc822"),
        "other": mail_file_put(data=b"other lead's secret", filename="secret.pdf", content_type="application/pdf"),
    }
    meta = lambda key, name, ctype, size: {"file_id": files[key], "filename": name, "content_type": ctype, "size": size}  # noqa: E731
    inbound_mail(lead=lead, body="see attached", mail_id="att@mail.example.com", raw_file_id=files["raw"],
                 attachments=[meta("pdf", "quote \"final\".pdf", "application/pdf", 14), meta("html", "page.html", "text/html", 25)])
    inbound_mail(lead=other, body="mine", mail_id="other@mail.example.com", attachments=[meta("other", "secret.pdf", "application/pdf", 19)])
    return lead, other, files


def attachment_url(lead, file_id: str) -> str:
    return f"{lead.get_absolute_url()}attachments/{file_id}/"


def test_staff_download_an_attachment_as_a_file_with_a_safe_type(sales_client, attachments):
    lead, _, files = attachments
    page = sales_client.get(lead.get_absolute_url()).content.decode()
    assert attachment_url(lead, files["pdf"]) in page and "quote &quot;final&quot;.pdf" in page
    response = sales_client.get(attachment_url(lead, files["pdf"]))
    assert response.status_code == 200 and b"".join(response) == b"%PDF-1.4 quote"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    html = sales_client.get(attachment_url(lead, files["html"]))
    assert html.status_code == 200 and html["Content-Type"] == "application/octet-stream"
    assert html["Content-Disposition"] == 'attachment; filename="page.html"'


def test_an_attachment_is_served_only_through_its_own_lead_and_only_to_staff(client, sales_client, attachments, roles):
    from tests.factories import make_user

    lead, other, files = attachments
    assert sales_client.get(attachment_url(lead, files["other"])).status_code == 404  # another lead's file
    assert sales_client.get(attachment_url(other, files["other"])).status_code == 200
    assert sales_client.get(attachment_url(lead, files["raw"])).status_code == 404  # the raw mail is not an attachment
    assert sales_client.get(attachment_url(lead, "not-an-id")).status_code == 404
    assert sales_client.get(attachment_url(lead, "0" * 24)).status_code == 404
    sales_client.logout()
    assert client.get(attachment_url(lead, files["pdf"])).status_code == 302  # to the login page
    client.force_login(make_user("norole"))  # staff, but without a CRM role
    assert client.get(attachment_url(lead, files["pdf"])).status_code == 403


def test_the_inbox_filters_leads_awaiting_our_reply(sales_client, sales):
    from maniva_crm.selectors import InboxFilters, inbox_page

    waiting = make_message(email="waiting@example.com", name="Wanda Waiting").lead
    make_message(email="quiet@example.com", name="Quentin Quiet")
    lead_awaiting_set(lead_id=waiting.pk, awaiting=True)
    assert [row.id for row in inbox_page(filters=InboxFilters(awaiting="1")).rows] == [str(waiting.pk)]
    assert len(inbox_page(filters=InboxFilters()).rows) == 2
    page = sales_client.get("/crm/?awaiting=1").content.decode()
    assert "Wanda Waiting" in page and "Quentin Quiet" not in page and "awaiting our reply</span>" in page
    assert 'name="awaiting" value="1" id="id_awaiting" checked' in page
    assert "Quentin Quiet" in sales_client.get("/crm/").content.decode()
    services.lead_reply(lead=waiting, subject="Re", body="Answered.", actor=sales)
    assert inbox_page(filters=InboxFilters(awaiting="1")).rows == []


def test_staff_replies_are_neither_spam_training_data_nor_counted_as_received(sales):
    from analytics import reader
    from django.db import connection

    lead = make_message().lead
    services.lead_reply(lead=lead, subject="Re", body="Our reply.", actor=sales)
    services.lead_spam_mark(lead=lead, spam=True, actor=sales)
    assert dict(Message.objects.filter(lead=lead).values_list("direction", "spam_label")) == {"in": "spam", "out": ""}
    assert reader.message_count(connection.get_database(), reader.message_filter()) == 1


def test_a_staff_reply_is_on_the_timeline_once_and_leaves_the_leads_inbox_fields_alone(sales_client, sales):
    from contact.leads import lead_reindex

    lead = make_message(subject="Bakery site", ago=timedelta(minutes=5)).lead
    services.lead_reply(lead=lead, subject="Our answer", body="Hello.", actor=sales)
    inbound_mail(lead=lead, body="Thanks!", mail_id="t1@mail.example.com")
    page = sales_client.get(lead.get_absolute_url()).content.decode()
    timeline = page[page.index("timeline-heading"):page.index(">Conversation<")]
    assert timeline.count("Our answer") == 1 and "queued a reply by email: Our answer" in timeline
    assert "wrote by email: Re: Your site" in timeline
    lead_reindex(lead=lead)
    lead.refresh_from_db()
    assert lead.last_subject == "Re: Your site" and "Our answer" not in lead.last_subject
