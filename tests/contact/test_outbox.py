import threading
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import close_old_connections

from contact.models import OutboxJob, OutboxStatus
from contact.outbox import email_enqueue, job_claim, job_enqueue, retry_delay
from contact.worker import jobs_run_due
from tests.factories import form_data


def test_smtp_refusing_for_a_while_then_accepting_delivers_everything_once(client, db, smtp_server, settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 0
    smtp_server.refuse_first = 5
    for i in range(3):
        client.post("/contact/", form_data(email=f"visitor{i}@example.com"))

    for _ in range(10):
        jobs_run_due(worker="w1")

    mails = smtp_server.wait_for(6)
    assert smtp_server.refused == 5
    assert Counter(m["X-Envelope-To"] for m in mails) == Counter(
        {"team@maniva.test": 3, "visitor0@example.com": 1, "visitor1@example.com": 1, "visitor2@example.com": 1}
    )
    assert set(OutboxJob.objects.values_list("status", flat=True)) == {OutboxStatus.DONE}


def test_failing_job_backs_off_exponentially_and_becomes_a_dead_letter(db, settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 0
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    job_enqueue(kind="email", key="k1", payload={"to": ["x@example.com"], "subject": "s", "template": "contact/email/visitor_confirmation", "context": {"name": "X"}})

    jobs_run_due(worker="w1")

    job = OutboxJob.objects.get(key="k1")
    assert (job.status, job.attempts) == (OutboxStatus.DEAD, 3)
    assert "Connection refused" in job.last_error or "Errno" in job.last_error


def test_retry_delay_doubles_up_to_its_cap(settings):
    settings.OUTBOX_RETRY_MAX_SECONDS = 200
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4, 5)] == [30, 60, 120, 200, 200]


def test_outbox_command_lists_and_retries_dead_letters(db, settings, smtp_server):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    smtp_server.refuse_first = 1
    job_enqueue(kind="email", key="k2", payload={"to": ["y@example.com"], "subject": "Hi", "template": "contact/email/visitor_confirmation", "context": {"name": "Y"}})
    jobs_run_due(worker="w1")

    out = StringIO()
    call_command("outbox", "dead", stdout=out)
    assert "451" in out.getvalue() and "1 dead letter(s)" in out.getvalue()
    call_command("outbox", "retry", stdout=out)
    jobs_run_due(worker="w1")

    assert OutboxJob.objects.get(key="k2").status == OutboxStatus.DONE
    assert len(smtp_server.wait_for(1)) == 1
    status = StringIO()
    call_command("outbox", "status", stdout=status)
    assert "done     1" in status.getvalue()


def test_two_workers_racing_never_send_one_job_twice(transactional_db, smtp_server, monkeypatch):
    from contact import delivery

    for i in range(30):
        job_enqueue(kind="email", key=f"race{i}", payload={"to": [f"r{i}@example.com"], "subject": "Race", "template": "contact/email/visitor_confirmation", "context": {"name": "R"}})
    # Each worker's first delivery waits until the other holds a job too: both take part, whichever
    # thread the scheduler runs first (alone, one thread may otherwise claim all 30 before the other starts).
    both_holding = threading.Barrier(2, timeout=30)
    started: set[str] = set()
    run = delivery.job_run

    def deliver(job) -> None:
        if job.locked_by not in started:
            started.add(job.locked_by)
            both_holding.wait()
        run(job)

    monkeypatch.setattr(delivery, "job_run", deliver)

    def work(name: str) -> None:
        try:
            jobs_run_due(worker=name)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    mails = smtp_server.wait_for(30)
    assert Counter(Counter(m["X-Envelope-To"] for m in mails).values()) == Counter({1: 30})
    assert set(OutboxJob.objects.values_list("status", flat=True)) == {OutboxStatus.DONE}
    assert len(set(OutboxJob.objects.values_list("locked_by", flat=True))) == 2, "both workers took part"


def test_claimed_job_is_invisible_to_others_until_its_lease_expires(db, settings):
    email_enqueue(key="lease", to=["l@example.com"], subject="Lease", template="contact/email/visitor_confirmation")
    first = job_claim(worker="a")
    assert first is not None and job_claim(worker="b") is None
    settings.OUTBOX_LEASE_SECONDS = -1  # as if worker a died and its lease ran out
    OutboxJob.objects.filter(pk=first.pk).update(locked_until=first.locked_until.replace(year=2000))
    assert job_claim(worker="b").pk == first.pk


def test_every_job_kind_has_one_payload_shape_and_handler():
    from contact.delivery import JOB_TYPES
    from contact.models import JobKind

    assert set(JOB_TYPES) == set(JobKind)
    assert all(callable(job_type.handler) for job_type in JOB_TYPES.values())


@pytest.mark.parametrize(
    "kind, payload",
    [
        ("email", {"to": ["x@example.com"], "subject": "s"}),  # template missing
        ("email", {"to": ["x@example.com"], "subject": "s", "template": "t", "cc": ["y@example.com"]}),  # unknown key
        ("email", {"to": "x@example.com", "subject": "s", "template": "t"}),  # a string, not a list
        ("push", {"subscription_id": "1", "title": "t", "body": "b"}),
        ("staff_email", {"message_id": "1", "idem": "x"}),
        ("visitor_email", {}),
    ],
)
def test_enqueue_refuses_a_payload_not_of_its_kinds_shape(db, kind, payload):
    from contact.outbox import PayloadInvalid

    with pytest.raises(PayloadInvalid):
        job_enqueue(kind=kind, key="bad", payload=payload)
    assert not OutboxJob.objects.exists()


def test_enqueue_refuses_an_unknown_kind_and_a_payload_of_another_kind(db):
    from contact.delivery import MessagePayload

    with pytest.raises(LookupError):
        job_enqueue(kind="fax", key="fax", payload={"to": "x"})
    with pytest.raises(ValueError):
        job_enqueue(kind="push", key="p", payload=MessagePayload(message_id="1"))
    assert not OutboxJob.objects.exists()


def test_a_stored_job_of_an_unknown_kind_or_shape_is_retried_then_dead_lettered(db, settings):
    from django.utils import timezone

    settings.OUTBOX_MAX_ATTEMPTS = 1
    now = timezone.now()
    OutboxJob.objects.create(kind="fax", key="fax", payload={}, run_after=now, created_at=now)
    OutboxJob.objects.create(kind="push", key="old", payload={"subscription_id": "1"}, run_after=now, created_at=now)
    assert jobs_run_due(worker="w1") == 2
    errors = dict(OutboxJob.objects.values_list("key", "last_error"))
    assert set(OutboxJob.objects.values_list("status", flat=True)) == {OutboxStatus.DEAD}
    assert "LookupError" in errors["fax"] and "PayloadInvalid" in errors["old"]
