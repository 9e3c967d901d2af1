"""IMAP polling against a real IMAP server (dovecot, tests/imapserver.py): mail in the mailbox joins
its lead through the one inbound path, is marked \\Seen and recorded, and is never imported twice."""
import logging
import uuid
from email.message import EmailMessage

import pytest

from contact.imap import COLLECTION, ImapAccount, imap_state_get, mailbox_poll
from contact.models import Lead, Message
from contact.worker import worker_tick
from tests.factories import make_message
from tests.helpers import bound_socket
from tests.imapserver import ImapServer, _imap_daemon, imap_server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_state(db, settings):
    from django.db import connection

    connection.get_collection(COLLECTION).delete_many({})
    settings.CONTACT_RATE_LIMITS = {"ip": (10**6, 600), "email": (10**6, 3600)}


def account_of(server: ImapServer, folder: str = "INBOX") -> ImapAccount:
    return ImapAccount(host="127.0.0.1", port=server.port, user=server.user, password=server.password, folder=folder, ssl=False)


def lead_of(email: str, name: str) -> Lead:
    return make_message(name=name, email=email, subject="A new website").lead


def reply(sender: str, subject: str, body: str, *, message_id: str | None = None) -> tuple[bytes, str]:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "hello@maniva.digital"
    mail["Subject"] = subject
    message_id = message_id or f"{uuid.uuid4().hex}@mail.example"
    mail["Message-ID"] = f"<{message_id}>"
    mail["Date"] = "Thu, 26 Nov 2026 10:00:00 +0000"
    mail.set_content(body)
    return mail.as_bytes(), message_id


def inbound_on(lead: Lead) -> list[Message]:
    return list(Message.objects.filter(lead=lead, mail_message_id__isnull=False).order_by("received_at"))


def test_mail_in_the_mailbox_joins_its_lead_is_marked_seen_and_recorded(imap_server):
    ana, bob = lead_of("ana@example.com", "Ana Souza"), lead_of("bob@example.org", "Bob Stone")
    raw_ana, id_ana = reply("Ana Souza <ana@example.com>", "Re: A new website", "Yes, Tuesday works for us.")
    raw_bob, id_bob = reply("Bob Stone <bob@example.org>", "Re: A new website", "Could you send a quote?")
    first, second = imap_server.deliver(raw_ana), imap_server.deliver(raw_bob)

    result = mailbox_poll(account=account_of(imap_server))

    assert (result.fetched, result.stored, result.error) == (2, 2, "")
    assert [m.mail_message_id for m in inbound_on(ana)] == [id_ana]
    assert [m.mail_message_id for m in inbound_on(bob)] == [id_bob]
    assert "Tuesday works" in inbound_on(ana)[0].body_full
    flags = imap_server.flags()
    assert "\\Seen" in flags[first] and "\\Seen" in flags[second]
    state = imap_state_get(account=account_of(imap_server))
    assert state["last_uid"] == second and state["uidvalidity"] > 0


def test_a_second_poll_and_a_poll_after_a_restart_import_nothing_twice(imap_server):
    ana = lead_of("ana@example.com", "Ana Souza")
    raw, message_id = reply("ana@example.com", "Re: A new website", "Here are the photos.")
    uid = imap_server.deliver(raw)
    account = account_of(imap_server)
    assert mailbox_poll(account=account).stored == 1

    assert mailbox_poll(account=account).fetched == 0
    # Someone marks the mail unread in webmail, then the worker restarts (a new process and
    # connection): the recorded UID still says it is done.
    client = imap_server.client()
    client.select('"INBOX"')
    client.uid("STORE", str(uid), "-FLAGS", "(\\Seen)")
    client.logout()
    assert mailbox_poll(account=account, holder="restarted-worker").fetched == 0
    # Another mail arrives: only it is imported, once.
    raw2, message_id2 = reply("ana@example.com", "Re: A new website", "One more thing.")
    imap_server.deliver(raw2)
    assert (result := mailbox_poll(account=account)).fetched == 1 and result.stored == 1
    assert mailbox_poll(account=account).fetched == 0
    assert [m.mail_message_id for m in inbound_on(ana)] == [message_id, message_id2]


