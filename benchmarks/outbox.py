"""Outbox benchmark (run by hand): jobs per second of one worker against a local SMTP sink, as a
ratio to a bare smtplib loop sending the same mails, at 1,000 and at 100,000 done jobs stored.

    .venv/bin/python benchmarks/outbox.py [--messages 150] [--sizes 1000,100000] [--intent-in intake|worker] [--threads 1]

For each size: the outbox collection is topped up with done jobs (insert_many), `--messages`
messages are stored the way the intake stores them (each enqueues a staff notification and a
visitor confirmation), and one worker (contact.worker.jobs_run_due, in this process) drains them
into an aiosmtpd sink. Printed: jobs/s, database commands per job (a pymongo CommandListener),
then a bare loop replaying the very mails the sink received (same envelopes, same bytes) through
one smtplib connection, and the ratios; then the same mails built again from their parts with
Django's email classes before each send (what making a mail costs, with no template and no
database: the ceiling of any worker that builds its mails), and the floor of the bare loop plus the
two writes any leased job needs. Last, each outbox query's median time at both sizes (flat
when nothing scans) and the claim's plan. Both loops share this process with the SMTP sink (a thread):
compare the ratios of one run, not figures across machines.
"""
import argparse
import os
import smtplib
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

from pymongo import monitoring

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.dbserver import DatabaseServer, free_port  # noqa: E402


class Commands(monitoring.CommandListener):
    """Counts the commands this process sends while `on` (registered before any client exists), and
    their round-trip milliseconds by command and collection."""

    def __init__(self) -> None:
        self.on = False
        self.names: Counter = Counter()
        self.millis: Counter = Counter()
        self._targets: dict[int, str] = {}

    def started(self, event) -> None:
        if self.on:
            self.names[event.command_name] += 1
            target = event.command.get(event.command_name)
            self._targets[event.request_id] = f"{event.command_name} {target if isinstance(target, str) else ''}".strip()

    def succeeded(self, event) -> None:
        if (target := self._targets.pop(event.request_id, None)) is not None:
            self.millis[target] += event.duration_micros / 1000

    def failed(self, event) -> None:
        pass


COMMANDS = Commands()
monitoring.register(COMMANDS)


class Sink:
    """An SMTP server that keeps every envelope it accepts (for the bare loop to replay)."""

    def __init__(self) -> None:
        self.envelopes: list[tuple[str, list[str], bytes]] = []
        self.connections = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


def django_setup(uri: str, smtp_port: int) -> None:
    os.environ.update(
        MONGODB_URI=uri, DJANGO_SECRET_KEY="bench-" + "x" * 50, DJANGO_HTTPS="false", DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="testserver,127.0.0.1", CONTACT_SPOOL_DIR=tempfile.mkdtemp(prefix="outbox-bench-spool-"),
        CONTACT_NOTIFY_EMAILS="team@bench.test", EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp_port),
        MANIVA_LOCAL_ENV=os.devnull, LOG_LEVEL="WARNING", DJANGO_SETTINGS_MODULE="maniva_webapp.settings",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def done_jobs_fill(total: int) -> None:
    """Top the outbox up to `total` done jobs, shaped as the worker leaves them."""
    from django.db import connection
    from django.utils import timezone

    from contact.models import LEASE_NONE, JobKind, OutboxJob, OutboxStatus

    collection = connection.get_collection(OutboxJob._meta.db_table)
    missing = total - collection.count_documents({"status": OutboxStatus.DONE.value})
    now = timezone.now()
    for start in range(0, max(missing, 0), 5000):
        collection.insert_many([
            {"kind": JobKind.VISITOR_EMAIL.value, "key": f"seed:{uuid.uuid4().hex}",
             "payload": {"message_id": uuid.uuid4().hex[:24], "mail_message_id": f"<{uuid.uuid4().hex}@bench.test>"},
             "lead_id": None, "status": OutboxStatus.DONE.value, "attempts": 1, "run_after": now, "locked_by": "seed",
             "locked_until": LEASE_NONE, "last_error": "", "created_at": now, "done_at": now}
            for _ in range(min(5000, missing - start))
        ])


def done_ids(count: int) -> list:
    from django.db import connection

    from contact.models import OutboxJob

    collection = connection.get_collection(OutboxJob._meta.db_table)
    # any done jobs: the seeded ones run short when a size holds fewer than the run's jobs
    return [doc["_id"] for doc in collection.find({"status": "done"}, {"_id": 1}).limit(count)]


