"""Every mail about a lead carries a stable Message-ID and a reply address routing back to the lead."""
from email.utils import parseaddr

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contact.delivery import MessagePayload, deliver_staff_email, job_run, mail_message_id
from contact.models import JobKind, OutboxJob
from contact.outbox import email_enqueue
from contact.replytoken import lead_id_from_reply_address
from contact.worker import jobs_run_due
from tests.factories import form_data, make_message


@pytest.fixture(autouse=True)
def mail_settings(settings):
    settings.INBOUND_EMAIL_DOMAIN = "reply.maniva.test"
    settings.DEFAULT_FROM_EMAIL = "Maniva Digital <hello@maniva.test>"


def test_the_visitor_confirmation_routes_replies_to_the_lead_and_says_it_is_automatic(client, db, smtp_server, settings):
    settings.CONTACT_NOTIFY_EMAILS = ["team@maniva.test"]
    client.post("/contact/", form_data(email="visitor@example.com"))
    job = OutboxJob.objects.get(kind=JobKind.VISITOR_EMAIL)
    staff_job = OutboxJob.objects.get(kind=JobKind.STAFF_EMAIL)
    assert job.payload["mail_message_id"].endswith("@maniva.test>")
    assert job.payload["mail_message_id"] != staff_job.payload["mail_message_id"]
    jobs_run_due(worker="w1")
    mails = {m["X-Envelope-To"]: m for m in smtp_server.wait_for(2)}
    confirmation = mails["visitor@example.com"]
    assert confirmation["Message-ID"] == job.payload["mail_message_id"]
    assert confirmation["Auto-Submitted"] == "auto-generated"
    assert lead_id_from_reply_address(confirmation["Reply-To"]) == str(job.lead_id)
    assert parseaddr(confirmation["Reply-To"])[1].endswith("@reply.maniva.test")
    assert mails["team@maniva.test"]["Message-ID"] == staff_job.payload["mail_message_id"]
    assert mails["team@maniva.test"]["Auto-Submitted"] == "auto-generated"


def test_a_resent_job_carries_the_same_message_id(db, smtp_server, settings):
    """A retry (or a worker that died between sending and marking the job done) sends the very same
    Message-ID, so the visitor's mail client shows one mail and threading does not fork."""
    settings.OUTBOX_RETRY_BASE_SECONDS = 0
    smtp_server.refuse_first = 1
    job = email_enqueue(key="k1", to=["ana@example.com"], subject="Hello", template="maniva_crm/email/reply",
                        context={"name": "Ana", "body": "Hi", "staff": "Sam"})
    jobs_run_due(worker="w1")  # refused once (451), then retried and sent
    job.refresh_from_db()
    job_run(job)  # delivered again, as after a worker's crash
    first, second = smtp_server.wait_for(2)
    assert smtp_server.refused == 1
    assert first["Message-ID"] == second["Message-ID"] == job.payload["message_id"]


def test_a_job_stored_before_message_ids_existed_still_sends(db, smtp_server):
    job = OutboxJob.objects.create(
        kind=JobKind.EMAIL, key="old", payload={"to": ["a@example.com"], "subject": "s", "template": "maniva_crm/email/reply",
                                                "context": {"name": "A", "body": "b", "staff": "S"}, "reply_to": None},
        run_after="2026-01-01T00:00:00Z", created_at="2026-01-01T00:00:00Z",
    )
    job_run(job)
    assert smtp_server.wait_for(1)[0]["Message-ID"]


def test_the_staff_email_reads_the_message_and_its_lead_by_id_without_a_join(db, smtp_server, settings):
    settings.CONTACT_NOTIFY_EMAILS = ["team@maniva.test"]
    message = make_message(email="joined@example.com")
    with CaptureQueriesContext(connection) as queries:
        deliver_staff_email(MessagePayload(message_id=str(message.pk), mail_message_id=mail_message_id()))
    sent = [query["sql"] for query in queries.captured_queries]
    # the message by _id, the intent suggestion's transaction (its writes go through pymongo), the
    # lead by _id, the routing rules triage tries on an unassigned lead (issue 16), and the push
    # subscriptions (none here: the job enqueues a push per staff device)
    assert [sql.split(".aggregate")[0] for sql in sent] == [
        "db.contact_message", "session.start_transaction()", "session.commit_transaction()", "db.contact_lead",
        "db.maniva_crm_routingrule", "db.contact_pushsubscription",
    ], sent
    assert not any("$lookup" in sql for sql in sent), sent
    assert smtp_server.wait_for(1)[0]["Reply-To"] == "joined@example.com"
