"""Inbound mail end to end: real-world mail shapes sent with smtplib to the project's own SMTP
receiver (contact.mailserver, on a port of its own), through `manage.py mail_receive` in a
subprocess, and into the database the suite runs on."""
import base64
import os
import signal
import smtplib
import subprocess
import sys
import time
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from contact.inbound import html_to_text, mail_file_read, mail_parse, reply_trim
from contact.leads import lead_upsert, message_insert
from contact.mailserver import InboundMailServer
from contact.models import Direction, FormKind, JobKind, Lead, Message, OutboxJob
from contact.replytoken import reply_address
from tests.factories import form_data
from tests.dbserver import SERVER, listening_port

ROOT = Path(__file__).resolve().parents[2]
STAFF_DOMAIN = "maniva.digital"


@pytest.fixture
def receiver(db, settings):
    settings.INBOUND_EMAIL_DOMAIN = "inbound.test"
    settings.CONTACT_RATE_LIMITS = {"ip": (10**9, 600), "email": (10**9, 3600)}
    server = InboundMailServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.stop()


def wire(raw: bytes) -> bytes:
    """On the wire, lines end in CRLF."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def send(server: InboundMailServer, raw: bytes | EmailMessage, *, sender: str = "visitor@example.com", to: str = "hello@inbound.test") -> None:
    data = wire(raw.as_bytes() if isinstance(raw, EmailMessage) else raw)
    with smtplib.SMTP("127.0.0.1", server.port, timeout=30) as smtp:
        smtp.sendmail(sender, [to], data)


def make_lead(email: str = "ana@example.com", name: str = "Ana Souza", **changes) -> Lead:
    lead = lead_upsert(email=email, values={"name": name}, received_at=timezone.now() - timedelta(days=2), spam=False)
    if changes:
        Lead.objects.filter(pk=lead.pk).update(**changes)
        lead.refresh_from_db()
    return lead


def staff_reply(lead: Lead, subject: str = "Your new website") -> str:
    """An outbound message on the lead, as the CRM stores a staff reply; returns its Message-ID."""
    mail_id = make_msgid(domain=STAFF_DOMAIN)[1:-1]
    message_insert(
        lead=lead, kind=FormKind.EMAIL, direction=Direction.OUT, name="Rui Staff", email=f"hello@{STAFF_DOMAIN}",
        subject=subject, message="Could we talk on Tuesday?", body_full="Could we talk on Tuesday?",
        mail_message_id=mail_id, received_at=timezone.now() - timedelta(days=1), deliveries_enqueued=True,
    )
    return mail_id


def inbound(**filters) -> Message:
    return Message.objects.get(direction=Direction.IN, kind=FormKind.EMAIL, **filters)


def notices() -> list[OutboxJob]:
    return list(OutboxJob.objects.filter(key__startswith="inbound_email:"))


def subprocess_env(**extra: str) -> dict:
    uri = f"mongodb://127.0.0.1:{SERVER.port}/{connection.settings_dict['NAME']}"
    return {**os.environ, "MONGODB_URI": uri, **extra}


def mail_receive(raw: bytes, *args: str, **env: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", "mail_receive", *args], cwd=ROOT, input=wire(raw), capture_output=True,
        env=subprocess_env(**env), timeout=120,
    )
    return subprocess.CompletedProcess(result.args, result.returncode, result.stdout.decode(), result.stderr.decode())


GMAIL_REPLY = """\
From: Ana Souza <ana@example.com>
To: Rui Staff <{to}>
Subject: Re: Your new website
Message-ID: <CAGmail-1234@mail.gmail.com>
In-Reply-To: <{parent}>
References: <older@maniva.digital> <{parent}>
Date: Tue, 24 Nov 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="000000000000abcdef"

--000000000000abcdef
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

Thanks! Tuesday at 10:00 works for us =E2=80=93 see you then.
Caf=C3=A9 owners are busy on Mondays.

On Mon, 23 Nov 2026 at 17:02, Rui Staff <hello@maniva.digital>
wrote:

> Could we talk on Tuesday?
>
> Rui

--000000000000abcdef
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div dir=3D"ltr">Thanks! Tuesday at 10:00 works for us =E2=80=93 see you then.<br>=
Caf=C3=A9 owners are busy on Mondays.</div><br><div class=3D"gmail_quote"><div =
class=3D"gmail_attr">On Mon, 23 Nov 2026 at 17:02, Rui Staff &lt;hello@maniva.digital&gt; =
wrote:<br></div><blockquote class=3D"gmail_quote">Could we talk on Tuesday?<br>Rui</blockquote></div>