def messages_store(count: int, offset: int, *, intent_in: str) -> int:
    """`count` messages stored as the intake stores them, with the intent model's suggestion when
    `intent_in` is "intake" (a web process holding a model) and without it ("worker": the worker
    suggests, as before any web process has one); returns the outbox jobs now pending."""
    import uuid

    from django.db import connection
    from django.utils import timezone

    from contact.meta import RequestMeta
    from contact.models import OutboxJob, OutboxStatus
    from contact.services import message_store
    from contact.spam import SpamVerdict
    from contact.triage import intent_at_hand
    from tests.helpers import intent_model_at_hand

    if intent_in == "intake":
        intent_model_at_hand()
    subject, text = "A new website", "We are a small bakery with two shops and would like online ordering."
    for n in range(count):
        message_store(
            kind="contact",
            submission={"name": f"Visitor {offset + n}", "email": f"v{offset + n}@bench.example", "subject": subject, "message": text},
            meta=RequestMeta(ip="203.0.113.9", user_agent="bench", country="PT"),
            verdict=SpamVerdict(is_spam=False, score=0.1),
            idempotency_key=uuid.uuid4().hex,
            received_at=timezone.now(),
            intent=intent_at_hand(subject=subject, message=text) if intent_in == "intake" else None,
        )
    return connection.get_collection(OutboxJob._meta.db_table).count_documents({"status": OutboxStatus.PENDING.value})


def worker_rate(sink: Sink, threads: int) -> tuple[float, int, float, Counter]:
    from contact.worker import jobs_run_due_threads

    before = len(sink.envelopes)
    COMMANDS.names.clear()
    COMMANDS.millis.clear()
    COMMANDS.on = True
    start = time.perf_counter()
    jobs = 0
    while (ran := jobs_run_due_threads(worker="bench", threads=threads)) > 0:
        jobs += ran
    seconds = time.perf_counter() - start
    COMMANDS.on = False
    assert len(sink.envelopes) - before == jobs, (len(sink.envelopes) - before, jobs)
    return jobs / seconds, jobs, seconds, COMMANDS.names.copy()


def bare_rate(port: int, envelopes: list[tuple[str, list[str], bytes]]) -> float:
    """The same mails through one smtplib connection, nothing else."""
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for mail_from, rcpt_tos, content in envelopes:
            smtp.sendmail(mail_from, rcpt_tos, content)
    return len(envelopes) / (time.perf_counter() - start)


def bare_built_rate(port: int, envelopes: list[tuple[str, list[str], bytes]]) -> float:
    """The same mails, each built again from its parts with Django's email classes (as the worker
    builds its mails, without templates or database) and sent through one smtplib connection: the
    cost of making a mail, which the worker pays and the bare loop does not."""
    from email import message_from_bytes, policy

    from django.core.mail import EmailMultiAlternatives

    parts = []
    for mail_from, rcpt_tos, content in envelopes:
        parsed = message_from_bytes(content, policy=policy.default)
        text, html = (parsed.get_body(preferencelist=(kind,)) for kind in ("plain", "html"))
        parts.append((mail_from, rcpt_tos, str(parsed["Subject"]), text.get_content(), html.get_content() if html else "", str(parsed["Message-ID"])))
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for mail_from, rcpt_tos, subject, text, html, message_id in parts:
            mail = EmailMultiAlternatives(subject=subject, body=text, from_email=mail_from, to=rcpt_tos, headers={"Message-ID": message_id})
            if html:
                mail.attach_alternative(html, "text/html")
            smtp.sendmail(mail_from, rcpt_tos, mail.message().as_bytes(linesep="\r\n"))
    return len(envelopes) / (time.perf_counter() - start)


def bare_with_writes_rate(port: int, envelopes: list[tuple[str, list[str], bytes]], job_ids: list) -> float:
    """The same mails, each with the two writes any leased job needs (its lease and its completion,
    each an update by _id on the outbox collection): the floor under the worker on this server."""
    from django.db import connection
    from django.utils import timezone

    from contact.models import OutboxJob

    collection = connection.get_collection(OutboxJob._meta.db_table)
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for (mail_from, rcpt_tos, content), job_id in zip(envelopes, job_ids, strict=True):
            collection.update_one({"_id": job_id}, {"$set": {"locked_by": "bare", "locked_until": timezone.now()}})
            smtp.sendmail(mail_from, rcpt_tos, content)
            collection.update_one({"_id": job_id}, {"$set": {"status": "done", "done_at": timezone.now()}})
    return len(envelopes) / (time.perf_counter() - start)


COMPLETION = "completion (update_one by _id, locked_by)"


def query_costs(repeat: int = 30) -> dict[str, float]:
    """Median ms of each outbox query the worker makes, on the collection as it stands. SecantusDB's
    explain names every query by _id a COLLSCAN (its _id path is not in its plans), so flatness is
    shown by timing each query at both sizes; the candidates' plan is printed from explain."""
    from django.db import connection
    from django.utils import timezone

    from contact.models import OutboxJob
    from contact.outbox import _candidates

    collection = connection.get_collection(OutboxJob._meta.db_table)
    ids = [doc["_id"] for doc in collection.find({"status": "done"}, {"_id": 1}).limit(10 * repeat)]
    batches = [ids[n * 10:(n + 1) * 10] for n in range(repeat)]

    def median_ms(run) -> float:
        times = []
        for batch in batches:
            start = time.perf_counter()
            run(batch)
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)

    return {
        "claim: candidates (find, sort, first page)": median_ms(lambda batch: _candidates(now=timezone.now(), limit=10)),
        "claim: lease of 10 (update_many by _id $in)": median_ms(
            lambda batch: collection.update_many({"_id": {"$in": batch}, "status": "done"}, {"$set": {"locked_by": "lease"}})),
        "claim: read back 10 (in_bulk)": median_ms(lambda batch: OutboxJob.objects.in_bulk(batch)),
        COMPLETION: median_ms(
            lambda batch: collection.update_one({"_id": batch[0], "locked_by": "lease"}, {"$set": {"status": "done", "done_at": timezone.now()}})),
    }


