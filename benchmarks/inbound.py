"""Inbound mail benchmark (run by hand): replies to our mail through the project's SMTP receiver.

    .venv/bin/python benchmarks/inbound.py [--mails 1000] [--leads 100] [--clients 8]

Starts its own SecantusDB (durable, as make run does), makes --leads leads through the intake and
a staff reply to each through the CRM (so each has an outbound Message-ID and reply address), and
runs `manage.py run_mailserver` as a separate process. Then:

1. --mails replies (In-Reply-To a staff reply, To its reply address, Gmail-style quoted history)
   sent over --clients SMTP connections at once: mails per second until the last `250`, against
   a bare pymongo insert of the same message documents (one thread, and --clients threads).
2. --mails more, one connection, one at a time: the time from the receiver's `250` to the mail
   being on its lead (a read of the messages collection, repeated until it shows), p50 and p95.
Every reply is checked to be on the lead it answers.
"""
import argparse
import os
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from email import policy
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.dbserver import DatabaseServer, listening_port  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def django_setup(uri: str, scratch: str) -> None:
    os.environ.update(
        MONGODB_URI=uri, DJANGO_SECRET_KEY="bench-" + "x" * 50, DJANGO_HTTPS="false", DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="testserver,127.0.0.1", CONTACT_SPOOL_DIR=f"{scratch}/spool", CONTACT_NOTIFY_EMAILS="team@bench.test",
        MAIL_CATCH_DIR=f"{scratch}/mail", INBOUND_EMAIL_DOMAIN="reply.bench.test", LOG_LEVEL="WARNING",
        MANIVA_LOCAL_ENV=f"{scratch}/no-local.env", DJANGO_SETTINGS_MODULE="maniva_webapp.settings",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def leads_with_replies(count: int) -> list[tuple[str, str, str, str]]:
    """(lead id, visitor's address, our reply's Message-ID, the lead's reply address) per lead, made
    through the project's own functions: the intake stores the visitor's message, the CRM replies."""
    from django.contrib.auth import get_user_model

    from contact.meta import RequestMeta
    from contact.models import Direction, Message
    from contact.replytoken import reply_address
    from contact.services import message_store
    from contact.spam import SpamVerdict
    from django.utils import timezone
    from maniva_crm.services import lead_reply

    staff = get_user_model().objects.create_user(username=f"bench-{uuid.uuid4().hex[:6]}", email="sam@bench.test", first_name="Sam", last_name="Reis", is_staff=True)
    leads = []
    for i in range(count):
        stored = message_store(
            kind="contact", submission={"name": f"Visitor {i}", "email": f"visitor{i}@bench.example", "subject": "A new website",
                                        "message": "We are a small company looking for a new website and some marketing help."},
            meta=RequestMeta(ip="203.0.113.9"), verdict=SpamVerdict(is_spam=False), idempotency_key=uuid.uuid4().hex, received_at=timezone.now(),
        )
        lead = stored.message.lead
        lead_reply(lead=lead, subject="Re: A new website", body=f"Hello Visitor {i},\n\nThanks for writing. When could we call you?\n\nSam", actor=staff)
        ours = Message.objects.filter(lead=lead, direction=Direction.OUT).latest("received_at")
        leads.append((str(lead.pk), lead.email, ours.mail_message_id, reply_address(lead_id=lead.pk)))
    return leads


def reply_mail(lead: tuple[str, str, str, str], n: int) -> tuple[bytes, str]:
    _, visitor, ours, address = lead
    message_id = f"{uuid.uuid4().hex}@mail.bench.example"
    mail = EmailMessage()
    mail["From"] = f"Visitor <{visitor}>"
    mail["To"] = address
    mail["Subject"] = "Re: A new website"
    mail["Message-ID"] = f"<{message_id}>"
    mail["In-Reply-To"] = f"<{ours}>"
    mail["References"] = f"<{ours}>"
    mail["Date"] = "Thu, 26 Nov 2026 10:00:00 +0000"
    mail.set_content(
        f"Tuesday at 10 works for us (reply {n}). We would like online booking too.\n\n"
        "On Wed, 25 Nov 2026 at 16:02, Sam Reis <hello@maniva.digital> wrote:\n"
        + "".join(f"> Thanks for writing. When could we call you? Line {k} of our mail.\n" for k in range(20))
    )
    return mail.as_bytes(policy=policy.SMTP), message_id  # CRLF line ends, as on the wire


def receiver_start(scratch: str) -> tuple[subprocess.Popen, int]:
    """manage.py run_mailserver on a port the kernel picks (found from /proc)."""
    log = open(f"{scratch}/mailserver.log", "ab")
    proc = subprocess.Popen([sys.executable, "manage.py", "run_mailserver", "--port", "0"], cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not (port := listening_port(proc.pid)):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"run_mailserver did not start; see {scratch}/mailserver.log")
        time.sleep(0.1)
    return proc, port


def send_all(port: int, mails: list[tuple[bytes, str, str, str]], clients: int) -> float:
    """Send every mail over `clients` connections at once; seconds until the last 250."""
    chunks = [mails[i::clients] for i in range(clients)]

    def client(chunk) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
            for raw, _, sender, to in chunk:
                smtp.sendmail(sender, [to], raw)  # raises unless the receiver answers 250

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, chunks))
    return time.perf_counter() - start