--000000000000abcdef--
"""


def test_a_gmail_reply_threads_by_in_reply_to_and_shows_only_what_is_new(receiver, settings):
    lead = make_lead()
    parent = staff_reply(lead)
    send(receiver, GMAIL_REPLY.format(parent=parent, to="hello@maniva.digital").encode(), sender="ana@example.com")

    message = inbound()
    assert message.lead_id == lead.pk
    assert message.message == "Thanks! Tuesday at 10:00 works for us – see you then.\nCafé owners are busy on Mondays."
    assert "Could we talk on Tuesday?" in message.body_full and "wrote:" in message.body_full
    assert message.mail_message_id == "CAGmail-1234@mail.gmail.com"
    assert message.mail_in_reply_to == parent and message.mail_references == ["older@maniva.digital", parent]
    assert message.subject == "Re: Your new website" and message.name == "Ana Souza" and not message.auto_submitted
    lead.refresh_from_db()
    assert lead.awaiting_reply and lead.message_count == 1 and lead.last_activity_at >= message.received_at - timedelta(seconds=1)
    assert FormKind.EMAIL in lead.kinds
    (notice,) = notices()
    assert notice.kind == JobKind.EMAIL and notice.payload["to"] == settings.CONTACT_NOTIFY_EMAILS
    assert notice.payload["auto_submitted"] and notice.lead_id == lead.pk
    assert not OutboxJob.objects.filter(kind=JobKind.VISITOR_EMAIL).exists()  # an inbound mail is never answered


OUTLOOK_TEXT = """Hello Rui,

Here are the photos of the shop, as promised. Our budget is about 4000 €.

Kind regards,
José

________________________________
From: Rui Staff <hello@maniva.digital>
Sent: Monday, November 23, 2026 5:02 PM
To: José Müller <jose@example.org>
Subject: Your new website

Could we talk on Tuesday?
"""


def test_an_outlook_reply_in_base64_with_encoded_headers_threads_by_token_and_tells_the_assignee(receiver, django_user_model):
    rui = django_user_model.objects.create_user("rui", email="rui@maniva.digital", password="x", is_staff=True)
    lead = make_lead(email="jose@example.org", name="José Müller", assignee=rui)
    mail = EmailMessage()
    mail["From"] = "José Müller <jose@example.org>"
    mail["To"] = reply_address(lead_id=lead.pk)
    mail["Subject"] = "RE: Your new website – fotos da loja"
    mail["Message-ID"] = make_msgid(domain="outlook.example")
    mail.set_content(OUTLOOK_TEXT, cte="base64")
    raw = mail.as_bytes()
    assert b"=?utf-8?" in raw and b"Content-Transfer-Encoding: base64" in raw

    send(receiver, raw, sender="jose@example.org", to=reply_address(lead_id=lead.pk))

    message = inbound()
    assert message.lead_id == lead.pk and message.name == "José Müller"
    assert message.subject == "RE: Your new website – fotos da loja"
    assert message.message == "Hello Rui,\n\nHere are the photos of the shop, as promised. Our budget is about 4000 €.\n\nKind regards,\nJosé"
    assert "Sent: Monday" in message.body_full
    (notice,) = notices()
    assert notice.payload["to"] == ["rui@maniva.digital"]
    lead.refresh_from_db()
    assert lead.awaiting_reply


def test_a_forwarded_mail_keeps_what_it_forwards(receiver):
    lead = make_lead()
    mail = EmailMessage()
    mail["From"] = "ana@example.com"
    mail["To"] = reply_address(lead_id=lead.pk)
    mail["Subject"] = "Fwd: Quote from the printer"
    mail.set_content(
        "See below, could you match this?\n\n---------- Forwarded message ---------\nFrom: Print Shop <sales@print.example>\n"
        "Date: Mon, 23 Nov 2026 at 09:00\nSubject: Quote\nTo: <ana@example.com>\n\n500 flyers: 120 EUR\n"
    )
    send(receiver, mail)
    message = inbound()
    assert message.lead_id == lead.pk
    assert "500 flyers: 120 EUR" in message.message and "Forwarded message" in message.message


def test_an_html_only_mail_becomes_safe_text(receiver):
    make_lead()
    mail = EmailMessage()
    mail["From"] = "Ana <ana@example.com>"
    mail["To"] = "hello@inbound.test"
    mail["Subject"] = "HTML only"
    mail.set_content(
        "<html><head><style>p{color:red}</style><script>alert('x')</script></head><body><p>Hello &amp; welcome,</p>"
        "<p>we sell <b>bread</b> &lt;fresh&gt;.</p><img src=x onerror=alert(1)><ul><li>rye</li><li>spelt</li></ul></body></html>",
        subtype="html",
    )
    send(receiver, mail, sender="ana@example.com")
    text = inbound().message
    assert text == "Hello & welcome,\n\nwe sell bread <fresh>.\n\nrye\nspelt"
    assert "alert" not in text and "color" not in text


def test_an_auto_reply_is_recorded_but_neither_reopens_the_lead_nor_notifies(receiver):
    lead = make_lead()
    mail = EmailMessage()
    mail["From"] = "Ana Souza <ana@example.com>"
    mail["To"] = reply_address(lead_id=lead.pk)
    mail["Subject"] = "Out of office: Your new website"
    mail["Auto-Submitted"] = "auto-replied"
    mail["X-Autoreply"] = "yes"
    mail.set_content("I am away until Monday.")
    send(receiver, mail)

    message = inbound()
    assert message.auto_submitted and message.lead_id == lead.pk and message.deliveries_enqueued
    lead.refresh_from_db()
    assert not lead.awaiting_reply and lead.message_count == 0
    assert not notices() and not OutboxJob.objects.exists()


DSN = """\
From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: hello@inbound.test
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"
Message-Id: <20261124100000.ABC@mx.example.net>

