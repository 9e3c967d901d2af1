"""A worker claims jobs in batches and sends a batch's mail over one SMTP connection (issue 15),
keeping each job's own guarantees: marked done right after its send, a dropped connection re-opened
without losing or duplicating a job, a failure retried with its backoff."""
from collections import Counter
from email import message_from_bytes

import pytest

from contact.models import OutboxJob, OutboxStatus
from contact.outbox import email_enqueue, jobs_claim
from contact.worker import jobs_run_due
from tests.helpers import SocketController, bound_socket


class CountingMailbox:
    """An SMTP server that counts connections, and drops a connection at its `drop_at`-th MAIL
    (as a server timing out an idle connection between two mails), once."""

    def __init__(self, drop_at: int = 0) -> None:
        self.received: list = []
        self.connections = 0
        self.drop_at = drop_at
        self.mails_on_connection: Counter = Counter()
        self.dropped = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options) -> str:
        self.mails_on_connection[id(session)] += 1
        if self.drop_at and not self.dropped and self.mails_on_connection[id(session)] == self.drop_at:
            self.dropped += 1
            server.transport.close()
            return "421 4.4.2 closing"
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        mail = message_from_bytes(envelope.content)
        self.received.append(envelope.rcpt_tos[0])
        return "250 OK" if mail else "554 empty"


@pytest.fixture
def mailbox_factory(settings):
    controllers = []

    def start(**kwargs) -> CountingMailbox:
        mailbox = CountingMailbox(**kwargs)
        controller = SocketController(mailbox, bound_socket())
        controller.start()
        controllers.append(controller)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", controller.port, False
        return mailbox

    yield start
    for controller in controllers:
        controller.stop()


def _enqueue(count: int) -> None:
    for i in range(count):
        email_enqueue(key=f"batch{i}", to=[f"b{i}@example.com"], subject="Batch", template="contact/email/visitor_confirmation",
                      context={"name": "B"})


def test_one_smtp_connection_serves_a_batch_of_jobs(db, mailbox_factory):
    mailbox = mailbox_factory()
    _enqueue(6)
    assert jobs_run_due(worker="w1", batch=10) == 6
    assert sorted(mailbox.received) == sorted(f"b{i}@example.com" for i in range(6))
    assert mailbox.connections == 1
    assert set(OutboxJob.objects.values_list("status", flat=True)) == {OutboxStatus.DONE}


def test_a_dropped_connection_is_reopened_without_losing_or_duplicating_a_job(db, mailbox_factory):
    mailbox = mailbox_factory(drop_at=3)  # the third mail on the first connection finds it closed
    _enqueue(6)
    assert jobs_run_due(worker="w1", batch=10) == 6
    assert mailbox.dropped == 1 and mailbox.connections == 2
    assert Counter(mailbox.received) == Counter({f"b{i}@example.com": 1 for i in range(6)})
    assert list(OutboxJob.objects.values_list("status", "attempts").distinct()) == [(OutboxStatus.DONE, 1)]