def latencies(port: int, mails: list[tuple[bytes, str, str, str]], lead_of: dict[str, str]) -> list[float]:
    """One at a time: from the `250` to the message being on its lead."""
    from bson import ObjectId

    from contact.selectors import message_collection

    messages = message_collection()
    found = []
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
        for raw, message_id, sender, to in mails:
            smtp.sendmail(sender, [to], raw)
            accepted = time.perf_counter()
            lead_id = ObjectId(lead_of[message_id])
            while messages.find_one({"mail_message_id": message_id, "lead_id": lead_id}, {"_id": 1}) is None:
                if time.perf_counter() - accepted > 30:
                    raise RuntimeError(f"{message_id} not on its lead 30 s after 250")
            found.append(time.perf_counter() - accepted)
    return found


def on_their_leads(lead_of: dict[str, str]) -> int:
    from contact.selectors import message_collection

    rows = message_collection().find({"mail_message_id": {"$in": list(lead_of)}}, {"mail_message_id": 1, "lead_id": 1})
    return sum(1 for row in rows if str(row["lead_id"]) == lead_of[row["mail_message_id"]])


def bare_inserts(uri: str, documents: list[dict], threads: int) -> float:
    """Inserts per second of the same documents with pymongo alone (no parsing, matching, GridFS,
    lead update or outbox), on the same durable server, the client's default write concern."""
    from pymongo import MongoClient

    client = MongoClient(uri)
    collection = client["bench_bare"][f"messages_{threads}"]
    chunks = [documents[i::threads] for i in range(threads)]

    def loop(chunk) -> None:
        for document in chunk:
            collection.insert_one(dict(document))

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(loop, chunks))
    elapsed = time.perf_counter() - start
    client.close()
    return len(documents) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--leads", type=int, default=100)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    server = DatabaseServer()
    server.start()
    scratch = tempfile.mkdtemp(prefix="bench-inbound-")
    receiver = None
    try:
        django_setup(server.uri, scratch)
        started = time.perf_counter()
        leads = leads_with_replies(args.leads)
        print(f"{args.leads} leads, each with a staff reply to answer: {time.perf_counter() - started:.1f} s")
        receiver, port = receiver_start(scratch)

        def batch(offset: int) -> tuple[list[tuple[bytes, str, str, str]], dict[str, str]]:
            mails, lead_of = [], {}
            for n in range(offset, offset + args.mails):
                lead = leads[n % len(leads)]
                raw, message_id = reply_mail(lead, n)
                mails.append((raw, message_id, lead[1], lead[3]))
                lead_of[message_id] = lead[0]
            return mails, lead_of

        mails, lead_of = batch(0)
        size = statistics.mean(len(raw) for raw, *_ in mails)
        elapsed = send_all(port, mails, args.clients)
        rate = args.mails / elapsed
        placed = on_their_leads(lead_of)
        print(f"receiver, {args.clients} SMTP clients    : {rate:.1f} mails/s ({args.mails} replies of {size:.0f} bytes in {elapsed:.1f} s; {placed} on their leads)")

        from contact.selectors import message_collection

        documents = [{k: v for k, v in doc.items() if k != "_id"} for doc in message_collection().find({"mail_message_id": {"$in": list(lead_of)}})]
        bare_1 = bare_inserts(server.uri, documents, threads=1)
        bare_n = bare_inserts(server.uri, documents, threads=args.clients)
        print(f"bare pymongo insert, 1 thread  : {bare_1:.1f} inserts/s (receiver / bare {rate / bare_1:.3f})")
        print(f"bare pymongo insert, {args.clients} threads : {bare_n:.1f} inserts/s (receiver / bare {rate / bare_n:.3f})")

        mails, lead_of = batch(args.mails)
        started = time.perf_counter()
        waits = latencies(port, mails, lead_of)
        serial = args.mails / (time.perf_counter() - started)
        print(f"250 OK -> on the lead          : p50 {statistics.median(waits) * 1000:.2f} ms  p95 {percentile(waits, .95) * 1000:.2f} ms  "
              f"max {max(waits) * 1000:.2f} ms ({args.mails} replies, one connection, {serial:.1f} mails/s incl. the reads; {on_their_leads(lead_of)} on their leads)")
    finally:
        if receiver is not None:
            receiver.terminate()
            receiver.wait(timeout=20)
        server.close()


if __name__ == "__main__":
    main()