def candidates_plan() -> str:
    from django.db import connection
    from django.utils import timezone

    from contact.models import OutboxJob, OutboxStatus

    collection = connection.get_collection(OutboxJob._meta.db_table)
    due = {"status": OutboxStatus.PENDING.value, "run_after": {"$lte": timezone.now()}}
    plan, names = collection.find(due, {"_id": 1, "locked_until": 1}).sort("run_after", 1).explain()["queryPlanner"]["winningPlan"], []
    while plan:
        names.append(plan.get("stage", "?") + (f"({plan['indexName']})" if plan.get("indexName") else ""))
        plan = plan.get("inputStage")
    return " <- ".join(names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=150, help="messages per size (two mails each)")
    parser.add_argument("--sizes", default="1000,100000", help="done jobs stored, comma-separated")
    parser.add_argument("--threads", type=int, default=1, help="threads of the worker running due jobs (run_worker's default is 2)")
    parser.add_argument("--intent-in", choices=["intake", "worker"], default="intake",
                        help="where the messages' intent is suggested: at intake (a web process holding a model) or by the worker")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    from aiosmtpd.controller import Controller

    server = DatabaseServer()
    server.start()
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        django_setup(server.uri, port)
        print(f"threads: {threading.active_count()}; {args.messages} messages (x2 mails) per size")
        rates, costs = {}, {}
        for index, size in enumerate(sizes):
            done_jobs_fill(size)
            pending = messages_store(args.messages, offset=index * args.messages, intent_in=args.intent_in)
            query_costs(repeat=10)  # warm-up: the server settles after the bulk seed before anything is timed
            connections = sink.connections
            first = len(sink.envelopes)
            rate, jobs, seconds, names = worker_rate(sink, args.threads)
            connections = sink.connections - connections
            sent = sink.envelopes[first:first + jobs]  # the bare loops' own mails land in the sink too
            bare = statistics.median(bare_rate(port, sent) for _ in range(3))
            built = statistics.median(bare_built_rate(port, sent) for _ in range(3))
            floor = bare_with_writes_rate(port, sent, done_ids(jobs))
            rates[size] = rate, bare, built
            costs[size] = query_costs()
            per_job = sum(names.values()) / jobs
            print(f"{size:>7} done jobs: worker {rate:6.1f} jobs/s ({jobs} jobs of {pending} pending in {seconds:.2f} s, "
                  f"{connections} SMTP connections, {per_job:.2f} database commands/job: {dict(names.most_common())})\n"
                  f"{'':>19}bare smtplib {bare:6.1f} mails/s; worker/bare {rate / bare:.2f} (target >= 0.5)\n"
                  f"{'':>19}bare smtplib building each mail (Django's email classes, no template, no database) {built:6.1f} mails/s; "
                  f"worker/that {rate / built:.2f}; that/bare {built / bare:.2f} (the ceiling of any worker building its mails)\n"
                  f"{'':>19}bare smtplib + a lease and a completion update by _id per mail {floor:6.1f} mails/s; worker/that {rate / floor:.2f}; "
                  f"that/bare {floor / bare:.2f} (the ceiling of any worker holding a lease per job)\n"
                  f"{'':>19}round-trip ms per job: " + ", ".join(f"{target} {ms / jobs:.2f}" for target, ms in COMMANDS.millis.most_common()))
        (small_rate, *_), (big_rate, *_) = rates[sizes[0]], rates[sizes[-1]]
        print(f"jobs/s at {sizes[-1]:,} / at {sizes[0]:,} done jobs: x{big_rate / small_rate:.2f} (flat: ~1)")
        print(f"claim candidates' plan: {candidates_plan()}")
        small, big = costs[sizes[0]], costs[sizes[-1]]
        for name in small:
            print(f"  {name:45} {small[name]:6.2f} ms at {sizes[0]:,}, {big[name]:6.2f} ms at {sizes[-1]:,}: x{big[name] / small[name]:.2f}")
        # Each job's completion is written on its own right after its mail is sent (a crash resends
        # at most the one in hand): that write alone bounds any worker, whatever its claims cost.
        completion = big[COMPLETION] / 1000
        _, bare, built = rates[sizes[-1]]
        ceiling = 1 / (1 / built + completion)
        print(f"ceiling of a worker that builds each mail and writes its completion ({completion * 1000:.2f} ms), with free claims: "
              f"{ceiling:.1f} jobs/s = x{ceiling / bare:.2f} the bare loop (target 0.5)")
    finally:
        controller.stop()
        server.close()


if __name__ == "__main__":
    main()