--BOUNDARY
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.net.
I'm sorry to have to inform you that your message could not be delivered.

<nobody@example.net>: host mx.example.net said: 550 5.1.1 User unknown

--BOUNDARY
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
Final-Recipient: rfc822; nobody@example.net
Action: failed
Status: 5.1.1

--BOUNDARY
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: Maniva Digital <hello@maniva.digital>
Subject: We received your message
Message-ID: <confirmation-1@maniva.digital>

--BOUNDARY--
"""


def test_a_bounce_is_recorded_without_starting_a_lead(receiver):
    send(receiver, DSN.encode(), sender="")
    message = inbound()
    assert message.auto_submitted and message.lead_id is None and message.attachments == []
    assert "could not be delivered" in message.message
    assert not Lead.objects.exists() and not OutboxJob.objects.exists()


def test_attachments_are_kept_downloadable_and_disallowed_types_are_not(receiver):
    lead = make_lead()
    pdf = b"%PDF-1.7\n" + os.urandom(200_000)
    mail = EmailMessage()
    mail["From"] = "ana@example.com"
    mail["To"] = reply_address(lead_id=lead.pk)
    mail["Subject"] = "Our menu"
    mail.set_content("The menu is attached.")
    mail.add_attachment(pdf, maintype="application", subtype="pdf", filename="Cardápio 2027.pdf")
    mail.add_attachment(b"MZ\x90\x00evil", maintype="application", subtype="x-msdownload", filename="menu.exe")
    raw = mail.as_bytes()
    send(receiver, raw)

    message = inbound()
    (attachment,) = message.attachments
    assert attachment["filename"] == "Cardápio 2027.pdf" and attachment["content_type"] == "application/pdf"
    assert attachment["size"] == len(pdf) and mail_file_read(file_id=attachment["file_id"]) == pdf
    assert "menu.exe (application/x-msdownload)" in message.message
    assert mail_file_read(file_id=message.raw_file_id).replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")
    assert mail_file_read(file_id="not-an-id") is None


def test_a_20_mb_mail_is_refused_with_552_and_the_receiver_carries_on(receiver):
    lead = make_lead()
    mail = EmailMessage()
    mail["From"] = "ana@example.com"
    mail["To"] = reply_address(lead_id=lead.pk)
    mail["Subject"] = "Huge"
    mail.set_content("Photos attached.")
    mail.add_attachment(os.urandom(15 * 1024 * 1024), maintype="image", subtype="jpeg", filename="big.jpg")
    raw = wire(mail.as_bytes())
    assert len(raw) > 20_000_000
    with smtplib.SMTP("127.0.0.1", receiver.port, timeout=60) as smtp:
        with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused:
            smtp.sendmail("ana@example.com", [mail["To"]], raw)
    assert refused.value.smtp_code == 552
    # A client that ignores the SIZE it was told sends it all the same: 552 after the data.
    with smtplib.SMTP("127.0.0.1", receiver.port, timeout=60) as smtp:
        smtp.ehlo()
        smtp.esmtp_features.pop("size", None)
        with pytest.raises(smtplib.SMTPDataError) as refused:
            smtp.sendmail("ana@example.com", [mail["To"]], raw)
    assert refused.value.smtp_code == 552
    assert not Message.objects.exists()

    small = EmailMessage()
    small["From"], small["To"], small["Subject"] = "ana@example.com", mail["To"], "Smaller"
    small.set_content("One photo then.")
    send(receiver, small)
    assert inbound().subject == "Smaller"


MALFORMED = (
    b"From: =?x-unknown?B?!!!?= <ana@example.com\r\n"
    b"To: <<<>>>, reply+garbage@inbound.test\r\n"
    b"Subject: =?utf-8?q?broken=ZZ?=\r\n"
    b"Content-Type: multipart/mixed; boundary=\"never-closed\"\r\n"
    b"In-Reply-To: <<>\r\n"
    b"\r\n"
    b"--never-closed\r\n"
    b"Content-Type: text/plain; charset=no-such-charset\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"SGVsbG8gd29ybGQ=%%%not base64\xff\xfe\r\n"
)


def test_a_malformed_mail_is_stored_raw_with_what_could_be_read(receiver):
    send(receiver, MALFORMED, sender="ana@example.com")
    message = inbound()
    assert mail_file_read(file_id=message.raw_file_id) == MALFORMED
    assert message.mail_message_id.startswith("sha256:")
    assert message.subject  # something, if only "(no subject)"


def test_a_mail_delivered_twice_is_stored_once(receiver):
    lead = make_lead()
    parent = staff_reply(lead)
    raw = GMAIL_REPLY.format(parent=parent, to="hello@maniva.digital").encode()
    send(receiver, raw)
    send(receiver, raw)
    result = mail_receive(raw)
    assert result.returncode == 0 and "already stored" in result.stdout, result.stderr

    assert Message.objects.filter(direction=Direction.IN).count() == 1 and len(notices()) == 1
    lead.refresh_from_db()
    assert lead.message_count == 1
    # Without a Message-ID, the same bytes are the same mail.
    bare = b"From: ana@example.com\r\nTo: hello@inbound.test\r\nSubject: no id\r\n\r\nHi\r\n"
    send(receiver, bare)
    send(receiver, bare)
    assert Message.objects.filter(direction=Direction.IN, subject="no id").count() == 1


def test_a_known_sender_without_thread_or_token_joins_their_lead(receiver, client):
    client.post("/contact/", form_data(email="ana@example.com"))
    lead = Lead.objects.get()
    OutboxJob.objects.all().delete()
    mail = EmailMessage()
    mail["From"] = "Ana <ana@EXAMPLE.com>"
    mail["To"] = "hello@inbound.test"
    mail["Subject"] = "One more thing"
    mail.set_content("We also need a logo.")
    send(receiver, mail)

    message = inbound()
    assert message.lead_id == lead.pk
    lead.refresh_from_db()
    assert lead.message_count == 2 and lead.awaiting_reply and lead.name == "Ana Souza"  # the name the form gave stays
    assert len(notices()) == 1


def test_an_unknown_sender_starts_a_lead_and_spam_starts_a_spam_lead(receiver):
    mail = EmailMessage()
    mail["From"] = "Bea Lima <bea@example.net>"
    mail["To"] = "hello@inbound.test"
    mail["Subject"] = "A shop for our pottery"
    mail.set_content("Hi, can you build us an online shop?")
    send(receiver, mail, sender="bea@example.net")
    lead = Lead.objects.get(email="bea@example.net")
    assert lead.name == "Bea Lima" and lead.awaiting_reply and not lead.is_spam and lead.message_count == 1
    assert inbound().lead_id == lead.pk and len(notices()) == 1

    spam = EmailMessage()
    spam["From"] = "winner@spam.example"
    spam["To"] = "hello@inbound.test"
    spam["Subject"] = "Crypto giveaway"
    spam.set_content("Double your coins: casino bonus at http://a.example http://b.example http://c.example")
    send(receiver, spam, sender="winner@spam.example")
    spam_lead = Lead.objects.get(email="winner@spam.example")
    assert spam_lead.is_spam and not spam_lead.awaiting_reply
    assert inbound(lead=spam_lead).is_spam and len(notices()) == 1


def test_an_unknown_sender_over_the_rate_limit_is_told_to_try_later(receiver, settings):
    settings.CONTACT_RATE_LIMITS = {**settings.CONTACT_RATE_LIMITS, "email": (2, 10**9)}
    for number in range(3):
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "flood@example.net", "hello@inbound.test", f"number {number}"
        mail.set_content("hello")
        if number < 2:
            send(receiver, mail)
        else:
            with pytest.raises(smtplib.SMTPDataError) as refused:
                send(receiver, mail)
            assert refused.value.smtp_code == 451
    assert Message.objects.filter(email="flood@example.net").count() == 2


def test_a_forged_or_garbled_token_attaches_to_no_other_lead(receiver):
    victim = make_lead(email="victim@example.com", name="Victim")
    other = make_lead(email="other@example.com", name="Other")
    good = reply_address(lead_id=victim.pk)
    local, _, domain = good.partition("@")
    tampered = f"{local[:-1]}{'0' if local[-1] != '0' else '1'}@{domain}"
    swapped = reply_address(lead_id=other.pk).partition("@")[0][:26] + local[26:] + "@" + domain  # one's id, the other's MAC
    for number, address in enumerate([tampered, swapped, "reply+garbage@inbound.test", "reply+@inbound.test"]):
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "mallory@evil.example", address, f"try {number}"
        mail.set_content("attach me to the victim")
        send(receiver, mail, sender="mallory@evil.example", to=address)
    assert not Message.objects.filter(lead__in=[victim, other]).exists()
    assert set(Message.objects.filter(direction=Direction.IN).values_list("email", flat=True)) == {"mallory@evil.example"}
    assert Lead.objects.get(email="mallory@evil.example").message_count == 4


def test_a_reply_to_the_confirmation_threads_by_its_message_id_in_the_outbox(client, receiver):
    client.post("/contact/", form_data(email="ana@example.com"))
    lead = Lead.objects.get()
    job = OutboxJob.objects.get(kind=JobKind.VISITOR_EMAIL)
    confirmation_id = job.payload.get("mail_message_id")
    if not confirmation_id:
        pytest.skip("the confirmation's Message-ID is not stored in its outbox job yet")
    mail = EmailMessage()
    mail["From"] = "someone.else@example.org"  # the visitor answers from another address
    mail["To"] = "hello@maniva.digital"
    mail["Subject"] = "Re: We received your message"
    mail["In-Reply-To"] = confirmation_id
    mail.set_content("Also, my phone is 555 1234.")
    send(receiver, mail, sender="someone.else@example.org")
    assert inbound().lead_id == lead.pk


def test_mail_receive_reads_stdin_and_refuses_a_mail_over_the_limit_cleanly(db):
    lead = make_lead()
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "ana@example.com", reply_address(lead_id=lead.pk), "By pipe"
    mail["Message-ID"] = make_msgid(domain="example.com")
    mail.set_content("Delivered by the MTA's pipe.")
    result = mail_receive(mail.as_bytes(), "--sender", "ana@example.com", reply_address(lead_id=lead.pk))
    assert result.returncode == 0, result.stderr
    assert f"on lead {lead.pk}" in result.stdout and inbound().message == "Delivered by the MTA's pipe."
    again = mail_receive(mail.as_bytes())
    assert again.returncode == 0 and "already stored" in again.stdout

    big = mail_receive(b"Subject: big\r\n\r\n" + b"x" * 2000, INBOUND_MAX_BYTES="1000")
    assert big.returncode == 1 and "mail refused: message too big" in big.stderr and "Traceback" not in big.stderr
    assert Message.objects.filter(direction=Direction.IN).count() == 1


def test_run_mailserver_serves_until_sigterm(db):
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "run_mailserver", "--port", "0"], cwd=ROOT, env=subprocess_env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (port := listening_port(proc.pid)):
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() is not None else "no port"
            time.sleep(0.1)
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "Bea <bea@example.net>", "hello@inbound.test", "Through the command"
        mail.set_content("Hello from a real SMTP client.")
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            smtp.sendmail("bea@example.net", ["hello@inbound.test"], mail.as_bytes())
        assert inbound().lead.email == "bea@example.net"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "inbound SMTP receiver on 127.0.0.1:" in out and "stopped" in out


def test_erasing_a_person_deletes_their_mail_files(receiver):
    from contact.services import person_forget

    lead = make_lead()
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "ana@example.com", reply_address(lead_id=lead.pk), "Logo"
    mail.set_content("Attached.")
    mail.add_attachment(b"\x89PNG fake", maintype="image", subtype="png", filename="logo.png")
    send(receiver, mail)
    message = inbound()
    files = [message.raw_file_id, message.attachments[0]["file_id"]]
    assert all(mail_file_read(file_id=f) for f in files)
    person_forget(email="ana@example.com")
    assert [mail_file_read(file_id=f) for f in files] == [None, None]


# --- The pieces, directly -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yes, please.\n\nOn Mon, 23 Nov 2026 at 17:02, Rui <r@x.com> wrote:\n> Shall we?\n", "Yes, please."),
        ("Yes.\n\nOn Mon, 23 Nov 2026 at 17:02, Rui Staff <r@x.com>\nwrote:\n> Shall we?", "Yes."),
        ("Oui.\n\nLe lun. 23 nov. 2026 à 17:02, Rui <r@x.com> a écrit :\n> On y va ?", "Oui."),
        ("Sure.\n\n-----Original Message-----\nFrom: Rui\nSent: Monday\nSubject: x\n\nShall we?", "Sure."),
        ("Sure.\n\nFrom: Rui <r@x.com>\nSent: Monday, 23 November 2026 17:02\nTo: Ana\nSubject: x\n\nShall we?", "Sure."),
        ("Thanks!\n\n-- \nAna Souza\nPadaria Ana", "Thanks!"),
        ("Thanks!\n\nSent from my iPhone\n\n> quoted", "Thanks!"),
        ("Inline:\n> Shall we?\nYes we shall.\n> And Tuesday?\nFine.\n> bye", "Inline:\n> Shall we?\nYes we shall.\n> And Tuesday?\nFine."),
        ("> all of it is quote\n> really", "> all of it is quote\n> really"),
        ("Look:\n\n---------- Forwarded message ---------\nFrom: A <a@b.c>\nDate: Mon\n\nBody\n-- \nsig", "Look:\n\n---------- Forwarded message ---------\nFrom: A <a@b.c>\nDate: Mon\n\nBody\n-- \nsig"),
        ("Nothing quoted here.\nFrom: the sales team we heard good things.", "Nothing quoted here.\nFrom: the sales team we heard good things."),
    ],
)
def test_reply_trim(text: str, expected: str):
    assert reply_trim(text) == expected


def test_html_to_text_quotes_blockquotes_and_drops_markup():
    html = "<div>New <i>text</i></div><blockquote><p>old</p><blockquote>older</blockquote></blockquote><p>a&nbsp;b</p>"
    assert html_to_text(html) == "New text\n\n> old\n>\n> > older\n\na b"


def test_parse_reads_rfc2047_headers_and_ids_and_never_raises():
    raw = (
        "From: =?utf-8?b?" + base64.b64encode("Zoë Ørsted".encode()).decode() + "?= <zoe@Example.DK>\r\n"
        "Subject: =?iso-8859-1?q?Ol=E1?=\r\nMessage-ID: <a@b>\r\nIn-Reply-To: <x@y> <z@w>\r\nReferences: <r1@q>\r\n <r2@q>\r\n\r\nHi\r\n"
    ).encode()
    parsed = mail_parse(raw)
    assert (parsed.from_name, parsed.from_email, parsed.subject) == ("Zoë Ørsted", "zoe@example.dk", "Olá")
    assert parsed.message_id == "a@b" and parsed.in_reply_to == ["x@y", "z@w"] and parsed.references == ["r1@q", "r2@q"]
    for junk in (b"", b"\x00\xff" * 100, b"From:\r\n\r\n", b"Content-Type: multipart/mixed\r\n\r\n--"):
        mail_parse(junk)
    raw_utf8 = b"From: Jos\xc3\xa9 <jose@example.org>\r\nSubject: Caf\xc3\xa9\r\nContent-Type: text/plain\r\n\r\nOl\xc3\xa1 \xe9\r\n"
    parsed = mail_parse(raw_utf8)  # undeclared 8-bit: read as UTF-8, what is not becomes U+FFFD
    assert (parsed.from_name, parsed.subject, parsed.text) == ("José", "Café", "Olá \ufffd")


def test_an_outlook_html_reply_loses_its_quoted_header_block():
    html = (
        '<html><body><div dir="ltr">Tuesday is fine.</div><div>Best, José</div>'
        '<hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg" dir="ltr"><font face="Calibri">'
        "<b>From:</b> Rui Staff &lt;hello@maniva.digital&gt;<br><b>Sent:</b> Monday, November 23, 2026 5:02 PM<br>"
        "<b>To:</b> José<br><b>Subject:</b> Your new website</font><div>&nbsp;</div></div><div>Could we talk?</div></body></html>"
    )
    assert reply_trim(html_to_text(html)) == "Tuesday is fine.\nBest, José"