def test_a_refused_mail_in_a_batch_is_retried_later_and_the_others_still_go(db, smtp_server, settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 3600
    smtp_server.refuse_first = 1  # 451 for the first mail only
    _enqueue(4)
    assert jobs_run_due(worker="w1", batch=10) == 4
    assert len(smtp_server.wait_for(3)) == 3
    statuses = Counter(OutboxJob.objects.values_list("status", "attempts"))
    assert statuses == Counter({(OutboxStatus.DONE, 1): 3, (OutboxStatus.PENDING, 1): 1})
    assert jobs_run_due(worker="w1") == 0, "the refused one waits for its backoff"


def test_a_batch_is_claimed_together_and_a_second_worker_gets_the_rest(db):
    _enqueue(5)
    first = jobs_claim(worker="a", limit=3)
    second = jobs_claim(worker="b", limit=3)
    assert (len(first), len(second)) == (3, 2)
    assert {job.key for job in first} | {job.key for job in second} == {f"batch{i}" for i in range(5)}
    assert jobs_claim(worker="c", limit=3) == []
    assert Counter(OutboxJob.objects.values_list("locked_by", flat=True)) == Counter({"a": 3, "b": 2})


def test_a_batch_past_half_its_lease_gives_the_rest_back(db, smtp_server, settings):
    from contact.models import LEASE_NONE
    from contact.worker import _batch_run

    _enqueue(3)
    jobs = jobs_claim(worker="w1", limit=3)
    settings.OUTBOX_LEASE_SECONDS = 0  # as if the first send had taken half the lease
    assert _batch_run(jobs) == 1
    assert len(smtp_server.wait_for(1)) == 1
    left = OutboxJob.objects.exclude(status=OutboxStatus.DONE)
    assert [(job.status, job.locked_until) for job in left] == [(OutboxStatus.PENDING, LEASE_NONE)] * 2
    assert len(jobs_claim(worker="w2", limit=3)) == 2, "given back: another worker takes them at once"


def test_a_batch_triages_its_new_messages_together_in_one_commit(db, mailbox_factory, settings):
    """Three new messages' staff notifications in one batch: the intent model suggests all three in
    one pass and their six writes (message and lead each) share one transaction (issue 15)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from contact.models import Lead, Message
    from tests.factories import make_message

    settings.CONTACT_NOTIFY_EMAILS = ["team@maniva.test"]
    mailbox = mailbox_factory()
    texts = ["We need a new online shop for our bakery.", "I would like to apply for the designer job.",
             "Our current site with you needs a change to the menu."]
    messages = [make_message(email=f"t{i}@example.com", message=text) for i, text in enumerate(texts)]
    with CaptureQueriesContext(connection) as queries:
        jobs_run_due(worker="w1")
    commits = [q["sql"] for q in queries.captured_queries if q["sql"] == "session.commit_transaction()"]
    assert len(commits) == 1, [q["sql"][:80] for q in queries.captured_queries]
    for message in messages:
        stored = Message.objects.get(pk=message.pk)
        assert stored.intent and 0 < stored.intent_score <= 1
        assert Lead.objects.get(pk=message.lead_id).intent == stored.intent
    assert sorted(mailbox.received).count("team@maniva.test") == 3


def _jobs_due_over(seconds: int, count: int, key: str = "due") -> list:
    """`count` pending jobs due at distinct moments over the last `seconds`, oldest first."""
    from datetime import timedelta

    from django.utils import timezone

    from contact.models import JobKind, LEASE_NONE

    now = timezone.now().replace(microsecond=0)
    jobs = [OutboxJob(kind=JobKind.EMAIL, key=f"{key}{i}", payload={"to": ["a@example.com"], "subject": "s", "template": "t"},
                      run_after=now - timedelta(seconds=seconds) + timedelta(milliseconds=i * seconds * 1000 // count),
                      created_at=now, locked_until=LEASE_NONE) for i in range(count)]
    OutboxJob.objects.bulk_create(jobs)
    return [job.pk for job in sorted(jobs, key=lambda job: job.run_after)]


def test_claims_read_the_queue_window_by_window_and_still_oldest_first(db):
    """A backlog spread over a minute, claimed ten at a time through 5 s windows from the floor:
    every job once, in the order they fell due (issue 15: a claim over the whole backlog read it all)."""
    from contact.outbox import _floor

    _floor.forget()
    expected = _jobs_due_over(60, 120)
    claimed = []
    while batch := jobs_claim(worker="w1", limit=10):
        claimed += [job.pk for job in batch]
    assert claimed == expected


def test_a_job_below_the_floor_is_claimed_when_the_windows_run_dry(db):
    """A job that falls due before the floor (a process whose clock runs behind enqueued it) is not
    lost: once the windows above the floor hold nothing claimable, the claim reads the whole queue."""
    from contact.outbox import _floor

    _floor.forget()
    later = _jobs_due_over(10, 5)
    first = jobs_claim(worker="w1", limit=3)  # a whole-queue read: the floor is the oldest of these
    assert [job.pk for job in first] == later[:3]
    [behind] = _jobs_due_over(3600, 1, key="behind")
    assert _floor.at > OutboxJob.objects.get(pk=behind).run_after
    assert [job.pk for job in jobs_claim(worker="w1", limit=3)] == later[3:], "the windows above the floor first"
    assert [job.pk for job in jobs_claim(worker="w1", limit=3)] == [behind], "then the whole queue"


def test_threads_share_a_backlog_each_job_sent_once_under_the_threads_own_names(db, mailbox_factory):
    from contact.worker import jobs_run_due_threads

    mailbox = mailbox_factory()
    _enqueue(45)
    assert jobs_run_due_threads(worker="w", threads=2) == 45
    assert Counter(mailbox.received) == Counter({f"b{i}@example.com": 1 for i in range(45)})
    assert list(OutboxJob.objects.values_list("status", "attempts").distinct()) == [(OutboxStatus.DONE, 1)]
    assert set(OutboxJob.objects.values_list("locked_by", flat=True)) <= {"w/0", "w/1"}


def test_run_worker_refuses_fewer_than_one_thread(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="--threads must be at least 1"):
        call_command("run_worker", "--once", "--threads", "0")