def test_without_a_record_only_unseen_mail_is_fetched_and_its_core_dedupes(imap_server):
    """The state lost (or a first poll on an old mailbox): \\Seen keeps history and done mail out, and
    the inbound core's Message-ID uniqueness covers a mail fetched again."""
    ana = lead_of("ana@example.com", "Ana Souza")
    imap_server.deliver(reply("ana@example.com", "Old thread", "From last year.")[0], seen=True)
    raw, message_id = reply("ana@example.com", "Re: A new website", "Sounds good.")
    imap_server.deliver(raw)
    account = account_of(imap_server)
    assert mailbox_poll(account=account).stored == 1
    assert [m.mail_message_id for m in inbound_on(ana)] == [message_id]

    from django.db import connection

    connection.get_collection(COLLECTION).delete_many({})
    imap_server.deliver(raw)  # the same mail delivered twice (two MX routes, a forward...)
    result = mailbox_poll(account=account)
    assert (result.fetched, result.stored, result.duplicates) == (1, 0, 1)
    assert [m.mail_message_id for m in inbound_on(ana)] == [message_id]
    assert all("\\Seen" in flags for flags in imap_server.flags().values())


def test_mail_opened_in_webmail_before_the_poll_is_still_imported(imap_server):
    ana = lead_of("ana@example.com", "Ana Souza")
    account = account_of(imap_server)
    mailbox_poll(account=account)  # records the mailbox (empty)
    raw, message_id = reply("ana@example.com", "Re: A new website", "Read on my phone first.")
    imap_server.deliver(raw, seen=True)
    assert mailbox_poll(account=account).stored == 1
    assert [m.mail_message_id for m in inbound_on(ana)] == [message_id]


def test_a_new_uidvalidity_starts_the_record_again(imap_server):
    ana = lead_of("ana@example.com", "Ana Souza")
    imap_server.folder_create("Leads")
    account = account_of(imap_server, folder="Leads")
    imap_server.deliver(reply("ana@example.com", "Re: 1", "First.")[0], folder="Leads")
    imap_server.deliver(reply("ana@example.com", "Re: 2", "Second.")[0], folder="Leads")
    assert mailbox_poll(account=account).stored == 2
    before = imap_state_get(account=account)
    assert before["last_uid"] == 2

    imap_server.folder_recreate("Leads")  # the server renumbers: UIDs start at 1 again
    raw, message_id = reply("ana@example.com", "Re: 3", "Third, with UID 1 again.")
    imap_server.deliver(raw, folder="Leads")
    result = mailbox_poll(account=account)

    assert (result.fetched, result.stored) == (1, 1)
    after = imap_state_get(account=account)
    assert after["uidvalidity"] != before["uidvalidity"] and after["last_uid"] == 1
    assert message_id in [m.mail_message_id for m in inbound_on(ana)] and len(inbound_on(ana)) == 3


def test_a_sender_over_the_rate_limit_is_deferred_and_the_mail_after_it_goes_on(imap_server, settings):
    """Mail that answers none of ours counts against its sender's rate limit: over it (451, try later),
    a mail stays unseen on the retry list, the next one is imported, and a later poll imports the
    deferred one once the limit allows."""
    settings.CONTACT_RATE_LIMITS = {"ip": (10**6, 600), "email": (1, 3600)}
    ana = lead_of("ana@example.com", "Ana Souza")
    raw_first, id_first = reply("ana@example.com", "A question", "Not an answer to any of ours.")
    raw_second, id_second = reply("ana@example.com", "Another question", "Over her limit.")
    raw_bob, id_bob = reply("bob@example.org", "Hello", "A new sender, within his limit.")
    imap_server.deliver(raw_first)
    uid_second, uid_bob = imap_server.deliver(raw_second), imap_server.deliver(raw_bob)
    account = account_of(imap_server)

    result = mailbox_poll(account=account)
    assert (result.stored, result.deferred) == (2, 1)
    assert [m.mail_message_id for m in inbound_on(ana)] == [id_first]
    assert Message.objects.filter(mail_message_id=id_bob).exists()
    state = imap_state_get(account=account)
    assert state["last_uid"] == uid_bob and state["retry"] == [uid_second]
    assert "\\Seen" not in imap_server.flags()[uid_second]

    assert mailbox_poll(account=account).deferred == 1  # still over
    settings.CONTACT_RATE_LIMITS = {"ip": (10**6, 600), "email": (10**6, 3600)}
    assert mailbox_poll(account=account).stored == 1
    assert [m.mail_message_id for m in inbound_on(ana)] == [id_first, id_second]
    assert imap_state_get(account=account)["retry"] == []
    assert "\\Seen" in imap_server.flags()[uid_second]
    assert mailbox_poll(account=account).fetched == 0


def test_a_mail_over_the_size_limit_is_refused_without_download_and_left_unseen(imap_server, settings, caplog):
    ana = lead_of("ana@example.com", "Ana Souza")
    big, _ = reply("ana@example.com", "Re: the plans", "x" * 5000)
    small, small_id = reply("ana@example.com", "Re: the plans", "The plans follow separately.")
    settings.INBOUND_MAX_BYTES = 4000
    uid_big, uid_small = imap_server.deliver(big), imap_server.deliver(small)
    with caplog.at_level(logging.WARNING, logger="contact.imap"):
        result = mailbox_poll(account=account_of(imap_server))
    assert (result.fetched, result.stored, result.refused) == (1, 1, 1)
    assert "refused" in caplog.text
    assert [m.mail_message_id for m in inbound_on(ana)] == [small_id]
    flags = imap_server.flags()
    assert "\\Seen" not in flags[uid_big] and "\\Seen" in flags[uid_small]
    assert mailbox_poll(account=account_of(imap_server)).refused == 0  # recorded as processed


def test_a_server_that_is_down_is_logged_and_retried_next_poll(imap_server, caplog):
    ana = lead_of("ana@example.com", "Ana Souza")
    raw, message_id = reply("ana@example.com", "Re: A new website", "Are you there?")
    imap_server.deliver(raw)
    down = bound_socket()  # refuses connections, like a server that is down
    try:
        with caplog.at_level(logging.WARNING, logger="contact.imap"):
            result = mailbox_poll(account=ImapAccount(host="127.0.0.1", port=down.getsockname()[1], user="x", password="y", ssl=False))
    finally:
        down.close()
    assert result.fetched == 0 and "ConnectionRefusedError" in result.error
    assert "will retry" in caplog.text

    imap_server.stop()  # the real server goes away between polls
    assert "imap:" in mailbox_poll(account=account_of(imap_server)).error
    imap_server.start()
    assert mailbox_poll(account=account_of(imap_server)).stored == 1
    assert [m.mail_message_id for m in inbound_on(ana)] == [message_id]


def test_a_wrong_password_is_logged_not_raised(imap_server, caplog):
    account = ImapAccount(host="127.0.0.1", port=imap_server.port, user=imap_server.user, password="wrong", ssl=False)
    with caplog.at_level(logging.WARNING, logger="contact.imap"):
        assert "imap:" in mailbox_poll(account=account).error
    assert "will retry" in caplog.text


def test_the_worker_polls_the_mailbox_the_settings_name(imap_server, settings):
    ana = lead_of("ana@example.com", "Ana Souza")
    raw, message_id = reply("ana@example.com", "Re: A new website", "Through the worker.")
    imap_server.deliver(raw)
    settings.IMAP_HOST, settings.IMAP_PORT, settings.IMAP_SSL = "127.0.0.1", imap_server.port, False
    settings.IMAP_USER, settings.IMAP_PASSWORD, settings.IMAP_FOLDER = imap_server.user, imap_server.password, "INBOX"

    worker_tick(worker="test-worker", mailbox=False)
    assert inbound_on(ana) == []
    worker_tick(worker="test-worker")
    assert [m.mail_message_id for m in inbound_on(ana)] == [message_id]

    imap_server.stop()  # a mailbox that is down does not stop the worker's pass
    worker_tick(worker="test-worker")


def test_a_worker_busy_with_the_mailbox_keeps_others_off_it(imap_server):
    from contact.imap import _lease_take
    from datetime import datetime, timezone

    lead_of("ana@example.com", "Ana Souza")
    imap_server.deliver(reply("ana@example.com", "Re: A new website", "Once only.")[0])
    account = account_of(imap_server)
    _lease_take(account=account, holder="other-worker", now=datetime.now(timezone.utc))
    assert mailbox_poll(account=account, holder="this-worker").fetched == 0
